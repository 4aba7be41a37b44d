"""/import of a large client base: a 20,000-client workbook as a team brings it from amoCRM,
Bitrix24 or an Excel sheet, into an SQLite file holding a team and 1,000 clients already.

Run `python -m benchmarks.client_import [--clients N] [--runs N] [--profile]`. Each run works
on a fresh copy of the seeded base and goes the way the bot does: reading the file and the
preview when it arrives, then — on «Импортировать» — reading, the preview again, the write
(clients, contacts, birthdays, owner history, the planner's follow-up, first touches), the
audit entry and the owners' notices, each step in its own transaction, timed in wall and CPU
seconds. `--profile` runs pyinstrument over the confirmation of one more run and prints it.
The last line is a JSON object for scripts: every run, then the medians.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import random
import shutil
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from pyinstrument import Profiler
from sqlalchemy import func, select

import models
from models import Client, Member, Touch
from models.enums import Role
from models.session import create_engine, create_session_factory
from services import audit, importer, team, validation

NOW = datetime(2026, 11, 18, 7, 30, tzinfo=UTC)
HEADER = [
    "Клиент", "Контакт", "Должность", "Телефон", "Email", "День рождения", "Город",
    "Отрасль", "Категория", "Ответственный", "Заметки",
]  # fmt: skip
_TEAM = (
    ("Ольга Иванова", Role.HEAD, "Europe/Moscow"),
    ("Дмитрий Орлов", Role.MANAGER, "Europe/Moscow"),
    ("Анна Кузнецова", Role.MANAGER, "Europe/Moscow"),
    ("Сергей Петров", Role.MANAGER, "Asia/Yekaterinburg"),
    ("Мария Смирнова", Role.MANAGER, "Asia/Novosibirsk"),
)
# How the file names the owners: full names, a first name, a surname with an initial.
_OWNERS = ("Дмитрий Орлов", "Анна Кузнецова", "Петров С.", "Мария", "Ольга Иванова", "")
_CITIES = (
    "Москва", "Санкт-Петербург", "Казань", "Екатеринбург", "Новосибирск", "Владивосток",
    "Калининград", "Самара", "Краснодар", "Нижний Новгород", "Пермь", "Омск", "",
)  # fmt: skip
_INDUSTRIES = ("Строительство", "Розница", "Логистика", "Медицина", "IT", "Производство", "")
_CATEGORIES = ("Новый", "Обычный", "Ключевой", "VIP", "Разовый", "")
_POSITIONS = ("Директор", "Заместитель директора", "Коммерческий директор", "Главный бухгалтер")
_FIRST = ("Иван", "Пётр", "Алексей", "Михаил", "Елена", "Ольга", "Наталья", "Татьяна")
_SURNAMES = ("Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов", "Морозов")
_ROOTS = ("Вектор", "Ромашка", "Альбатрос", "ТехноПром", "Лютик", "Север", "Меридиан", "Гранит")
_FORMS = ("ООО", "АО", "ИП", "")


def _workbook(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Клиенты"
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _client_row(number: int, rng: random.Random) -> list[Any]:
    form = rng.choice(_FORMS)
    person = f"{rng.choice(_FIRST)} {rng.choice(_SURNAMES)}"
    if form == "ИП":
        name = f"ИП {person} {number}"
    elif form:
        name = f"{form} «{rng.choice(_ROOTS)} {number}»"
    else:
        # A private client: the person is the client.
        name = f"{person} {number}"
    # Distinct per number, written as people type them.
    phone = (
        f"+7 9{number % 90 + 10} {number % 1000:03d}-{number // 1000 % 100:02d}-"
        f"{rng.randint(10, 99)}"
    )
    roll = rng.random()
    if roll < 0.01:
        phone = "12345"  # a remark: the client comes in without it
    elif roll < 0.05:
        phone = ""
    birthday: Any = ""
    if rng.random() < 0.4:
        birthday = date(rng.randint(1955, 2000), rng.randint(1, 12), rng.randint(1, 28))
        if rng.random() < 0.05:
            birthday = "31.02.1980"  # a remark: an impossible date
    return [
        name,
        person if form else "",
        rng.choice(_POSITIONS) if form else "",
        phone,
        f"client{number}@example.ru" if rng.random() < 0.6 else "",
        birthday,
        rng.choice(_CITIES),
        rng.choice(_INDUSTRIES),
        rng.choice(_CATEGORIES),
        rng.choice(_OWNERS),
        "Пришёл с выставки" if rng.random() < 0.1 else "",
    ]


def generated(clients: int, seed: int, *, offset: int = 0) -> tuple[bytes, list[list[Any]]]:
    """A clients workbook of `clients` rows: 1% of them repeats of earlier rows, 1% without a
    name, bad phones and impossible birthdays here and there."""
    rng = random.Random(seed)
    rows: list[list[Any]] = []
    for number in range(offset, offset + clients):
        roll = rng.random()
        if rows and roll < 0.01:
            rows.append(list(rng.choice(rows)))
        elif roll < 0.02:
            rows.append(["", "Без имени", "", "+79990000000", "", "", "", "", "", "", ""])
        else:
            rows.append(_client_row(number, rng))
    return _workbook([HEADER, *rows]), rows


async def _seed(path: Path, seed: int) -> None:
    """The team, then 1,000 clients imported earlier (a few of the big file repeat them)."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    async with engine.begin() as connection:
        await connection.run_sync(models.Base.metadata.create_all)
    factory = create_session_factory(engine)
    async with factory.begin() as session:
        for number, (name, role, zone) in enumerate(_TEAM, start=1):
            session.add(
                Member(telegram_id=number, full_name=name, role=role, is_active=True,
                       timezone=zone, language="ru", created_at=NOW - timedelta(days=30))
            )  # fmt: skip
    content, _ = generated(1000, seed + 1, offset=0)
    async with factory.begin() as session:
        head = await _head(session)
        table = importer.read_table(content, "earlier.xlsx")
        preview = await importer.preview_import(session, head, table, head, now=NOW)
        await importer.apply_import(session, preview, NOW)
    await engine.dispose()


