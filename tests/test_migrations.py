"""Alembic: migrations build exactly the models' schema, and each step goes up and down cleanly."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

import models
from bot.database import alembic_config, downgrade, upgrade
from models.session import create_engine
from tests.conftest import TEST_DATABASE_URL


def _database_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}"


def _diff(url: str) -> list[object]:
    async def compare() -> list[object]:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:

                def run(sync_connection: Connection) -> list[object]:
                    context = MigrationContext.configure(sync_connection)
                    return list(compare_metadata(context, models.Base.metadata))

                return await connection.run_sync(run)
        finally:
            await engine.dispose()

    return asyncio.run(compare())


def _revisions(url: str) -> list[str]:
    script = ScriptDirectory.from_config(alembic_config(url))
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def test_migrations_match_the_models(tmp_path: Path) -> None:
    url = _database_url(tmp_path)
    upgrade(url)
    assert _diff(url) == []


def test_stairway_sqlite(tmp_path: Path) -> None:
    url = _database_url(tmp_path)
    previous = "base"
    for revision in _revisions(url):
        upgrade(url, revision)
        downgrade(url, previous)
        upgrade(url, revision)
        previous = revision


async def _reset_postgresql(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="TEST_DATABASE_URL is not set")
def test_stairway_and_schema_postgresql() -> None:
    assert TEST_DATABASE_URL
    url = TEST_DATABASE_URL

    asyncio.run(_reset_postgresql(url))
    try:
        previous = "base"
        for revision in _revisions(url):
            upgrade(url, revision)
            downgrade(url, previous)
            upgrade(url, revision)
            previous = revision
        assert _diff(url) == []
    finally:
        asyncio.run(_reset_postgresql(url))
        # The other tests build their schema once per run: make them build it again.
        from tests import conftest

        conftest._postgres_schema_ready = False


# Each process waits for the same moment, then upgrades: without the migration lock, two of them
# create the same tables (on PostgreSQL: «duplicate key value violates unique constraint»).
_RACER = """
import sys, time
from bot.database import upgrade
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
upgrade(sys.argv[1])
"""


def _race_upgrades(url: str, instances: int = 3) -> None:
    start_at = time.time() + 3
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", _RACER, url, str(start_at)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(instances)
    ]
    outputs = [racer.communicate(timeout=120)[0] for racer in racers]
    assert [racer.returncode for racer in racers] == [0] * instances, outputs
    assert _diff(url) == []


def _current_revision(url: str) -> str | None:
    async def read() -> str | None:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
                return rows.scalar_one()
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_instances_starting_together_migrate_once_sqlite(tmp_path: Path) -> None:
    url = _database_url(tmp_path)
    _race_upgrades(url)
    assert _current_revision(url) == _revisions(url)[-1]


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="TEST_DATABASE_URL is not set")
def test_instances_starting_together_migrate_once_postgresql() -> None:
    assert TEST_DATABASE_URL
    url = TEST_DATABASE_URL
    asyncio.run(_reset_postgresql(url))
    try:
        _race_upgrades(url)
        assert _current_revision(url) == _revisions(url)[-1]
    finally:
        asyncio.run(_reset_postgresql(url))
        from tests import conftest

        conftest._postgres_schema_ready = False


def test_occasion_touches_keep_their_day_through_0009(tmp_path: Path) -> None:
    url = _database_url(tmp_path)
    upgrade(url, "0008")
    database = sqlite3.connect(tmp_path / "migrations.db")
    with database:
        for reason, key in (("occasion", "a"), ("cadence", "b")):
            database.execute(
                "INSERT INTO touches (client_id, member_id, due_on, reason, status, goal,"
                " dedupe_key, created_at) VALUES (1, 1, '2026-12-30', ?, 'planned', 'g', ?,"
                " '2026-12-01 00:00:00')",
                (reason, key),
            )
    database.close()
    upgrade(url)
    database = sqlite3.connect(tmp_path / "migrations.db")
    rows = database.execute("SELECT reason, occasion_on FROM touches ORDER BY id").fetchall()
    database.close()
    assert rows == [("occasion", "2026-12-30"), ("cadence", None)]


def test_events_take_their_creators_zone_through_0010(tmp_path: Path) -> None:
    url = _database_url(tmp_path)
    upgrade(url, "0009")
    database = sqlite3.connect(tmp_path / "migrations.db")
    with database:
        for member_id, zone in ((1, "Europe/Moscow"), (2, "Asia/Novosibirsk")):
            database.execute(
                "INSERT INTO members (id, telegram_id, full_name, role, is_active, timezone,"
                " work_start, work_end, work_days, digest_time, language, created_at)"
                " VALUES (?, ?, 'Ольга', 'head', 1, ?, '09:00:00', '18:00:00', '01234',"
                " '09:00:00', 'ru', '2026-11-01 00:00:00')",
                (member_id, 100 + member_id, zone),
            )
        for created_by in (2, 1):
            database.execute(
                "INSERT INTO events (title, happens_on, starts_at, audience, created_by_id,"
                " created_at) VALUES ('Вебинар', '2026-12-15', '11:00:00', '{}', ?,"
                " '2026-12-01 00:00:00')",
                (created_by,),
            )
    database.close()
    upgrade(url)
    database = sqlite3.connect(tmp_path / "migrations.db")
    rows = database.execute(
        "SELECT title, happens_on, starts_at, timezone FROM events ORDER BY id"
    ).fetchall()
    database.close()
    assert rows == [
        ("Вебинар", "2026-12-15", "11:00:00", "Asia/Novosibirsk"),
        ("Вебинар", "2026-12-15", "11:00:00", "Europe/Moscow"),
    ]


def test_new_clients_ceiling_follows_the_cadence_through_0011(tmp_path: Path) -> None:
    url = _database_url(tmp_path)
    upgrade(url, "0010")
    database = sqlite3.connect(tmp_path / "migrations.db")
    with database:
        # A head's own ceiling for VIP must survive; the untouched «new» default moves.
        database.execute(
            "INSERT INTO members (id, telegram_id, full_name, role, is_active, timezone,"
            " work_start, work_end, work_days, digest_time, language, created_at)"
            " VALUES (1, 101, 'Ольга', 'head', 1, 'Europe/Moscow', '09:00:00', '18:00:00',"
            " '01234', '09:00:00', 'ru', '2026-11-01 00:00:00')"
        )
        database.execute(
            "UPDATE category_policies SET max_touches_year = 12, updated_by_id = 1"
            " WHERE category = 'vip'"
        )
    database.close()
    upgrade(url)
    database = sqlite3.connect(tmp_path / "migrations.db")
    rows = dict(database.execute("SELECT category, max_touches_year FROM category_policies"))
    database.close()
    assert rows == {"key": 12, "vip": 12, "regular": 6, "occasional": 3, "new": 26}
