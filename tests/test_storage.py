"""Conversation state commits and rolls back together with the update's own writes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import time
from pathlib import Path

import pytest
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import models
from bot.storage import DatabaseStorage, update_session
from models import Member
from models.enums import Role
from models.session import create_engine, create_session_factory
from services.clock import ManualClock
from tests.conftest import START

KEY = StorageKey(bot_id=1, chat_id=42, user_id=42)


@pytest.fixture
async def file_factory(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A file SQLite database: separate connections, one writer at a time."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'state.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(models.Base.metadata.create_all)
    yield create_session_factory(engine)
    await engine.dispose()


def _member() -> Member:
    return Member(
        telegram_id=42,
        full_name="Анна",
        role=Role.MANAGER,
        timezone="Europe/Moscow",
        work_start=time(9),
        work_end=time(18),
        work_days="01234",
        digest_time=time(9),
        language="ru",
        created_at=START,
    )


async def _members(factory: async_sessionmaker[AsyncSession]) -> int:
    async with factory() as session:
        return await session.scalar(select(func.count()).select_from(Member)) or 0


async def test_state_written_after_data_commits_with_it(
    file_factory: async_sessionmaker[AsyncSession],
) -> None:
    storage = DatabaseStorage(file_factory, ManualClock(START))
    async with file_factory.begin() as session:
        token = update_session.set(session)
        try:
            session.add(_member())
            await session.flush()  # the update now holds SQLite's write lock
            await storage.set_state(KEY, "Form:name")
            await storage.set_data(KEY, {"draft": "Ромашка"})
            assert await storage.get_state(KEY) == "Form:name"
        finally:
            update_session.reset(token)
    assert await storage.get_state(KEY) == "Form:name"
    assert await storage.get_data(KEY) == {"draft": "Ромашка"}
    assert await _members(file_factory) == 1


async def test_a_failed_update_keeps_neither_its_data_nor_its_state(
    file_factory: async_sessionmaker[AsyncSession],
) -> None:
    storage = DatabaseStorage(file_factory, ManualClock(START))

    async def failing_update() -> None:
        async with file_factory.begin() as session:
            token = update_session.set(session)
            try:
                session.add(_member())
                await storage.set_state(KEY, "Form:name")
                raise RuntimeError("handler failed")
            finally:
                update_session.reset(token)

    with pytest.raises(RuntimeError):
        await failing_update()
    assert await storage.get_state(KEY) is None
    assert await _members(file_factory) == 0


async def test_nested_data_changed_in_place_within_an_update_is_stored(
    file_factory: async_sessionmaker[AsyncSession],
) -> None:
    # The update's session remembers the row between calls: what get_data hands out must be a
    # copy, or a list appended to in place would compare equal to itself and never be written.
    storage = DatabaseStorage(file_factory, ManualClock(START))
    await storage.set_data(KEY, {"draft": {"files": ["photo"]}})
    async with file_factory.begin() as session:
        token = update_session.set(session)
        try:
            data = await storage.get_data(KEY)
            data["draft"]["files"].append("voice")
            assert await storage.get_data(KEY) == {"draft": {"files": ["photo"]}}
            await storage.set_data(KEY, data)
        finally:
            update_session.reset(token)
    assert await storage.get_data(KEY) == {"draft": {"files": ["photo", "voice"]}}
