"""The morning at scale: plan and render every member's digest for one day, and peak memory.

Run `python -m benchmarks.digest [--scales 0.1,1.0] [--rebuild]`. For each size of the
benchmark base (`benchmarks.base`: 500 managers, 100,000 clients, 200,000 contacts with key
dates, 1,000,000 interactions at 1.0) a fresh subprocess opens a working copy of the base and
runs the clock's planner jobs exactly as one tick at `BENCH_NOW` would: the daily planning
sweep, folding reminders, every member's digest (built, rendered, enqueued to the outbox), the
day's reminders and the blocked-members scan (delivery is `benchmarks.delivery`'s business).
At 10:30 Moscow time every member zone is inside its working day, so all digests fall due in
that one tick: the worst morning. A subprocess per size keeps the two peaks of `ru_maxrss`
apart.

Prints a line per job and size, and as the last line a JSON object {"managers", "clients",
"seconds", "peak_rss_mb", "scaling", ...}: `seconds` is planning + digests at full size (what the
issue times), `scaling` = that time at full size / (10 × at a tenth); `reminders_seconds` and
`tick_seconds` add the rest of the tick for the record.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from benchmarks.base import BENCH_NOW, BaseSpec, database_url, ensure_base, working_copy
from bot.runner import settle_after_start
from models import Member, Outbox
from models.session import create_engine, create_session_factory
from scheduler.jobs import planner_jobs

# What the issue times: the planning sweep and every member's digest, built, rendered and
# enqueued (folding comes before digests in the tick; it is part of what they read).
DIGEST_JOBS = ("planning", "reminders:fold", "digests")


async def _run_tick(path: Path) -> dict[str, Any]:
    """The planner's jobs of one tick on the base at `path`; seconds per job and totals."""
    engine = create_engine(database_url(path))
    session_factory = create_session_factory(engine)
    try:
        async with session_factory() as session:
            managers = await session.scalar(select(func.count()).select_from(Member))
        idle_rss = _peak_rss_mb()
        settle_after_start(BENCH_NOW)  # as the bot does once it has started
        jobs: dict[str, float] = {}
        cpu: dict[str, float] = {}
        for job in planner_jobs(session_factory):
            job_started, cpu_started = time.perf_counter(), time.process_time()
            await job.run(BENCH_NOW)
            jobs[job.name] = time.perf_counter() - job_started
            cpu[job.name] = time.process_time() - cpu_started
        async with session_factory() as session:
            rows = dict(
                (
                    await session.execute(select(Outbox.kind, func.count()).group_by(Outbox.kind))
                ).all()
            )
            digests = await session.scalar(
                select(func.count(func.distinct(Outbox.member_id))).where(Outbox.kind == "digest")
            )
    finally:
        await engine.dispose()
    return {
        "members": managers,
        "jobs": jobs,
        "cpu": cpu,
        "outbox": rows,
        "members_with_digest": digests,
        "idle_rss_mb": idle_rss,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _peak_rss_mb() -> float:
    # Linux reports ru_maxrss in kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(path: Path) -> None:
    print(json.dumps(asyncio.run(_run_tick(path))))


def _measure(scale: float, base: Path) -> dict[str, Any]:
    """Run the tick in a fresh interpreter on a working copy of the base."""
    copy = working_copy(base, f"digest-{scale:g}")
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.digest", "--child", str(copy)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    copy.unlink(missing_ok=True)
    return result


def main() -> None:
    """Seed (or reuse) the bases, time the tick at each size, print the summary."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", default="0.1,1.0", help="comma-separated base sizes")
    parser.add_argument("--rebuild", action="store_true", help="seed the bases anew")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        _child(args.child)
        return

    scales = sorted(float(scale) for scale in args.scales.split(","))
    results: dict[float, dict[str, Any]] = {}
    for scale in scales:
        started = time.perf_counter()
        base = asyncio.run(ensure_base(scale, rebuild=args.rebuild))
        print(f"base ×{scale:g}: {base} (ready in {time.perf_counter() - started:.1f} s)")
    for scale in scales:
        spec = BaseSpec.scaled(scale)
        result = _measure(scale, asyncio.run(ensure_base(scale)))
        jobs, cpu = result["jobs"], result["cpu"]
        result["seconds"] = sum(jobs[name] for name in DIGEST_JOBS)
        result["cpu_seconds"] = sum(cpu[name] for name in DIGEST_JOBS)
        results[scale] = result
        print(
            f"×{scale:g}: {spec.managers} managers, {spec.clients:,} clients, "
            f"{spec.interactions:,} interactions"
        )
        print(
            f"  planning + digests {result['seconds']:.2f} s "
            f"(CPU {result['cpu_seconds']:.2f} s); whole tick {sum(jobs.values()):.2f} s"
        )
        for name, seconds in jobs.items():
            print(f"    {name:<16} {seconds:7.2f} s  (CPU {cpu[name]:.2f} s)")
        print(
            f"  outbox: {result['outbox']}, members with a digest: {result['members_with_digest']}"
        )
        print(
            f"  peak RSS {result['peak_rss_mb']:.0f} MB "
            f"(after imports and opening: {result['idle_rss_mb']:.0f} MB)"
        )
    full = results[max(scales)]
    summary: dict[str, Any] = {
        "managers": BaseSpec.scaled(max(scales)).managers,
        "clients": BaseSpec.scaled(max(scales)).clients,
        "seconds": round(full["seconds"], 2),
        "peak_rss_mb": round(full["peak_rss_mb"], 1),
    }
    if len(scales) > 1:
        small, large = scales[0], scales[-1]
        summary["scaling"] = round(
            results[large]["seconds"] / (large / small * results[small]["seconds"]), 3
        )
        summary["tenth_seconds"] = round(results[small]["seconds"], 2)
        summary["tenth_peak_rss_mb"] = round(results[small]["peak_rss_mb"], 1)
    summary["reminders_seconds"] = round(full["jobs"]["reminders"], 2)
    summary["tick_seconds"] = round(sum(full["jobs"].values()), 2)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
