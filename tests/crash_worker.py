"""A bot process to kill: the production clock and delivery against a database and a Bot API.

`python -m tests.crash_worker DATABASE_URL API_URL [--imports]` loads, prints «loaded», waits
for a START time (ISO) on its standard input, then wires the clock exactly as bot.runner does
(`create_ticker` on APScheduler, ticking every second here instead of every minute) and runs
until it is killed. Loading takes seconds, so the tests start the next process while the
current one is still sending: a warm standby that takes over at once. The clock starts at START
and moves with real time, so a restart "later" is a restart with a later START: the dead
process's claims have run out by then.
With `--imports` it also imports a batch of clients every few hundred milliseconds, each batch
one all-or-nothing transaction, so a kill can land in the middle of one.

`seed` builds the database the worker expects: members whose morning digest is due at START,
and the member the imports go to, off on Wednesdays (START's day): the first calls to the
imported clients are planned for Thursday, so the digests are all there is to send. `Worker`
drives one such process from outside. The crash test and benchmarks/crash.py use them.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

from sqlalchemy import select

import models
from bot.app import create_bot, create_ticker
from bot.offline import OFFLINE_TOKEN
from bot.settings import Settings
from models import Member
from models.enums import Role
from models.session import create_engine, create_session_factory
from scheduler.clock import create_scheduler
from services import importer

# 10:00 in Moscow on a Wednesday: every member's 09:00 digest is due.
START = datetime(2026, 11, 18, 7, 0, tzinfo=UTC)
# Past the 5-minute lease: a worker started at START + n × RESTART_GAP takes over dead claims.
RESTART_GAP = timedelta(minutes=6)
FIRST_CHAT = 700_000
# The member the imports go to: no digest and no first calls on START's Wednesday.
IMPORTER_CHAT = FIRST_CHAT - 1
IMPORT_BATCH = 25
IMPORT_PREFIX = "Импорт"


class ShiftedClock:
    """Real time, shifted to start at `start`: a restart may begin later than the crash."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.began = time.monotonic()

    def now(self) -> datetime:
        """`start` plus the real time since this process began."""
        return self.start + timedelta(seconds=time.monotonic() - self.began)


ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Worker:
    """A worker process seen from outside: spawned, loaded, started, then killed."""

    process: asyncio.subprocess.Process

    @classmethod
    async def spawn(cls, url: str, api: str, log: Path, *, imports: bool) -> Worker:
        """Start loading a worker (it waits for `go`); its stderr goes to `log`."""
        with log.open("ab") as handle:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.crash_worker",
                url,
                api,
                *(["--imports"] if imports else []),
                cwd=ROOT,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=handle,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
        return cls(process)

    async def loaded(self, timeout: float = 60) -> None:
        """Wait until its imports are done (it then waits for its start time)."""
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout=timeout)
        if line.strip() != b"loaded":
            msg = f"the worker did not load: {line!r}"
            raise RuntimeError(msg)

    async def go(self, restart: int) -> None:
        """Start its clock `restart` gaps after START."""
        assert self.process.stdin is not None
        start = START + restart * RESTART_GAP
        self.process.stdin.write(f"{start.isoformat()}\n".encode())
        await self.process.stdin.drain()

    async def kill(self) -> int:
        """SIGKILL: no cleanup, no shutdown hook, sockets and transactions cut."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
        return await self.process.wait()


async def seed(database_url: str, members: int, *, create_schema: bool = True) -> None:
    """Managers in Moscow, each with a digest due at START (and nothing else to send), and the
    importer, off that day."""
    engine = create_engine(database_url)
    try:
        if create_schema:
            async with engine.begin() as connection:
                await connection.run_sync(models.Base.metadata.create_all)
        async with create_session_factory(engine).begin() as session:
            session.add_all(
                Member(
                    telegram_id=FIRST_CHAT + number,
                    full_name=f"Менеджер {number}",
                    role=Role.MANAGER,
                    is_active=True,
                    timezone="Europe/Moscow",
                    work_start=clock_time(9, 0),
                    work_end=clock_time(18, 0),
                    work_days="01234",
                    digest_time=clock_time(9, 0),
                    language="ru",
                    created_at=START - timedelta(days=30),
                )
                for number in range(members)
            )
            session.add(
                Member(
                    telegram_id=IMPORTER_CHAT,
                    full_name="Импорт Четверговый",
                    role=Role.MANAGER,
                    is_active=True,
                    timezone="Europe/Moscow",
                    work_start=clock_time(9, 0),
                    work_end=clock_time(18, 0),
                    work_days="0134",
                    digest_time=clock_time(9, 0),
                    language="ru",
                    created_at=START - timedelta(days=30),
                )
            )
    finally:
        await engine.dispose()


def import_file(tag: str, batch: int) -> bytes:
    """A CSV of IMPORT_BATCH new clients named after the process and the batch."""
    lines = ["Клиент;Контакт;Email"]
    for number in range(IMPORT_BATCH):
        name = f"{IMPORT_PREFIX} {tag} {batch} {number}"
        lines.append(f"{name};Контакт {number};c{tag}-{batch}-{number}@crash.test")
    return "\n".join(lines).encode()


async def import_forever(database_url: str, clock: ShiftedClock, tag: str) -> None:
    """Import a batch of clients, pause a little, repeat: a kill lands inside one sometimes."""
    engine = create_engine(database_url)
    session_factory = create_session_factory(engine)
    for batch in itertools.count():
        async with session_factory.begin() as session:
            owner = await session.scalar(select(Member).where(Member.telegram_id == IMPORTER_CHAT))
            assert owner is not None
            table = importer.read_table(import_file(tag, batch), "crash.csv")
            preview = await importer.preview_import(session, owner, table, owner, now=clock.now())
            await importer.apply_import(session, preview, clock.now())
        await asyncio.sleep(0.2)


async def run(database_url: str, api_url: str, start: datetime, *, imports: bool) -> None:
    """Run the clock (and the imports) until killed."""
    settings = Settings(
        _env_file=None,
        bot_token=OFFLINE_TOKEN,
        database_url=database_url,
        telegram_api_url=api_url,
        send_rate_per_second=30,
    )
    engine = create_engine(settings.database_url)
    session_factory = create_session_factory(engine)
    clock = ShiftedClock(start)
    bot = create_bot(settings)
    worker = f"crash-worker:{os.getpid()}"
    ticker = create_ticker(bot, settings, session_factory, clock, worker=worker)
    scheduler = create_scheduler(ticker, every=timedelta(seconds=1))
    scheduler.start()
    tasks = []
    if imports:
        tasks.append(asyncio.create_task(import_forever(database_url, clock, str(os.getpid()))))
    await asyncio.Event().wait()


def main() -> None:
    """Command line: DATABASE_URL API_URL [--imports]; then START on standard input."""
    parser = argparse.ArgumentParser(prog="python -m tests.crash_worker")
    parser.add_argument("database_url")
    parser.add_argument("api_url")
    parser.add_argument("--imports", action="store_true")
    args = parser.parse_args()
    print("loaded", flush=True)  # noqa: T201 - the parent waits for it
    start = datetime.fromisoformat(sys.stdin.readline().strip())
    asyncio.run(run(args.database_url, args.api_url, start, imports=args.imports))


if __name__ == "__main__":
    main()
