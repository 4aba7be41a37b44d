"""SIGKILL mid-batch, measured: how often a digest arrives twice, and that none is lost.

Run `python -m benchmarks.crash [--kills 20] [--imports] [--postgres URL] [--seed N]` from the
repository root. A chain of bot processes (tests/crash_worker.py: the production clock and
delivery, HTTP to a local Bot API stand-in, tests/fake_bot_api.py) sends the morning digests of
`30 × kills + 100` members; each process is killed with SIGKILL at a random moment (0.2–1.5 s
after it began sending, not timed to a send) and the next, already loaded, takes over after the
dead one's lease ran out. The last one finishes the batch.

A digest can arrive twice only when Telegram accepted it and the process died before recording
that: the row is still `sending` at the kill, and the next process sends it again. The benchmark
counts those rows ("in window") and the duplicates that arrived, and checks that nothing was
lost. The last line is a JSON object {"kills", "messages", "duplicates", "in_window", "lost",
"duplicates_per_kill", ...}. `--postgres URL` drops and recreates the tables there (use a
scratch database); the default is an SQLite file in a temporary directory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import func, select

import models
from models import Outbox
from models.session import create_engine, create_session_factory
from tests.crash_worker import FIRST_CHAT, Worker, seed
from tests.fake_bot_api import FakeBotAPI


async def _rows(url: str) -> tuple[dict[str, int], set[int]]:
    """Rows per status, and the chats of rows still `sending`."""
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session:
            counted = await session.execute(
                select(Outbox.status, func.count()).group_by(Outbox.status)
            )
            statuses: dict[str, int] = dict(counted.all())
            sending = set(
                await session.scalars(select(Outbox.chat_id).where(Outbox.status == "sending"))
            )
    finally:
        await engine.dispose()
    return statuses, sending


async def _wait(what: str, check: Callable[[], Awaitable[bool]], timeout: float) -> None:
    """Poll `check` until it holds."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            msg = f"timed out waiting for {what}"
            raise TimeoutError(msg)
        await asyncio.sleep(0.02)


async def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(models.Base.metadata.drop_all)
            await connection.run_sync(models.Base.metadata.create_all)
    finally:
        await engine.dispose()


async def measure(
    kills: int, *, imports: bool, postgres: str | None, rng: random.Random
) -> dict[str, object]:
    """Run the chain; the numbers for the report."""
    members = 30 * kills + 100
    with tempfile.TemporaryDirectory(prefix="touchbase-crash-") as folder:
        log = Path(folder) / "workers.log"
        if postgres:
            await _reset_postgres(postgres)
            url = postgres
            await seed(url, members, create_schema=False)
        else:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'crash.db'}"
            await seed(url, members)
        in_window: set[int] = set()
        started = time.monotonic()
        async with FakeBotAPI() as api:
            # Two loaded processes wait ahead of the one sending; all are killed at the end.
            spawned = [await Worker.spawn(url, api.url, log, imports=imports) for _ in range(2)]
            ahead = list(spawned)
            try:
                for restart in range(kills):
                    worker = ahead.pop(0)
                    ahead.append(await Worker.spawn(url, api.url, log, imports=imports))
                    spawned.append(ahead[-1])
                    before = len(api.sent)
                    await worker.loaded(timeout=120)
                    await worker.go(restart)

                    async def sending(before: int = before) -> bool:
                        return len(api.sent) > before

                    await _wait("the first send", sending, timeout=60)
                    await asyncio.sleep(rng.uniform(0.2, 1.5))
                    await worker.kill()
                    _, unsent = await _rows(url)
                    in_window |= unsent & set(api.per_chat())
                    print(
                        f"kill {restart + 1}/{kills}: {len(api.sent)} messages so far, "
                        f"{len(unsent & set(api.per_chat()))} sent but unrecorded"
                    )
                last = ahead[0]
                await last.loaded(timeout=120)
                await last.go(kills)

                async def finished() -> bool:
                    # Every row settled: sent, or given up (a loss the report counts).
                    statuses, _ = await _rows(url)
                    return not {"pending", "sending"} & set(statuses)

                await _wait("the last digest", finished, timeout=300)
            finally:
                for worker in spawned:
                    await worker.kill()
        seconds = time.monotonic() - started
        chats = api.per_chat()
        expected = {FIRST_CHAT + number for number in range(members)}
        duplicates = sum(count - 1 for count in chats.values())
        doubled = {chat for chat, count in chats.items() if count > 1}
        statuses, _ = await _rows(url)
    return {
        "kills": kills,
        "messages": members,
        "database": "postgresql" if postgres else "sqlite",
        "imports": imports,
        "duplicates": duplicates,
        "in_window": len(in_window),
        "doubled_outside_window": len(doubled - in_window),
        "lost": len(expected - set(chats)),
        "rows": statuses,
        "duplicates_per_kill": round(duplicates / kills, 3),
        "seconds": round(seconds, 1),
    }


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.crash")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--imports", action="store_true", help="import clients meanwhile")
    parser.add_argument("--postgres", help="a scratch PostgreSQL URL (its tables are dropped)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    result = asyncio.run(
        measure(
            args.kills, imports=args.imports, postgres=args.postgres, rng=random.Random(args.seed)
        )
    )
    print(
        f"{result['kills']} kills over {result['messages']} digests ({result['database']}): "
        f"{result['duplicates']} arrived twice, {result['in_window']} were sent but unrecorded "
        f"at a kill, {result['lost']} lost, in {result['seconds']} s"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
