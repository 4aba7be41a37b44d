"""Delivery pacing: 600 messages to 600 chats through a Bot API stub that enforces the limits.

Run `python -m benchmarks.delivery [--messages N] [--failure-rate 0.02] [--rounds 3]`. A local
Bot API stub (aiohttp on 127.0.0.1, a free port) answers `sendMessage` like Telegram does under
load: more than 30 accepted messages in any second, or a second message to one chat within a
second, get 429 with `retry_after`; 2% of calls (drawn at random) fail with 500. The real
`Deliverer` (`Deliverer.from_settings`, so at the configured 28 msg/s) sends the outbox of a
fresh SQLite database — 600 due digests, one per member — through a real `Bot` whose
TELEGRAM_API_URL points at the stub, run after run as the clock would, until nothing is left.

Each round draws its faults from its own seed (`--seed`, +1 per round): a fault among the last
calls, or a retry that fails again, lengthens a round by its backoff, so the median of a few
rounds is reported. Prints what the stub saw and what the deliverer did per round, and as the
last line a JSON object {"messages", "seconds", "floor_seconds", "lost", "duplicated", ...}:
`seconds` is the median round, `lost` and `duplicated` count over all rounds, `floor_seconds`
is messages / 30, the best Telegram's overall limit allows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import func, select

from benchmarks.base import database_url, fresh_database
from bot.app import create_bot
from bot.settings import Settings
from models import Member, Outbox
from models.enums import Role
from models.session import create_engine, create_session_factory
from scheduler import outbox
from scheduler.delivery import Deliverer, DeliveryReport
from scheduler.outbox import SessionFactory

TOKEN = "42:BENCH-delivery-stub-token"
OVERALL_PER_SECOND = 30
PER_CHAT_INTERVAL = 1.0
_TEXT = (
    "☀️ <b>Доброе утро! План на ср, 18 ноября</b>\nСегодня: 6 касаний, просрочено: 2\n\n"
    + "\n\n".join(
        f"{n}. <b>ООО «Ромашка {n}»</b> — Иван Петров\n🎯 Плановое касание: узнать, как дела\n"
        "🕐 окно клиента 10:00–18:00 · звонок · +7 912 345-67-89"
        for n in range(1, 7)
    )
)


@dataclass
class BotApiStub:
    """Telegram's limits, as a local server: 429 over 30/s overall or 1/s per chat, some 5xx."""

    failure_rate: float
    rng: random.Random
    accepted: Counter[int] = field(default_factory=Counter)
    answers: Counter[int] = field(default_factory=Counter)
    recent: deque[float] = field(default_factory=deque)
    last_in_chat: dict[int, float] = field(default_factory=dict)
    first_at: float | None = None
    last_at: float | None = None

    async def handle(self, request: web.Request) -> web.Response:
        """`/bot<token>/<method>`: sendMessage under the limits, anything else answered ok."""
        if request.match_info["method"] != "sendMessage":
            return web.json_response({"ok": True, "result": True})
        form = await request.post()
        chat_id = int(str(form["chat_id"]))
        now = time.monotonic()
        if self.rng.random() < self.failure_rate:
            return self._answer(500, {"description": "Internal Server Error"})
        while self.recent and self.recent[0] <= now - 1.0:
            self.recent.popleft()
        if len(self.recent) >= OVERALL_PER_SECOND:
            return self._too_many(self.recent[0] + 1.0 - now)
        last = self.last_in_chat.get(chat_id)
        if last is not None and now - last < PER_CHAT_INTERVAL:
            return self._too_many(last + PER_CHAT_INTERVAL - now)
        self.recent.append(now)
        self.last_in_chat[chat_id] = now
        self.accepted[chat_id] += 1
        self.first_at = self.first_at if self.first_at is not None else now
        self.last_at = now
        self.answers[200] += 1
        message = {
            "message_id": sum(self.accepted.values()),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "text": str(form.get("text", "")),
        }
        return web.json_response({"ok": True, "result": message})

    def _too_many(self, wait: float) -> web.Response:
        # Telegram gives whole seconds, at least one.
        retry_after = max(1, round(wait + 0.5))
        return self._answer(
            429,
            {
                "description": f"Too Many Requests: retry after {retry_after}",
                "parameters": {"retry_after": retry_after},
            },
        )

    def _answer(self, status: int, body: dict[str, Any]) -> web.Response:
        self.answers[status] += 1
        return web.json_response({"ok": False, "error_code": status, **body}, status=status)


async def _seed(session_factory: SessionFactory, count: int, now: datetime) -> None:
    """`count` members, each with one digest due now."""
    async with session_factory.begin() as session:
        members = [
            Member(
                telegram_id=9_000_000 + number,
                full_name=f"Менеджер {number}",
                role=Role.MANAGER,
                timezone="Europe/Moscow",
                language="ru",
                created_at=now,
            )
            for number in range(1, count + 1)
        ]
        session.add_all(members)
        await session.flush()
        for member in members:
            await outbox.enqueue(
                session,
                outbox.outbox_row(
                    member=member,
                    kind="digest",
                    dedupe_key=f"digest:{member.id}:bench",
                    payload={
                        "text": _TEXT,
                        "buttons": [
                            [{"text": "📇 Карточка", "callback_data": f"card:{member.id}"}]
                        ],
                    },
                    not_before=now - timedelta(seconds=1),
                    expires_at=now + timedelta(hours=1),
                    now=now,
                ),
            )


