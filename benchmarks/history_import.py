"""/import of a contact history: the demo base's export into another base, and a generated
history sheet of 5,000 rows over 1,000 clients already in the base, in an SQLite file.

Run `python -m benchmarks.history_import [--rows N] [--clients N] [--seed N]`. Each import is
timed as the bot does it, in wall and CPU seconds: reading the file and the preview when it
arrives, then reading, the preview again and the write when «Импортировать» is pressed; then the
same file once more (all of it already present). The last line is a JSON object for scripts.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import func, select

import models
from models import Interaction, Member
from models.enums import Role
from models.session import create_engine, create_session_factory
from services import exporter, importer
from services.demo import load_demo

NOW = datetime(2026, 11, 18, 7, 30, tzinfo=UTC)
_GOALS = ("предложить новый прайс", "продлить договор", "напомнить об оплате", "уточнить остатки")
_RESULTS = ("договорились о встрече", "не дозвонился", "думают до пятницы", "отказались, дорого")
_CHANNELS = ("Звонок", "Встреча", "E-mail", "WhatsApp")


def _workbook(rows: list[list[Any]], title: str) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def generated(clients: int, rows: int, seed: int) -> tuple[bytes, bytes]:
    """A clients sheet and a history sheet over them, as a team would bring from Excel."""
    rng = random.Random(seed)
    names = [f"Клиент {number:05d}" for number in range(clients)]
    base = _workbook(
        [["Клиент", "Телефон"]]
        + [[name, f"+7912{number:07d}"] for number, name in enumerate(names)],
        "Клиенты",
    )
    history: list[list[Any]] = [["Дата", "Клиент", "Цель", "Результат", "Канал", "Менеджер"]]
    start = NOW.replace(tzinfo=None) - timedelta(days=365)
    for _ in range(rows):
        moment = start + timedelta(minutes=rng.randrange(365 * 24 * 60 - 60 * 24))
        history.append(
            [moment.replace(second=0), rng.choice(names), rng.choice(_GOALS),
             rng.choice(_RESULTS), rng.choice(_CHANNELS), "Ольга"]
        )  # fmt: skip
    return base, _workbook(history, "История")


async def _import(factory: Any, content: bytes, name: str) -> dict[str, Any]:
    """Import a file as the head would, timing each step in its own transaction."""
    timings: dict[str, Any] = {}
    async with factory.begin() as session:
        head = await session.scalar(select(Member).where(Member.role == Role.HEAD))
        assert head is not None
        started, cpu = time.perf_counter(), time.process_time()
        table = importer.read_table(content, name)
        preview = await importer.preview_import(session, head, table, head, now=NOW)
        timings["preview_s"] = round(time.perf_counter() - started, 2)
        timings["preview_cpu_s"] = round(time.process_time() - cpu, 2)
    async with factory.begin() as session:
        head = await session.scalar(select(Member).where(Member.role == Role.HEAD))
        assert head is not None
        started, cpu = time.perf_counter(), time.process_time()
        table = importer.read_table(content, name)
        preview = await importer.preview_import(session, head, table, head, now=NOW)
        await importer.apply_import(session, preview, NOW)
        timings["confirm_s"] = round(time.perf_counter() - started, 2)
        timings["confirm_cpu_s"] = round(time.process_time() - cpu, 2)
    timings.update(
        clients=len(preview.new),
        interactions=len(preview.interactions),
        present=preview.history_present,
        errors=len(preview.history_errors),
    )
    return timings


async def _fresh(path: Path) -> Any:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    async with engine.begin() as connection:
        await connection.run_sync(models.Base.metadata.create_all)
    return engine


async def run(clients: int, rows: int, seed: int) -> dict[str, Any]:
    """Both measures; what each import brought in and how long it took."""
    found: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        source = await _fresh(Path(folder) / "demo.db")
        async with create_session_factory(source).begin() as session:
            await load_demo(session, now=NOW, timezone="Europe/Moscow")
            head = await session.scalar(select(Member).where(Member.role == Role.HEAD))
            assert head is not None
            export = await exporter.export_workbook(session, head, NOW)
        await source.dispose()
        engine = await _fresh(Path(folder) / "base.db")
        factory = create_session_factory(engine)
        async with factory.begin() as session:
            session.add(
                Member(telegram_id=1, full_name="Ольга", role=Role.HEAD, is_active=True,
                       timezone="Europe/Moscow", language="ru", created_at=NOW)
            )  # fmt: skip
        found["demo_export"] = await _import(factory, export.content, export.filename)
        found["demo_export_again"] = await _import(factory, export.content, export.filename)
        base, history = generated(clients, rows, seed)
        found["clients"] = await _import(factory, base, "clients.xlsx")
        found["history"] = await _import(factory, history, "history.xlsx")
        found["history_again"] = await _import(factory, history, "history.xlsx")
        async with factory() as session:
            found["stored"] = await session.scalar(select(func.count()).select_from(Interaction))
        await engine.dispose()
    return found


def main() -> None:
    """Run and print: a line per import, then the JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    found = asyncio.run(run(args.clients, args.rows, args.seed))
    for name, value in found.items():
        print(f"{name}: {value}")
    print(json.dumps(found, ensure_ascii=False))


if __name__ == "__main__":
    main()
