"""One aiogram Router per user journey; `get_routers` lists them in the order they must match."""

from __future__ import annotations

from aiogram import Router

from handlers import (
    audit,
    calendar,
    cancel,
    client_edit,
    clients,
    events,
    fallback,
    handover,
    logging,
    planner,
    policy,
    settings,
    smalltalk,
    start,
    stats,
    team,
    transfer,
)


def get_routers() -> list[Router]:
    """Every journey's router, catch-alls last."""
    routers = [
        # Before every journey: no step may take «/cancel» or «отмена» for its answer.
        cancel.router,
        start.router,
        team.router,
        settings.router,
        client_edit.router,
        policy.router,
        planner.router,
        events.router,
        calendar.router,
        handover.router,
        audit.router,
        stats.router,
        transfer.router,
        # Before the lookup: «привет» is not a client's name.
        smalltalk.router,
        logging.pending_router,
        clients.router,
        logging.router,
        fallback.router,
    ]
    for router in routers:
        # Routers are module singletons, while tests, the console and benchmarks build several
        # dispatchers in one process: release each router from the previous dispatcher.
        router._parent_router = None
    return routers
