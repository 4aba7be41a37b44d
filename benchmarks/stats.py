"""`/team month` over the benchmark base: what a head waits for, 20 runs.

Run `python -m benchmarks.stats [--scale 1.0] [--runs 20]`. On a working copy of the base that
`benchmarks.digest` uses (500 managers, 100,000 clients, 1,000,000 interactions at 1.0) the
head asks for the month to date at `BENCH_NOW`, exactly as the handler does: the report's SQL
aggregates (`services.stats.team_report`), the text tables (`render_team`) and the PNG chart
(`charts.team_chart`). One warm-up run is not counted (the first run pays for imports and the
page cache).

Prints one line per run, then as the last line a JSON object {"interactions", "p50_ms",
"p95_ms", ...}: p50/p95 are the time until the tables are ready to send (the SQL aggregates and
the text — what the head reads first); `chart_p95_ms` is the chart, which the handler draws in
a worker thread while the tables are being sent; `full_p95_ms` is both one after the other (the
worst case, with no overlap at all).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from benchmarks.base import (
    BENCH_NOW,
    HEAD_TELEGRAM_ID,
    database_url,
    ensure_base,
    working_copy,
)
from bot.i18n import translator
from bot.runner import settle_after_start
from handlers.stats import chart_texts, period_label
from models import Interaction, Member
from models.session import create_engine, create_session_factory
from services import charts, periods, stats
from services.digest import local_today


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def _measure(path: Path, runs: int) -> dict[str, Any]:
    engine = create_engine(database_url(path))
    session_factory = create_session_factory(engine)
    tr = translator("ru")
    totals: list[float] = []
    reports: list[float] = []
    drawings: list[float] = []
    try:
        async with session_factory() as session:
            interactions = await session.scalar(select(func.count()).select_from(Interaction))
            head = await session.scalar(
                select(Member).where(Member.telegram_id == HEAD_TELEGRAM_ID)
            )
            assert head is not None, "the benchmark base has no head"
            period = periods.parse_period("month", local_today(head, BENCH_NOW))
            label = period_label(tr, period)
            for run in range(runs + 1):
                started = time.perf_counter()
                report = await stats.team_report(session, head, period, BENCH_NOW)
                stats.render_team(report, tr, tr("stats.team_title", period=label))
                reported = time.perf_counter()
                texts = chart_texts(
                    tr, tr("stats.chart_title_team", period=label), "stats.chart_achieved"
                )
                hidden = len(report.rows) - charts.MAX_ROWS
                if hidden > 0:
                    texts = replace(texts, more=tr("stats.chart_more", count=hidden))
                png = charts.team_chart(report.rows, texts)
                finished = time.perf_counter()
                if run == 0:
                    print(
                        f"warm-up: {(finished - started) * 1000:.0f} ms, "
                        f"{len(report.rows)} managers, "
                        f"{report.total.interactions} interactions in the period, "
                        f"chart {len(png) // 1024} KB"
                    )
                    continue
                totals.append((finished - started) * 1000)
                reports.append((reported - started) * 1000)
                drawings.append((finished - reported) * 1000)
                print(
                    f"run {run:2d}: tables {reports[-1]:4.0f} ms, chart {drawings[-1]:4.0f} ms, "
                    f"both {totals[-1]:4.0f} ms"
                )
    finally:
        await engine.dispose()
    return {
        "interactions": interactions,
        "runs": runs,
        "p50_ms": round(statistics.median(reports), 1),
        "p95_ms": round(_percentile(reports, 0.95), 1),
        "chart_p50_ms": round(statistics.median(drawings), 1),
        "chart_p95_ms": round(_percentile(drawings, 0.95), 1),
        "full_p50_ms": round(statistics.median(totals), 1),
        "full_p95_ms": round(_percentile(totals, 0.95), 1),
    }


def main() -> None:
    """Build or reuse the base, then time `/team month` on a working copy of it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    base = asyncio.run(ensure_base(args.scale))
    copy = working_copy(base, "stats")
    settle_after_start(BENCH_NOW)  # as the bot does once it has started
    figures = asyncio.run(_measure(copy, args.runs))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
