"""The benchmark base: a large, realistic SQLite database, seeded once and cached.

`await ensure_base(1.0)` returns the path of a base with 500 managers, 100,000 clients,
200,000 contacts (each with a birthday, a tenth with a family member's too) and 1,000,000
interactions over the last year; `ensure_base(0.1)` is the same at one tenth, and
`ensure_base(BaseSpec(...))` any other size. The schema comes from the Alembic migrations;
the rows are written with `sqlite3.executemany` in one transaction (not ORM objects one by
one); then the real planner sweeps once as of the day before `BENCH_NOW`, so the base is in
the steady state a running bot would leave: every client has its next touch, occasions are
planned a week ahead, stale records carry their «проверить данные» touch.

The file lives in `./data/bench/` (ignored by git) under a name made of the Alembic head
revision, the generator version and the sizes: a new migration or a changed generator builds a
new base, otherwise it is reused. The cached file is never written to: a benchmark works on
`working_copy(path, name)`; `fresh_database(name)` gives an empty one. Run
`python -m benchmarks.base [--scale 1.0] [--rebuild]` to build a base ahead of time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import json
import random
import shutil
import sqlite3
import time as timer
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory

from benchmarks.parse import generate_clients
from bot.database import alembic_config, upgrade
from models.clients import DEFAULT_POLICIES
from models.enums import Category
from models.session import create_engine, create_session_factory
from services import planner

BENCH_DIR = Path("data/bench")
# Bump when the generator below changes what it writes: cached bases are rebuilt.
GENERATOR_VERSION = 1
# 10:30 Moscow time on a Wednesday: every member zone from Kaliningrad to Vladivostok is
# inside its working day, so every member's digest is due at once (the worst tick).
BENCH_NOW = datetime(2026, 11, 18, 7, 30, tzinfo=UTC)
HEAD_TELEGRAM_ID = 7_000_000
_TELEGRAM_BASE = 7_000_000
# Names beyond this many clients repeat with a number: the generator has ~35,000 distinct ones.
_UNIQUE_NAMES = 20_000
_RECENT_DONE = timedelta(days=60)


@dataclass(frozen=True)
class BaseSpec:
    """The size of a base: team members, clients, contacts, interactions."""

    managers: int
    clients: int
    contacts: int
    interactions: int
    seed: int = 20_261_118

    @classmethod
    def scaled(cls, scale: float) -> BaseSpec:
        """The issue's full base (500 / 100,000 / 200,000 / 1,000,000) times `scale`."""
        return cls(
            managers=max(1, round(500 * scale)),
            clients=max(1, round(100_000 * scale)),
            contacts=max(1, round(200_000 * scale)),
            interactions=max(0, round(1_000_000 * scale)),
        )

    @property
    def slug(self) -> str:
        """The part of the cache file name that names the size."""
        return (
            f"m{self.managers}-c{self.clients}-k{self.contacts}-i{self.interactions}-s{self.seed}"
        )


FULL = BaseSpec.scaled(1.0)


def manager_telegram_id(member_id: int) -> int:
    """The Telegram id of the seeded member with this database id."""
    return _TELEGRAM_BASE + member_id


def schema_version() -> str:
    """The Alembic head revision(s) the migrations in this tree lead to."""
    script = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite://"))
    return "+".join(sorted(script.get_heads()))


def base_path(spec: BaseSpec) -> Path:
    """Where the base of this size and the current schema is cached."""
    return BENCH_DIR / f"base-{schema_version()}-g{GENERATOR_VERSION}-{spec.slug}.sqlite3"


def database_url(path: Path) -> str:
    """The SQLAlchemy URL of an SQLite file."""
    return f"sqlite+aiosqlite:///{path}"


async def ensure_base(scale: float | BaseSpec = 1.0, *, rebuild: bool = False) -> Path:
    """The path of the cached base of this size, seeding it first when missing.

    Safe to call from several processes: the builder holds a lock file, the others wait.
    """
    spec = scale if isinstance(scale, BaseSpec) else BaseSpec.scaled(scale)
    path = base_path(spec)
    if path.exists() and not rebuild:
        return path
    await asyncio.to_thread(_build_locked, spec, path, rebuild)
    return path


