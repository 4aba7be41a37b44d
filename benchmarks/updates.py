"""Update throughput: free-text interaction messages through the real dispatcher, against an echo.

Run `python -m benchmarks.updates [--messages N] [--seed N]`. The base (`benchmarks.base`: 100
managers, 5,000 clients with 1-3 contacts, 50,000 interactions) is copied to a working SQLite
file; 2,000 messages like «Звонил Петрову из Ромашки, цель — …, договорились о встрече в
пятницу» (generated as in `benchmarks.parse`, each from the manager who owns the client) are fed
one after another through the dispatcher `bot.app.create_dispatcher` builds — middlewares (one
transaction per update, member lookup), the conversation storage in the database, the parser,
the logging handler and its answer — with a bot session that answers locally
(`bot.offline.RecordingSession`, no network). The floor is the same harness with a bare echo bot:
a Dispatcher with one handler that answers the text.

Prints the latency distribution and what the bot answered, and as the last line a JSON object
{"updates_per_s", "p50_ms", "p95_ms", "echo_updates_per_s", "ratio", ...}.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sqlite3
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters import StateFilter
from aiogram.methods import SendMessage
from aiogram.types import Message, Update

from benchmarks.base import (
    BENCH_NOW,
    HEAD_TELEGRAM_ID,
    BaseSpec,
    database_url,
    ensure_base,
    manager_telegram_id,
    working_copy,
)
from benchmarks.parse import generate_messages
from bot.app import create_bot, create_dispatcher, run_checks_inline
from bot.offline import OFFLINE_TOKEN, RecordingSession, UpdateFactory
from bot.runner import settle_after_start
from bot.settings import Settings
from models.session import create_engine, create_session_factory
from services.clock import ManualClock
from services.names import NameCandidate

UPDATES_BASE = BaseSpec(managers=100, clients=5_000, contacts=10_000, interactions=50_000)
WARM_UP = 20


def _candidates(path: Path) -> tuple[list[NameCandidate], dict[int, int]]:
    """The base's clients as the parser's candidates, and each client's owner."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        people: dict[int, list[str]] = {}
        for client_id, full_name in db.execute(
            "SELECT client_id, full_name FROM contacts ORDER BY id"
        ):
            people.setdefault(client_id, []).append(full_name)
        clients = db.execute("SELECT id, name, owner_id FROM clients ORDER BY id").fetchall()
    candidates = [NameCandidate(cid, name, tuple(people.get(cid, ()))) for cid, name, _ in clients]
    return candidates, {cid: owner for cid, _, owner in clients}


def _updates(
    messages: list[tuple[str, int, bool]], owners: dict[int, int], clock: ManualClock
) -> list[Update]:
    """One update per message, from the Telegram account of the client's owner."""
    factory = UpdateFactory(clock=clock.now)
    users = {}
    updates = []
    for text, client_id, _ in messages:
        owner = owners[client_id]
        if owner not in users:
            users[owner] = factory.user(manager_telegram_id(owner), f"Менеджер {owner}")
        updates.append(factory.message(users[owner], text))
    return updates


async def _feed(dp: Dispatcher, bot: Bot, updates: list[Update]) -> tuple[list[float], float]:
    """Feed the updates one after another; per-update latencies (ms) and the wall time (s)."""
    samples = []
    started = time.perf_counter()
    for update in updates:
        before = time.perf_counter()
        await dp.feed_update(bot, update)
        samples.append((time.perf_counter() - before) * 1000)
    return samples, time.perf_counter() - started


def _settings(path: Path) -> Settings:
    return Settings(
        _env_file=None,
        bot_token=None,
        database_url=database_url(path),
        head_ids=(HEAD_TELEGRAM_ID,),
        default_timezone="Europe/Moscow",
        default_language="ru",
    )


async def _ours(path: Path, warm_up: list[Update], updates: list[Update]) -> dict[str, Any]:
    settings = _settings(path)
    engine = create_engine(settings.database_url)
    clock = ManualClock(BENCH_NOW)
    try:
        dp = create_dispatcher(settings, create_session_factory(engine), clock)
        settle_after_start(BENCH_NOW)  # as the bot does once it has started
        recorder = RecordingSession()
        bot = create_bot(settings, session=recorder, token=OFFLINE_TOKEN)
        started = time.perf_counter()
        await dp.feed_update(bot, warm_up[0])
        cold_ms = (time.perf_counter() - started) * 1000
        await _feed(dp, bot, warm_up[1:])
        recorder.clear()
        samples, seconds = await _feed(dp, bot, updates)
    finally:
        await engine.dispose()
    return {
        "samples": samples,
        "seconds": seconds,
        "cold_ms": cold_ms,
        "answers": _answers(recorder, len(updates)),
    }