async def _run(count: int, failure_rate: float, seed: int) -> dict[str, Any]:
    stub = BotApiStub(failure_rate, random.Random(seed))
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", stub.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]

    path = await fresh_database("delivery")
    engine = create_engine(database_url(path))
    session_factory = create_session_factory(engine)
    settings = Settings(
        _env_file=None,
        bot_token=None,
        database_url=database_url(path),
        telegram_api_url=f"http://127.0.0.1:{port}",
    )
    bot = create_bot(settings, token=TOKEN)
    reports: list[DeliveryReport] = []
    try:
        await _seed(session_factory, count, datetime.now(UTC))
        deliverer = Deliverer.from_settings(bot, session_factory, settings)
        started = time.monotonic()
        # Run after run, as the clock's ticks would, until every row is settled.
        while await _unsettled(session_factory) and len(reports) < 10:
            reports.append(await deliverer.deliver_due(datetime.now(UTC)))
        seconds = time.monotonic() - started
        async with session_factory() as session:
            statuses = dict(
                (
                    await session.execute(
                        select(Outbox.status, func.count()).group_by(Outbox.status)
                    )
                ).all()
            )
    finally:
        await bot.session.close()
        await engine.dispose()
        await runner.cleanup()
        path.unlink(missing_ok=True)
    return {
        "stub": stub,
        "seconds": seconds,
        "reports": reports,
        "statuses": statuses,
        "rate": settings.send_rate_per_second,
    }


async def _unsettled(session_factory: SessionFactory) -> int:
    async with session_factory() as session:
        count = await session.scalar(
            select(func.count()).where(Outbox.status.in_((outbox.PENDING, outbox.SENDING)))
        )
    return int(count or 0)


def _round(number: int, messages: int, failure_rate: float, seed: int) -> dict[str, Any]:
    """One delivery of the whole outbox, with its own stub and database; prints its lines."""
    result = asyncio.run(_run(messages, failure_rate, seed))
    stub: BotApiStub = result["stub"]
    reports: list[DeliveryReport] = result["reports"]
    floor = messages / OVERALL_PER_SECOND
    delivered = len(stub.accepted)
    lost = messages - delivered
    duplicated = sum(count - 1 for count in stub.accepted.values())
    answers = ", ".join(f"{status}: {count}" for status, count in sorted(stub.answers.items()))
    runs = "; ".join(
        f"sent {report.sent}, retried {report.retried}, rate-limited {report.rate_limited}, "
        f"failed {report.failed}"
        for report in reports
    )
    print(f"round {number} (seed {seed}): stub answers {answers}; deliverer runs: {runs}")
    print(
        f"  delivered {delivered}/{messages} in {result['seconds']:.2f} s "
        f"(×{result['seconds'] / floor:.3f} the floor); lost {lost}, duplicated {duplicated}; "
        f"outbox {result['statuses']}"
    )
    return {
        "seconds": result["seconds"],
        "lost": lost,
        "duplicated": duplicated,
        "rate_limited": stub.answers[429],
        "server_errors": stub.answers[500],
        "rate": result["rate"],
    }


def main() -> None:
    """Start the stub, seed the outbox, deliver; a few rounds; print the summary."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--failure-rate", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=20261118)
    parser.add_argument("--rounds", type=int, default=3, help="the median round is reported")
    args = parser.parse_args()
    floor = args.messages / OVERALL_PER_SECOND
    print(
        f"{args.messages} digests to {args.messages} chats; stub: {OVERALL_PER_SECOND}/s "
        f"overall, 1/s per chat, {args.failure_rate:.0%} of calls 5xx; floor {floor:.1f} s"
    )
    rounds = [
        _round(number, args.messages, args.failure_rate, args.seed + number - 1)
        for number in range(1, args.rounds + 1)
    ]
    median = statistics.median(result["seconds"] for result in rounds)
    lost = sum(result["lost"] for result in rounds)
    duplicated = sum(result["duplicated"] for result in rounds)
    print(
        f"deliverer at {rounds[0]['rate']:g} msg/s: median {median:.2f} s "
        f"(×{median / floor:.3f} the floor) over {len(rounds)} rounds; "
        f"lost {lost}, duplicated {duplicated} in all"
    )
    print(
        json.dumps(
            {
                "messages": args.messages,
                "seconds": round(median, 2),
                "floor_seconds": round(floor, 2),
                "lost": lost,
                "duplicated": duplicated,
                "ratio_to_floor": round(median / floor, 3),
                "rounds": [round(result["seconds"], 2) for result in rounds],
                "rate_limited": sum(result["rate_limited"] for result in rounds),
                "server_errors": sum(result["server_errors"] for result in rounds),
            }
        )
    )


if __name__ == "__main__":
    main()