def working_copy(path: Path, name: str) -> Path:
    """A fresh copy of a base for a benchmark to write to: `data/bench/work/<name>.sqlite3`."""
    target = _fresh_path(name)
    shutil.copyfile(path, target)
    return target


def _fresh_path(name: str) -> Path:
    """`data/bench/work/<name>.sqlite3`, with no file (nor WAL) left from a previous run."""
    path = BENCH_DIR / "work" / f"{name}.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


async def fresh_database(name: str) -> Path:
    """An empty database at the current schema: `data/bench/work/<name>.sqlite3`."""
    path = _fresh_path(name)
    # Alembic's environment runs its own event loop: off this one.
    await asyncio.to_thread(upgrade, database_url(path))
    return path


def table_counts(path: Path) -> dict[str, int]:
    """Rows per main table, for the benchmarks' human lines."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        return {
            table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("members", "clients", "contacts", "key_dates", "interactions", "touches")
        }


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{path}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build_locked(spec: BaseSpec, path: Path, rebuild: bool) -> None:
    with _lock(path):
        if path.exists() and not rebuild:
            return  # another process built it while we waited
        building = path.with_suffix(".building")
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{building}{suffix}").unlink(missing_ok=True)
        if not rebuild and _upgrade_older(spec, building):
            building.replace(path)
            return
        started = timer.perf_counter()
        upgrade(database_url(building))
        print(f"seeding {path.name} ...", flush=True)
        _seed(building, spec)
        seeded = timer.perf_counter()
        print(f"  rows written in {seeded - started:.1f} s", flush=True)
        report = asyncio.run(_plan_yesterday(building))
        print(f"  yesterday's planning sweep in {timer.perf_counter() - seeded:.1f} s: {report}")
        with contextlib.closing(sqlite3.connect(building)) as db:
            db.execute("PRAGMA journal_mode=DELETE")
            db.execute("ANALYZE")
        building.replace(path)


def _upgrade_older(spec: BaseSpec, building: Path) -> bool:
    """Copy the newest cached base of this size made for an older schema and migrate it: the
    same rows at the new schema in seconds instead of minutes of seeding (and the migrations
    tried on a million rows). False when there is none or it does not upgrade."""
    older = sorted(
        BENCH_DIR.glob(f"base-*-g{GENERATOR_VERSION}-{spec.slug}.sqlite3"),
        key=lambda candidate: candidate.stat().st_mtime,
    )
    if not older:
        return False
    started = timer.perf_counter()
    shutil.copyfile(older[-1], building)
    try:
        upgrade(database_url(building))
    except Exception as error:  # any failure means: seed a new one instead
        print(f"upgrading {older[-1].name} failed ({error}); seeding instead", flush=True)
        building.unlink(missing_ok=True)
        return False
    with contextlib.closing(sqlite3.connect(building)) as db:
        db.execute("PRAGMA journal_mode=DELETE")
        db.execute("ANALYZE")
    print(f"migrated {older[-1].name} in {timer.perf_counter() - started:.1f} s", flush=True)
    return True


async def _plan_yesterday(path: Path) -> planner.PlanReport:
    """The sweep a running bot made the day before: open next touches, occasions, stale."""
    engine = create_engine(database_url(path))
    try:
        async with create_session_factory(engine).begin() as session:
            return await planner.plan_all(session, BENCH_NOW - timedelta(days=1))
    finally:
        await engine.dispose()


# ---------------------------------------------------------------------------------------------
# The generator: plain tuples in the column formats SQLAlchemy uses on SQLite.


def _dt(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _t(value: time) -> str:
    return value.strftime("%H:%M:%S.%f")


_ZONES = (
    ("Europe/Moscow", 70),
    ("Asia/Yekaterinburg", 10),
    ("Asia/Novosibirsk", 8),
    ("Europe/Kaliningrad", 6),
    ("Asia/Vladivostok", 6),
)
_CITIES = {
    "Europe/Moscow": ("Москва", "Тула", "Казань", "Самара", "Нижний Новгород"),
    "Asia/Yekaterinburg": ("Екатеринбург", "Пермь", "Тюмень"),
    "Asia/Novosibirsk": ("Новосибирск", "Томск"),
    "Europe/Kaliningrad": ("Калининград",),
    "Asia/Vladivostok": ("Владивосток", "Хабаровск"),
}
_CATEGORIES = (
    (Category.KEY, 10, 22),
    (Category.VIP, 10, 13),
    (Category.REGULAR, 50, 9),
    (Category.OCCASIONAL, 20, 4),
    (Category.NEW, 10, 8),
)  # category, share of clients, weight of its share of interactions
_INDUSTRIES = (
    "Строительство", "Оптовая торговля", "Энергетика", "Бухгалтерские услуги", "Логистика",
    "Медицина", "Производство", "Розничная торговля", "IT", "Сельское хозяйство", None, None,
)  # fmt: skip
_WINDOWS = (
    ((10, 18), 70),
    ((10, 14), 15),
    ((9, 17), 10),
    ((12, 20), 5),
)
_POSITIONS = (
    "директор", "заместитель директора", "коммерческий директор", "главный бухгалтер",
    "менеджер по закупкам", "начальник отдела снабжения", None,
)  # fmt: skip
_CONTACT_CHANNELS = ("call", "call", "call", "whatsapp", "email", "telegram", None)
_RELATIVES = (("жена", "Марина"), ("муж", "Игорь"), ("сын", "Артём"), ("дочь", "Алиса"))
_CHANNELS = ("call",) * 6 + ("meeting", "email", "email", "whatsapp", "telegram", "sms")
_OUTCOMES = ("achieved",) * 5 + ("partial",) * 2 + ("not_achieved",) * 2 + ("no_contact",) * 2
_GOALS = (
    "Предложить новый прайс", "Продлить договор", "Уточнить остатки на складе",
    "Напомнить об оплате счёта", "Презентовать новинки сезона", "Актуализировать данные",
    "Согласовать отгрузку", "Пригласить на вебинар", "Обсудить объёмы на следующий год",
)  # fmt: skip
_RESULTS = (
    "Договорились о встрече", "Ждут коммерческое предложение", "Оплату подтвердили",
    "Перезвонить через неделю", "Отказались: дорого", "Согласовали график отгрузок",
    "Не дозвонился", "Данные подтвердили", "Просят скидку 5%",
)  # fmt: skip


def _weighted(rng: random.Random, pairs: Sequence[tuple[Any, int]]) -> Any:
    return rng.choices([value for value, _ in pairs], [weight for _, weight in pairs])[0]


def _client_names(spec: BaseSpec, rng: random.Random) -> list[tuple[str, list[str]]]:
    """Client names with their contacts' names, `spec.contacts` contacts in all."""
    unique = generate_clients(min(spec.clients, _UNIQUE_NAMES), rng)
    clients: list[tuple[Any, ...]] = []
    for index in range(spec.clients):
        candidate = unique[index % len(unique)]
        repeat = index // len(unique)
        name = candidate.name if repeat == 0 else f"{candidate.name} {repeat + 1}"
        clients.append((name, list(candidate.contact_names)))
    # Exactly `spec.contacts`: trim or add people at random clients (never below one each).
    total = sum(len(people) for _, people in clients)
    while total > spec.contacts:
        people = rng.choice(clients)[1]
        if len(people) > 1:
            people.pop()
            total -= 1
    while total < spec.contacts:
        people = rng.choice(clients)[1]
        people.append(rng.choice(rng.choice(clients)[1]))
        total += 1
    return clients


