"""Greetings on working days: holiday and birthday touches come on the last working day before
a day off, the digest's «Поводы» look over the coming days off, and a greeting whose occasion
has passed is closed rather than left overdue.

The clock is a ManualClock moved by the production jobs (`make_ticker`), as the console's
`:time +1d` moves it; the manager works Monday to Friday in Moscow.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from aiogram import Bot
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.offline import RecordingSession
from models import KeyDate, Touch
from models.enums import TouchReason, TouchStatus
from services.clock import ManualClock
from services.planner import OCCASION_PASSED
from tests.test_reminders import (
    MANAGER_ID,
    add_client,
    add_member,
    make_ticker,
    msk,
    run_until,
    sent_texts,
)

Factory = async_sessionmaker[AsyncSession]


async def add_birthday(
    session: AsyncSession,
    client_id: int,
    contact_id: int | None,
    day: date,
    *,
    relation: str | None = None,
    person: str | None = None,
) -> KeyDate:
    key_date = KeyDate(
        client_id=client_id,
        contact_id=contact_id,
        kind="birthday",
        relation=relation,
        person_name=person,
        day=day.day,
        month=day.month,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    session.add(key_date)
    await session.flush()
    return key_date


def reminders_about(recorder: RecordingSession, words: str) -> list[str]:
    return [
        text
        for text in sent_texts(recorder, MANAGER_ID)
        if "Пора связаться" in text and words in text
    ]


def digests(recorder: RecordingSession) -> list[str]:
    return [text for text in sent_texts(recorder, MANAGER_ID) if "План на" in text]


async def test_fridays_digest_lists_the_week_ends_occasions(
    session_factory: Factory, clock: ManualClock, bot: Bot, recorder: RecordingSession
) -> None:
    async with session_factory.begin() as session:
        manager = await add_member(session)
        saturday = await add_client(session, manager, "Субботний", "Europe/Moscow")
        sunday = await add_client(
            session, manager, "Воскресный", "Europe/Moscow", contact="Сидорова Анна Павловна"
        )
        monday = await add_client(
            session, manager, "Понедельничный", "Europe/Moscow", contact="Козлов Олег Петрович"
        )
        friday = await add_client(
            session, manager, "Пятничный", "Europe/Moscow", contact="Орлов Пётр Ильич"
        )
        await add_birthday(session, friday.id, friday.contacts[0].id, date(2026, 11, 27))
        await add_birthday(session, saturday.id, saturday.contacts[0].id, date(2026, 11, 28))
        await add_birthday(session, sunday.id, sunday.contacts[0].id, date(2026, 11, 29))
        await add_birthday(session, monday.id, monday.contacts[0].id, date(2026, 11, 30))
    clock.set(msk(2026, 11, 26, 8, 55))
    ticker = make_ticker(bot, session_factory, clock)
    await run_until(ticker, clock, msk(2026, 11, 26, 9, 5), timedelta(minutes=5))
    [thursday] = digests(recorder)
    assert "Поводы сегодня и завтра" in thursday
    assert "завтра — " in thursday
    assert "Субботний" not in thursday

    await run_until(ticker, clock, msk(2026, 11, 27, 9, 5), timedelta(minutes=15))
    friday = digests(recorder)[-1]
    assert "Поводы до пн, 30 ноября включительно" in friday
    occasions = friday.split("Поводы")[1]
    assert "завтра — " in occasions
    assert "вс, 29 ноября — " in occasions
    assert "пн, 30 ноября — " in occasions
    assert occasions.index("Субботний") < occasions.index("Воскресный")
    assert occasions.index("Воскресный") < occasions.index("Понедельничный")


async def test_new_year_greeting_reaches_the_manager_before_the_holidays(
    session_factory: Factory, clock: ManualClock, bot: Bot, recorder: RecordingSession
) -> None:
    async with session_factory.begin() as session:
        manager = await add_member(session)
        client = await add_client(session, manager, "Ромашка", "Europe/Moscow")
    clock.set(msk(2026, 12, 28, 0, 5))
    ticker = make_ticker(bot, session_factory, clock, with_planning=True)
    await run_until(ticker, clock, msk(2026, 12, 30, 12, 0), timedelta(minutes=30))
    greetings = [
        text
        for text in sent_texts(recorder, MANAGER_ID)
        if "Пора связаться" in text and "с Новым годом" in text
    ]
    assert len(greetings) == 1
    assert "Поздравить Ивана Сергеевича с Новым годом" in greetings[0]
    async with session_factory() as session:
        touch = await session.scalar(
            select(Touch).where(Touch.client_id == client.id, Touch.occasion_key == "new_year")
        )
    assert touch is not None
    assert touch.reason is TouchReason.OCCASION
    assert touch.due_on == date(2026, 12, 30)

    # Not made before the holidays: the first digest after them carries no New Year greeting.
    await run_until(ticker, clock, msk(2027, 1, 11, 9, 5), timedelta(hours=3))
    after = digests(recorder)[-1]
    assert "пн, 11 января" in after
    assert "Новым годом" not in after
    async with session_factory() as session:
        closed = await session.get(Touch, touch.id)
    assert closed is not None
    assert closed.status is TouchStatus.SKIPPED
    assert closed.skip_reason == OCCASION_PASSED


async def test_a_missed_birthday_greeting_is_belated_then_closed(
    session_factory: Factory, clock: ManualClock, bot: Bot, recorder: RecordingSession
) -> None:
    async with session_factory.begin() as session:
        manager = await add_member(session)
        client = await add_client(
            session, manager, "Ромашка", "Europe/Moscow", contact="Орлова Екатерина Сергеевна"
        )
        await add_birthday(session, client.id, client.contacts[0].id, date(2026, 11, 29))
    clock.set(msk(2026, 11, 27, 0, 5))
    ticker = make_ticker(bot, session_factory, clock, with_planning=True)
    await run_until(ticker, clock, msk(2026, 11, 27, 12, 0), timedelta(minutes=30))
    # The client's cadence touch is overdue too, but the birthday call is that contact: one
    # reminder, not two for the same person at the same minute.
    [friday] = reminders_about(recorder, "")
    assert "Поздравить Екатерину Сергеевну с днём рождения" in friday
    assert "Екатерина Сергеевна, с днём рождения!" in friday

    # Friday passes without the call: Monday's reminder says the birthday was on Sunday.
    await run_until(ticker, clock, msk(2026, 11, 30, 12, 0), timedelta(hours=1))
    monday = reminders_about(recorder, "рождения")[-1]
    assert "Екатерина Сергеевна, с прошедшим днём рождения!" in monday
    # Friday is one working day ago, not three days: the week-end is nobody's neglect.
    assert "просрочено на 1 рабочий день — срок был пт 27.11" in monday
    assert not reminders_about(recorder, "Плановое касание")

    # Thursday, four days after it: the greeting is closed, not «просрочено на 6 дней».
    await run_until(ticker, clock, msk(2026, 12, 3, 9, 5), timedelta(hours=1))
    assert "Поздравить" not in digests(recorder)[-1]
    async with session_factory() as session:
        touch = await session.scalar(select(Touch).where(Touch.key_date_id.is_not(None)))
    assert touch is not None
    assert (touch.status, touch.skip_reason) == (TouchStatus.SKIPPED, OCCASION_PASSED)
