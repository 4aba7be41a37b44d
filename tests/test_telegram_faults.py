"""Telegram down for minutes, over real HTTP: after it recovers every digest arrives once.

tests/test_delivery.py injects aiogram's exceptions into a recording session; here the bot
talks HTTP to a local Bot API stand-in (tests/fake_bot_api.py) that answers 502, 429 with
`retry_after`, or hangs past the request timeout, for a quarter of an hour of ticks (the clock
and the pacing are fake, the HTTP is real). Then Telegram recovers: every member's digest
arrives exactly once, none is given up. A member who blocked the bot gets 403: the row fails
at once, is never retried, and the member is deactivated so no further digest is made for them.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import create_bot, create_ticker
from bot.offline import OFFLINE_TOKEN
from bot.settings import Settings
from models import Member, Outbox
from models.enums import Role
from scheduler.clock import Ticker
from services.clock import ManualClock
from tests.conftest import TEST_DATABASE_URL
from tests.fake_bot_api import (
    HANG,
    LOST_ANSWER,
    OK,
    RATE_LIMITED,
    SERVER_ERROR,
    FakeBotAPI,
)
from tests.test_reminders import add_member, msk

Factory = async_sessionmaker[AsyncSession]
MANAGERS = 12
FIRST_CHAT = 920_000
HEAD_CHAT = 919_999
BLOCKER = FIRST_CHAT + 3
# Wednesday 09:00 Moscow: every digest falls due.
MORNING = msk(2026, 11, 18, 9, 0)


class FakeTime:
    """The deliverer's pacing clock: its sleeps pass at once."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)
        self.now += max(seconds, 0.0)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(retry_after=5, hang_seconds=5) as server:
        yield server


@pytest.fixture
async def ticker(
    api: FakeBotAPI, session_factory: Factory, clock: ManualClock
) -> AsyncIterator[Ticker]:
    """The production clock jobs, HTTP to the stand-in; a request times out after 1 s."""
    async with session_factory.begin() as session:
        await add_member(session, telegram_id=HEAD_CHAT, role=Role.HEAD, name="Ольга")
        for number in range(MANAGERS):
            await add_member(session, telegram_id=FIRST_CHAT + number, name=f"Менеджер {number}")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=OFFLINE_TOKEN,
        database_url=TEST_DATABASE_URL or "sqlite+aiosqlite://",
        telegram_api_url=api.url,
    )
    bot = create_bot(settings)
    fake = FakeTime()
    clock.set(MORNING)
    yield create_ticker(
        bot,
        settings,
        session_factory,
        clock,
        worker="faults",
        monotonic=fake.monotonic,
        sleep=fake.sleep,
        request_timeout=1,
    )
    await bot.session.close()


async def tick_for(ticker: Ticker, clock: ManualClock, minutes: int) -> None:
    """One tick a minute, as APScheduler runs them."""
    for _ in range(minutes):
        await ticker.tick()
        clock.advance(timedelta(minutes=1))


async def digests(session_factory: Factory) -> dict[int, Outbox]:
    async with session_factory() as session:
        rows = await session.scalars(select(Outbox).where(Outbox.kind == "digest"))
        return {row.chat_id: row for row in rows}


@pytest.mark.parametrize(("fault", "minutes"), [(SERVER_ERROR, 15), (RATE_LIMITED, 15), (HANG, 6)])
async def test_an_outage_of_minutes_delays_digests_but_loses_and_doubles_none(
    api: FakeBotAPI,
    ticker: Ticker,
    clock: ManualClock,
    session_factory: Factory,
    fault: str,
    minutes: int,
) -> None:
    api.fault = fault
    await tick_for(ticker, clock, minutes)
    assert api.sent == []
    assert api.refused[fault] >= MANAGERS
    rows = await digests(session_factory)
    assert len(rows) == MANAGERS
    assert {row.status for row in rows.values()} <= {"pending", "sending"}, "given up too soon"

    api.fault = OK
    await tick_for(ticker, clock, 30)

    chats = api.per_chat()
    assert set(chats) == {FIRST_CHAT + number for number in range(MANAGERS)}
    assert set(chats.values()) == {1}
    assert {row.status for row in (await digests(session_factory)).values()} == {"sent"}


async def test_an_outage_of_forty_minutes_loses_no_digest(
    api: FakeBotAPI, ticker: Ticker, clock: ManualClock, session_factory: Factory
) -> None:
    api.fault = SERVER_ERROR
    await tick_for(ticker, clock, 40)
    api.fault = OK
    await tick_for(ticker, clock, 30)

    assert set(api.per_chat()) == {FIRST_CHAT + number for number in range(MANAGERS)}


async def test_a_lost_answer_is_the_one_way_to_a_duplicate(
    api: FakeBotAPI, ticker: Ticker, clock: ManualClock, session_factory: Factory
) -> None:
    """Telegram delivered, but its answer never came (a timeout): the bot cannot tell this
    from a failure and sends again. At-least-once, like a SIGKILL between "sent" and "marked":
    each lost answer is exactly one extra copy, and nothing else is doubled."""
    api.fault = LOST_ANSWER
    await tick_for(ticker, clock, 1)
    lost = api.refused[LOST_ANSWER]
    assert lost >= MANAGERS
    api.fault = OK
    recovered = len(api.sent)
    await tick_for(ticker, clock, 10)

    chats = api.per_chat()
    assert set(chats) == {FIRST_CHAT + number for number in range(MANAGERS)}
    assert sum(count - 1 for count in chats.values()) == lost
    after = Counter(item.chat_id for item in api.sent[recovered:])
    assert set(after.values()) == {1}
    assert {row.status for row in (await digests(session_factory)).values()} == {"sent"}


async def test_a_member_who_blocked_the_bot_is_not_retried_and_is_deactivated(
    api: FakeBotAPI,
    ticker: Ticker,
    clock: ManualClock,
    session_factory: Factory,
) -> None:
    api.blocked.add(BLOCKER)
    await tick_for(ticker, clock, 10)
    assert api.refused["403"] == 1

    await tick_for(ticker, clock, 10)
    clock.set(msk(2026, 11, 19, 9, 0))  # the next morning
    await tick_for(ticker, clock, 10)

    # One refused call in all: never retried, and no new digest was made for the blocker.
    assert api.refused["403"] == 1
    async with session_factory() as session:
        blocker = await session.scalar(select(Member).where(Member.telegram_id == BLOCKER))
        assert blocker is not None
        assert not blocker.is_active
        rows = list(await session.scalars(select(Outbox).where(Outbox.chat_id == BLOCKER)))
    assert [row.status for row in rows] == ["failed"]
    others = api.per_chat()
    # The others got today's and tomorrow's digests; the head was told about the blocker.
    assert all(others[FIRST_CHAT + n] == 2 for n in range(MANAGERS) if FIRST_CHAT + n != BLOCKER)
    assert any(item.chat_id == HEAD_CHAT for item in api.sent)