async def _head(session: Any) -> Member:
    head = await session.scalar(select(Member).where(Member.role == Role.HEAD))
    assert head is not None
    return head


async def confirm(
    factory: Any, content: bytes, name: str, steps: dict[str, float] | None = None
) -> importer.ImportPreview:
    """What «Импортировать» does (handlers/transfer.on_transfer), without Telegram; the CPU
    seconds of reading, the preview and the write go to `steps`."""
    steps = {} if steps is None else steps
    async with factory.begin() as session:
        head = await _head(session)
        cpu = time.process_time()
        table = importer.read_table(content, name)
        steps["read_cpu_s"] = round(time.process_time() - cpu, 2)
        cpu = time.process_time()
        preview = await importer.preview_import(session, head, table, head, now=NOW)
        steps["check_cpu_s"] = round(time.process_time() - cpu, 2)
        cpu = time.process_time()
        result = await importer.apply_import(session, preview, NOW)
        steps["write_cpu_s"] = round(time.process_time() - cpu, 2)
        await audit.record(session, member=head, action="import", now=NOW, clients=result.clients)
        members = {m.id: m for m in await team.list_members(session)}
        for receiver_id, received in preview.by_owner().items():
            await importer.notify_owner(session, head, members[receiver_id], received, NOW)
    return preview


async def _run(path: Path, content: bytes) -> dict[str, Any]:
    # A new file each run, as the bot meets it: nothing of the last run's reading remembered.
    for cached in (getattr(importer, "_parsed", None), validation.normalize_phone):
        if cached is not None and hasattr(cached, "cache_clear"):
            cached.cache_clear()
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    factory = create_session_factory(engine)
    timings: dict[str, Any] = {}
    started, cpu = time.perf_counter(), time.process_time()
    async with factory.begin() as session:
        head = await _head(session)
        table = importer.read_table(content, "clients.xlsx")
        await importer.preview_import(session, head, table, head, now=NOW)
    timings["preview_s"] = round(time.perf_counter() - started, 2)
    timings["preview_cpu_s"] = round(time.process_time() - cpu, 2)
    started, cpu = time.perf_counter(), time.process_time()
    steps: dict[str, float] = {}
    preview = await confirm(factory, content, "clients.xlsx", steps)
    timings["confirm_s"] = round(time.perf_counter() - started, 2)
    timings["confirm_cpu_s"] = round(time.process_time() - cpu, 2)
    async with factory() as session:
        timings["clients_stored"] = await session.scalar(select(func.count()).select_from(Client))
        timings["touches_stored"] = await session.scalar(select(func.count()).select_from(Touch))
    timings.update(steps)
    timings.update(
        new=len(preview.new), duplicates=len(preview.duplicates), errors=len(preview.errors),
        warnings=len(preview.warnings),
    )  # fmt: skip
    await engine.dispose()
    return timings


async def _profiled(path: Path, content: bytes) -> str:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    factory = create_session_factory(engine)
    profiler = Profiler(async_mode="enabled")
    with profiler:
        await confirm(factory, content, "clients.xlsx")
    await engine.dispose()
    return str(profiler.output_text(unicode=True, show_all=False))


def main() -> None:
    """Seed, run, print a line per run, the medians, then the JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    content, _ = generated(args.clients, args.seed, offset=500)
    found: dict[str, Any] = {"clients_in_file": args.clients, "file_bytes": len(content)}
    runs = []
    with tempfile.TemporaryDirectory() as folder:
        seeded = Path(folder) / "seeded.db"
        asyncio.run(_seed(seeded, args.seed))
        for number in range(args.runs):
            working = Path(folder) / f"run{number}.db"
            shutil.copy(seeded, working)
            timings = asyncio.run(_run(working, content))
            print(f"run {number + 1}: {timings}")
            runs.append(timings)
        if args.profile:
            working = Path(folder) / "profile.db"
            shutil.copy(seeded, working)
            print(asyncio.run(_profiled(working, content)))
    found["runs"] = runs
    found["median"] = {
        key: statistics.median(run[key] for run in runs)
        for key in ("preview_s", "preview_cpu_s", "confirm_s", "confirm_cpu_s")
    }
    print(f"median: {found['median']}")
    print(json.dumps(found, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