def _answers(recorder: RecordingSession, updates: int) -> dict[str, int]:
    """What the bot answered: the card to confirm, a question, a choice of clients, …"""
    kinds: Counter[str] = Counter()
    for call in recorder.sent(SendMessage):
        text = call.text or ""
        if "💾" in str(call.reply_markup):
            kinds["confirmation card"] += 1
        elif "Создать" in str(call.reply_markup) or "не наш" in text:
            kinds["client not found: offer to create"] += 1
        elif "'lg:client:" in str(call.reply_markup):
            kinds["choice of clients"] += 1
        else:
            kinds["question (goal, result, outcome…)"] += 1
    kinds["updates without an answer"] = max(0, updates - len(recorder.sent(SendMessage)))
    return dict(kinds)


async def _infrastructure(
    path: Path, warm_up: list[Update], updates: list[Update]
) -> dict[str, Any]:
    """Where the time goes: Touchbase's dispatcher as built for production (middlewares,
    transaction, member lookup, conversation state in the database) with one handler that only
    echoes (no parser, no client lookup)."""
    settings = _settings(path)
    engine = create_engine(settings.database_url)
    clock = ManualClock(BENCH_NOW)
    try:
        router = Router(name="infrastructure")

        @router.message(StateFilter(None), F.text)
        async def echo(message: Message) -> None:
            await message.answer(message.text or "")

        dp = create_dispatcher(settings, create_session_factory(engine), clock, routers=[router])
        settle_after_start(BENCH_NOW)
        bot = create_bot(settings, session=RecordingSession(), token=OFFLINE_TOKEN)
        await _feed(dp, bot, warm_up)
        samples, seconds = await _feed(dp, bot, updates)
    finally:
        await engine.dispose()
    return {"samples": samples, "seconds": seconds}


async def _echo(warm_up: list[Update], updates: list[Update]) -> dict[str, Any]:
    router = Router(name="echo")

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    dp = Dispatcher()
    dp.include_router(router)
    # As in Touchbase, the magic filter runs on the loop, not in a thread: the floor is aiogram
    # at its fastest.
    run_checks_inline(dp)
    settle_after_start(BENCH_NOW)
    bot = Bot(OFFLINE_TOKEN, session=RecordingSession())
    await _feed(dp, bot, warm_up)
    samples, seconds = await _feed(dp, bot, updates)
    return {"samples": samples, "seconds": seconds}


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def _run(count: int, seed: int) -> dict[str, Any]:
    base = await ensure_base(UPDATES_BASE)
    path = working_copy(base, "updates")
    candidates, owners = _candidates(path)
    rng = random.Random(seed)
    messages = generate_messages(candidates, count + WARM_UP, rng)
    clock = ManualClock(BENCH_NOW)
    warm_up, timed = messages[:WARM_UP], messages[WARM_UP:]
    ours = await _ours(path, _updates(warm_up, owners, clock), _updates(timed, owners, clock))
    # A fresh copy: the run above left drafts and conversation state behind.
    path = working_copy(base, "updates")
    infrastructure = await _infrastructure(
        path, _updates(warm_up, owners, clock), _updates(timed, owners, clock)
    )
    echo = await _echo(_updates(warm_up, owners, clock), _updates(timed, owners, clock))
    path.unlink(missing_ok=True)
    return {
        "ours": ours,
        "infrastructure": infrastructure,
        "echo": echo,
        "clients": len(candidates),
        "managers": len(set(owners.values())),
    }


def main() -> None:
    """Build the inputs, run both bots, print the summary."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20261118)
    args = parser.parse_args()
    result = asyncio.run(_run(args.messages, args.seed))
    ours, echo = result["ours"], result["echo"]
    samples = ours["samples"]
    rate = len(samples) / ours["seconds"]
    echo_rate = len(echo["samples"]) / echo["seconds"]
    p50, p95, p99 = (_percentile(samples, share) for share in (0.5, 0.95, 0.99))
    print(
        f"base: {result['managers']} managers, {result['clients']:,} clients; "
        f"{len(samples)} messages, one after another"
    )
    print(f"first update (cold: dictionaries, caches): {ours['cold_ms']:.0f} ms")
    print(
        f"Touchbase: {rate:.0f} updates/s, p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
        f"p99 {p99:.1f} ms, max {max(samples):.1f} ms"
    )
    print(f"echo bot:  {echo_rate:.0f} updates/s, p50 {statistics.median(echo['samples']):.2f} ms")
    infrastructure = result["infrastructure"]
    print(
        "same middlewares, transaction and conversation state with an echoing handler: "
        f"{len(infrastructure['samples']) / infrastructure['seconds']:.0f} updates/s, "
        f"p50 {statistics.median(infrastructure['samples']):.2f} ms"
    )
    print("answers: " + ", ".join(f"{kind} {count}" for kind, count in ours["answers"].items()))
    print(
        json.dumps(
            {
                "updates": len(samples),
                "updates_per_s": round(rate, 1),
                "p50_ms": round(p50, 2),
                "p95_ms": round(p95, 2),
                "p99_ms": round(p99, 2),
                "echo_updates_per_s": round(echo_rate, 1),
                "ratio": round(rate / echo_rate, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
