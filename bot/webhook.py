"""Webhook mode: the aiohttp application Telegram posts updates to, and its health endpoint.

Lifecycle, in the order aiohttp runs it on SIGTERM (`AppRunner.cleanup`): the listening socket
closes, `on_shutdown` runs, in-flight requests are awaited (their updates are handled inline,
`handle_in_background=False`, so a 200 means "processed"), then `on_cleanup` runs. The
dispatcher's shutdown (which stops the clock), the FSM storage and the bot session therefore
close in `on_cleanup`, after the last update is done — not in `on_shutdown`, where aiogram's
`setup_application` and `SimpleRequestHandler.register` would put them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings

log = logging.getLogger(__name__)

HEALTH_PATH = "/health"
# A health probe must answer well before a load balancer's own timeout.
HEALTH_TIMEOUT = 3.0


def app_version() -> str:
    """The installed distribution's version, for the health endpoint and the logs."""
    try:
        return version("touchbase")
    except PackageNotFoundError:
        return "unknown"


async def _answers(name: str, probe: Any) -> bool:
    try:
        await asyncio.wait_for(probe(), HEALTH_TIMEOUT)
    except Exception as error:  # any failure means "not answering"; the type says why
        log.warning("health: the %s is not answering (%s)", name, type(error).__name__)
        return False
    return True


def health_handler(
    session_factory: async_sessionmaker[AsyncSession], dp: Dispatcher
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """GET /health: 200 when the database (and Redis, when used) answers, else 503."""
    current = app_version()

    async def database() -> None:
        async with session_factory() as session:
            await session.execute(text("SELECT 1"))

    async def health(_request: web.Request) -> web.Response:
        body: dict[str, str] = {"status": "ok", "version": current}
        body["database"] = "ok" if await _answers("database", database) else "unreachable"
        redis = getattr(dp.storage, "redis", None)
        if redis is not None:
            body["redis"] = "ok" if await _answers("redis", redis.ping) else "unreachable"
        healthy = all(value != "unreachable" for value in body.values())
        if not healthy:
            body["status"] = "unavailable"
        return web.json_response(body, status=200 if healthy else 503)

    return health


def create_webhook_app(
    dp: Dispatcher,
    bot: Bot,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
) -> web.Application:
    """The aiohttp app: POST on WEBHOOK_PATH (secret header checked), GET /health.

    Starting the app emits the dispatcher's startup (menus, the clock); cleaning it up emits
    its shutdown and closes the storage and the bot session, after in-flight updates finish.
    """
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    app = web.Application()
    # The secret header is compared in constant time; a wrong or missing one gets 401 before
    # the body is read, so nothing reaches the dispatcher.
    handler = SimpleRequestHandler(dp, bot, handle_in_background=False, secret_token=secret)
    app.router.add_post(settings.webhook_path, handler.handle)
    app.router.add_get(HEALTH_PATH, health_handler(session_factory, dp))
    workflow = {"dispatcher": dp, "bots": [bot], **dp.workflow_data}

    async def on_startup(_app: web.Application) -> None:
        await dp.emit_startup(bot=bot, **workflow)

    async def on_cleanup(_app: web.Application) -> None:
        try:
            await dp.emit_shutdown(bot=bot, **workflow)
        finally:
            await dp.storage.close()
            await bot.session.close()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app


async def register_webhook(bot: Bot, dp: Dispatcher, settings: Settings) -> None:
    """Point Telegram at WEBHOOK_URL with the secret; updates already waiting are kept."""
    assert settings.webhook_url is not None
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    await bot.set_webhook(
        settings.webhook_url,
        secret_token=secret,
        drop_pending_updates=False,
        allowed_updates=dp.resolve_used_update_types(),
    )