def _seed(path: Path, spec: BaseSpec) -> None:
    rng = random.Random(spec.seed)
    now = BENCH_NOW
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA cache_size=-262144")
        db.execute("BEGIN")
        _seed_rows(db, spec, rng, now)
        db.execute("COMMIT")
    finally:
        db.close()


def _seed_rows(db: sqlite3.Connection, spec: BaseSpec, rng: random.Random, now: datetime) -> None:
    created = _dt(now - timedelta(days=800))
    nine, six_pm = _t(time(9)), _t(time(18))
    members = []
    for member_id in range(1, spec.managers + 1):
        zone = _weighted(rng, _ZONES)
        language = "en" if rng.random() < 0.1 else "ru"
        members.append(
            (member_id, manager_telegram_id(member_id), f"Менеджер {member_id}", None, "manager",
             1, zone, nine, six_pm, "01234", nine, language, created, None)
        )  # fmt: skip
    members.append(
        (spec.managers + 1, HEAD_TELEGRAM_ID, "Руководитель", None, "head", 1, "Europe/Moscow",
         nine, six_pm, "01234", nine, "ru", created, None)
    )  # fmt: skip
    _insert(db, "members", members)

    cadence = {category: DEFAULT_POLICIES[category][0] for category in Category}
    names = _client_names(spec, rng)
    clients: list[tuple[Any, ...]] = []
    contacts: list[tuple[Any, ...]] = []
    key_dates: list[tuple[Any, ...]] = []
    client_category: list[Category] = []
    client_contacts: list[list[int]] = []
    contact_id = 0
    key_date_id = 0
    for client_id, (name, people) in enumerate(names, start=1):
        owner = (client_id - 1) % spec.managers + 1
        zone = _weighted(rng, _ZONES)
        category = _weighted(rng, [(c, share) for c, share, _ in _CATEGORIES])
        (start, end) = _weighted(rng, _WINDOWS)
        made = now - timedelta(days=rng.randint(400, 1500))
        # About one record in fourteen has gone stale: data are usually confirmed on calls.
        reverify = DEFAULT_POLICIES[category][2]
        confirmed = now - timedelta(days=rng.uniform(0, reverify * 1.08))
        clients.append(
            (client_id, "b2b", name, None, rng.choice(_INDUSTRIES), rng.choice(_CITIES[zone]),
             zone, category.value, rng.choice(("acquisition", "sale", "account")), owner, "[]",
             None, None, _t(time(start)), _t(time(end)), "01234", 1, _dt(confirmed), _dt(made),
             _dt(made), 1, None)
        )  # fmt: skip
        client_category.append(category)
        ids = []
        for number, full_name in enumerate(people):
            contact_id += 1
            ids.append(contact_id)
            phone = f"+79{rng.randint(0, 999_999_999):09d}"
            contacts.append(
                (contact_id, client_id, full_name, rng.choice(_POSITIONS), phone, "[]", None,
                 None, None, None, None, None, None, rng.choice(_CONTACT_CHANNELS), "[]", None,
                 None, None, int(number == 0), _dt(made))
            )  # fmt: skip
            born = date(2001, 1, 1) + timedelta(days=rng.randrange(365))
            key_date_id += 1
            year = rng.randint(1960, 1995) if rng.random() < 0.7 else None
            key_dates.append(
                (key_date_id, client_id, contact_id, "birthday", None, None, None, born.day,
                 born.month, year, _dt(made))
            )  # fmt: skip
            if rng.random() < 0.1:
                relation, person = rng.choice(_RELATIVES)
                day = date(2001, 1, 1) + timedelta(days=rng.randrange(365))
                key_date_id += 1
                key_dates.append(
                    (key_date_id, client_id, contact_id, "birthday", relation, person, None,
                     day.day, day.month, None, _dt(made))
                )  # fmt: skip
        client_contacts.append(ids)
    _insert(db, "clients", clients)
    _insert(db, "contacts", contacts)
    _insert(db, "key_dates", key_dates)
    del clients, contacts, key_dates

    _seed_history(db, spec, rng, now, client_category, client_contacts, cadence)


