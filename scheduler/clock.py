"""The clock: one APScheduler job that ticks every minute (and at start-up) and runs the jobs.

A job is `async def job(now: datetime) -> None`. The planner registers its jobs first and the
delivery job last, so what a tick plans is sent in the same tick. Each job runs in turn and a
failing job is logged without stopping the others; the console runs the same `tick` against a
manual clock to move time forward.

Between ticks, an update that queued messages (a handover's notice) asks for them at once:
`wake` runs the on-demand jobs (delivery) in the background, never beside a running tick — one
that is running runs them once more at its end instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from services.clock import Clock

log = logging.getLogger(__name__)

Job = Callable[[datetime], Awaitable[None]]

TICK_JOB_ID = "clock:tick"
DEFAULT_TICK = timedelta(minutes=1)


@dataclass(frozen=True)
class NamedJob:
    """A clock job with a stable name for the logs, and how to ask it to wind down early."""

    name: str
    run: Job
    stop: Callable[[], None] | None = None
    # Also run by `Ticker.wake`, between ticks (delivery).
    on_demand: bool = False


class Ticker:
    """The ordered list of clock jobs and the tick that runs them at one "now"."""

    def __init__(self, clock: Clock, jobs: Iterable[NamedJob] = ()) -> None:
        self.clock = clock
        self.jobs: list[NamedJob] = list(jobs)
        self.stopping = False
        self._idle = asyncio.Event()
        self._idle.set()
        # One turn at a time: a tick, or the on-demand jobs between ticks.
        self._turn = asyncio.Lock()
        self._again = False
        self._woken: set[asyncio.Task[None]] = set()

    def register(
        self,
        name: str,
        job: Job,
        *,
        first: bool = False,
        stop: Callable[[], None] | None = None,
        on_demand: bool = False,
    ) -> None:
        """Add a job; `first=True` puts it before the others (planning before delivery);
        `on_demand=True` lets `wake` run it between ticks."""
        named = NamedJob(name, job, stop, on_demand)
        if first:
            self.jobs.insert(0, named)
        else:
            self.jobs.append(named)

    async def tick(self) -> None:
        """Run every job once, in order, at one `now`; a failure does not stop the rest."""
        await self._take_turn(self.jobs)

    async def run_on_demand(self) -> None:
        """Run the on-demand jobs now; while a turn is running, once more at its end."""
        if self._turn.locked():
            self._again = True
            return
        await self._take_turn([job for job in self.jobs if job.on_demand])

    async def wake(self) -> None:
        """`run_on_demand` in the background: the update that queued the messages does not
        wait for Telegram."""
        if self.stopping:
            return
        task = asyncio.get_running_loop().create_task(self.run_on_demand())
        self._woken.add(task)
        task.add_done_callback(self._woken.discard)

    async def _take_turn(self, jobs: list[NamedJob]) -> None:
        if self.stopping:
            return
        async with self._turn:
            if self.stopping:
                return
            self._idle.clear()
            try:
                self._again = False
                await self._run(jobs)
                while self._again and not self.stopping:
                    self._again = False
                    await self._run([job for job in self.jobs if job.on_demand])
            finally:
                self._idle.set()

    async def _run(self, jobs: list[NamedJob]) -> None:
        now = self.clock.now()
        for job in jobs:
            if self.stopping:
                break
            try:
                await job.run(now)
            except Exception:
                log.exception("clock job %s failed", job.name)

    async def stop(self, timeout: float = 30.0) -> bool:
        """Let the running tick finish (jobs with `stop` wind down early); no new ticks start.

        For the dispatcher's shutdown hook, before the bot session and the engine close.
        Returns False when the tick was still running after `timeout` seconds.
        """
        self.stopping = True
        for job in self.jobs:
            if job.stop is not None:
                job.stop()
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            log.warning("clock: a tick was still running at shutdown")
            return False
        return True


def create_scheduler(
    ticker: Ticker, *, every: timedelta = DEFAULT_TICK, run_at_start: bool = True
) -> AsyncIOScheduler:
    """An AsyncIOScheduler (UTC) with the tick job; start it from the dispatcher's startup hook.

    `coalesce` and `max_instances=1`: a tick that overruns is not stacked, missed ticks after a
    pause collapse into one.
    """
    scheduler = AsyncIOScheduler(timezone=UTC)
    # Without next_run_time the first tick comes one interval after start; None would pause it.
    first_run: dict[str, Any] = {"next_run_time": datetime.now(UTC)} if run_at_start else {}
    scheduler.add_job(
        ticker.tick,
        trigger=IntervalTrigger(seconds=every.total_seconds(), timezone=UTC),
        id=TICK_JOB_ID,
        name="clock tick",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=int(every.total_seconds()),
        replace_existing=True,
        **first_run,
    )
    return scheduler
