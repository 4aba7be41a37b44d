"""Fixtures: a fresh database per test (SQLite, or PostgreSQL via TEST_DATABASE_URL), the real
dispatcher with a recording bot session, and a manual clock."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from aiogram import Bot, Dispatcher
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import models
from bot.app import create_bot, create_dispatcher
from bot.offline import OFFLINE_TOKEN, RecordingSession
from bot.settings import Settings
from models.session import create_engine, create_session_factory
from services.clock import ManualClock
from tests.harness import Chat

HEAD_ID = 500
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
_postgres_schema_ready = False

# 10:30 Moscow time on a Wednesday.
START = datetime(2026, 11, 18, 7, 30, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    """A clock that moves only when the test says so."""
    return ManualClock(START)


@pytest.fixture
def settings() -> Settings:
    """Settings built explicitly, never from the developer's .env."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=None,
        database_url=TEST_DATABASE_URL or "sqlite+aiosqlite://",
        head_ids=(HEAD_ID,),
        default_timezone="Europe/Moscow",
        default_language="ru",
    )


@pytest.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    """A clean database: in-memory SQLite, or emptied tables on PostgreSQL."""
    global _postgres_schema_ready  # noqa: PLW0603
    if TEST_DATABASE_URL:
        engine = create_engine(TEST_DATABASE_URL)
        async with engine.begin() as connection:
            if not _postgres_schema_ready:
                await connection.run_sync(models.Base.metadata.drop_all)
                await connection.run_sync(models.Base.metadata.create_all)
                _postgres_schema_ready = True
            else:
                tables = ", ".join(
                    table.name for table in reversed(models.Base.metadata.sorted_tables)
                )
                await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    else:
        engine = create_engine("sqlite+aiosqlite://")
        async with engine.begin() as connection:
            await connection.run_sync(models.Base.metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """The session factory the dispatcher and the tests share."""
    return create_session_factory(engine)


@pytest.fixture
async def session(
    session_factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session for arranging and checking data directly (commit explicitly)."""
    async with session_factory() as session:
        yield session


@pytest.fixture
def recorder() -> RecordingSession:
    """The bot session that records every Bot API call."""
    return RecordingSession()


@pytest.fixture
def bot(settings: Settings, recorder: RecordingSession) -> Bot:
    """A Bot that talks to the recorder instead of Telegram."""
    return create_bot(settings, session=recorder, token=OFFLINE_TOKEN)


@pytest.fixture
def dp(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> Dispatcher:
    """The real dispatcher from the production factory."""
    return create_dispatcher(settings, session_factory, clock)


@pytest.fixture
def chat(dp: Dispatcher, bot: Bot, recorder: RecordingSession, clock: ManualClock) -> Chat:
    """A driver that talks to the bot as Telegram users."""
    return Chat(dp, bot, recorder, clock)