def _seed_history(
    db: sqlite3.Connection,
    spec: BaseSpec,
    rng: random.Random,
    now: datetime,
    client_category: list[Category],
    client_contacts: list[list[int]],
    cadence: dict[Category, int],
) -> None:
    """Interactions, exactly `spec.interactions`, and the done touches of the recent ones.

    Each client's latest contact lies within its cadence (plus two days) before now, so the
    planner's next touches spread over the coming weeks instead of all falling due today.
    """
    weights = {category: weight for category, _, weight in _CATEGORIES}
    per_client = [0] * spec.clients
    if spec.interactions:
        chosen = rng.choices(
            range(spec.clients),
            [weights[category] for category in client_category],
            k=spec.interactions,
        )
        for index in chosen:
            per_client[index] += 1
    interactions = []
    touches = []
    interaction_id = 0
    touch_id = 0
    recent = now - _RECENT_DONE
    for index, count in enumerate(per_client):
        if not count:
            continue
        client_id = index + 1
        owner = index % spec.managers + 1
        gap = cadence[client_category[index]] + 2
        last = now - timedelta(days=rng.uniform(0.5, gap))
        moments = [last] + [last - timedelta(days=rng.uniform(0, 365)) for _ in range(count - 1)]
        moments.sort()
        for day in moments:
            moment = day.replace(hour=rng.randint(6, 14), minute=rng.randrange(60))
            interaction_id += 1
            outgoing = rng.random() < 0.75
            goal = rng.choice(_GOALS)
            linked = None
            if outgoing and moment >= recent:
                touch_id += 1
                linked = touch_id
                due = (moment - timedelta(days=rng.choice((0, 0, 0, 1, 2, 5)))).date()
                reason = "follow_up" if rng.random() < 0.2 else "cadence"
                touches.append(
                    (touch_id, client_id, owner, None, due.isoformat(), reason, "done", goal,
                     None, None, None, None, f"bench:{interaction_id}", None, None, _dt(moment),
                     _dt(moment))
                )  # fmt: skip
            interactions.append(
                (interaction_id, client_id, rng.choice(client_contacts[index]), owner,
                 rng.choice(_CHANNELS), "outgoing" if outgoing else "incoming", goal,
                 rng.choice(_RESULTS), rng.choice(_OUTCOMES), None, None, None, _dt(moment),
                 _dt(moment), linked, None, None)
            )  # fmt: skip
        if len(interactions) >= 100_000:
            _flush_history(db, interactions, touches)
    _flush_history(db, interactions, touches)


def _flush_history(
    db: sqlite3.Connection, interactions: list[tuple[Any, ...]], touches: list[tuple[Any, ...]]
) -> None:
    # Touches first: interactions point at them.
    _insert(db, "touches", touches)
    _insert(db, "interactions", interactions)
    interactions.clear()
    touches.clear()


# The columns each tuple above fills, in order; a column added later must be nullable or
# have a server default, or the generator (and GENERATOR_VERSION) must learn it.
_COLUMNS = {
    "members": "id telegram_id full_name username role is_active timezone work_start work_end "
    "work_days digest_time language created_at deactivated_at",
    "clients": "id kind name inn industry city timezone category stage owner_id tags "
    "preferences notes window_start window_end window_days observe_holidays data_confirmed_at "
    "created_at updated_at is_active forgotten_at",
    "contacts": "id client_id full_name position phone extra_phones email telegram whatsapp "
    "work_schedule window_start window_end window_days preferred_channel channel_schedule "
    "hobbies favourite_team notes is_primary created_at",
    "key_dates": "id client_id contact_id kind relation person_name title day month year "
    "created_at",
    "touches": "id client_id member_id contact_id due_on reason status goal draft_text "
    "occasion_key key_date_id event_id dedupe_key snoozed_until skip_reason created_at "
    "closed_at",
    "interactions": "id client_id contact_id member_id channel direction goal result outcome "
    "notes next_step next_touch_on happened_at created_at touch_id source_chat_id "
    "source_message_id",
}


def _insert(db: sqlite3.Connection, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
    columns = _COLUMNS[table].split()
    marks = ", ".join("?" * len(columns))
    db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def main() -> None:
    """Build (or find) a base and print its path and row counts."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    started = timer.perf_counter()
    path = asyncio.run(ensure_base(args.scale, rebuild=args.rebuild))
    seconds = timer.perf_counter() - started
    counts = table_counts(path)
    print(f"base: {path} ({path.stat().st_size / 2**20:.0f} MB), ready in {seconds:.1f} s")
    print(json.dumps({"path": str(path), "seconds": round(seconds, 1), **counts}))


if __name__ == "__main__":
    main()
