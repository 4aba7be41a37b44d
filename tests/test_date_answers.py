"""A day typed as the answer to «когда?» that cannot be planned is explained, in every form the
reader understands: a past one (with a year, a two-digit year, in words, ISO, «вчера») «уже
прошла», one more than two years ahead «дальше чем через два года»; in Russian and in English,
for a log's next step, a plan's day, a first contact's and a snooze."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from aiogram import Bot
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import Member
from services import digest, parsing, validation
from services.clock import ManualClock
from tests.conftest import HEAD_ID
from tests.harness import Chat, joined
from tests.test_first_touches import new_client
from tests.test_logging import MANAGER, seed
from tests.test_reminders import MANAGER_ID, deliver_reminder

MSK = ZoneInfo("Europe/Moscow")
# Wednesday 18 November 2026, as the tests' clock starts.
NOW = datetime(2026, 11, 18, 10, 30, tzinfo=MSK)
PAST = (
    "10.11.2026",
    "10.11.26",
    "10/11/2026",
    "10 ноября 2026",
    "2026-11-10",
    "вчера",
    "позавчера",
)
PAST_EN = ("November 10, 2026", "10 November 2026", "10th of November 2026", "yesterday")
FAR = ("10.11.2031", "10 ноября 2031", "через 3 года")
PAST_ANSWER = "— эта дата уже прошла. Напишите другой день."
FAR_ANSWER = "— это дальше чем через два года. Напишите день поближе."


@pytest.fixture
async def base(session: AsyncSession, clock: ManualClock) -> dict[str, int]:
    """The logging tests' managers and clients (Ромашка with Петров…)."""
    return await seed(session, clock)


@pytest.mark.parametrize("typed", [*PAST, *PAST_EN])
def test_a_past_day_typed_alone_is_refused_as_past(typed: str) -> None:
    # A log message's «звонил вчера» tells when the call was: no refusal there.
    assert parsing.parse_interaction(typed, now=NOW).refused_date is None
    assert parsing.refused_answer(typed, NOW) == parsing.RefusedDate(typed, "past")


@pytest.mark.parametrize("typed", FAR)
def test_a_day_beyond_two_years_is_refused_as_far(typed: str) -> None:
    refused = parsing.parse_interaction(f"перезвонить {typed}", now=NOW).refused_date
    assert refused == parsing.RefusedDate(typed, "far")
    assert parsing.refused_answer(typed, NOW) == parsing.RefusedDate(typed, "far")


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("15.12.2026", date(2026, 12, 15)),
        ("10 November 2027", date(2027, 11, 10)),  # the year is read, not dropped
        ("через полтора года", date(2028, 5, 18)),
        ("18.11.2028", date(2028, 11, 18)),  # two years to the day: still planned
        ("10.11", date(2027, 11, 10)),  # without a year: its next occurrence
    ],
)
def test_days_within_two_years_are_planned(typed: str, day: date) -> None:
    assert parsing.parse_interaction(typed, now=NOW).next_touch == day
    assert parsing.refused_answer(typed, NOW) is None


def test_unreadable_text_is_no_refusal() -> None:
    assert parsing.refused_answer("когда-нибудь", NOW) is None
    assert parsing.refused_answer("24/7", NOW) is None


@pytest.mark.parametrize(
    ("typed", "code"), [("10.11.2026", "date_past"), *[(f, "date_far") for f in FAR]]
)
def test_a_snooze_day_is_refused_the_same_way(typed: str, code: str) -> None:
    with pytest.raises(validation.ValidationError) as refused:
        digest.parse_future_moment(typed, NOW, "ru")
    assert refused.value.code == code


async def _english(session: AsyncSession, telegram_id: int) -> None:
    member = await session.scalar(select(Member).where(Member.telegram_id == telegram_id))
    assert member is not None
    member.language = "en"
    await session.commit()


async def test_a_log_next_step_answer(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    calls = await chat.send(
        MANAGER,
        "Звонил Петрову из Ромашки, цель — предложить прайс, договорились перезвонить 31 февраля",
    )
    assert "Когда следующий шаг?" in joined(calls)
    for typed in PAST:
        assert f"«{typed}» {PAST_ANSWER}" in joined(await chat.send(MANAGER, typed))
    for typed in FAR:
        assert f"«{typed}» {FAR_ANSWER}" in joined(await chat.send(MANAGER, typed))
    assert "Не понял дату" in joined(await chat.send(MANAGER, "когда-нибудь"))
    assert "пт 04.12" in joined(await chat.send(MANAGER, "4.12.2026"))


async def test_a_log_message_naming_a_far_day_asks_for_the_next_step(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    calls = await chat.send(
        MANAGER,
        "Звонил Петрову из Ромашки, цель — предложить прайс, договорились созвониться 10.11.2031",
    )
    assert "«10.11.2031» — это дальше чем через два года. Когда следующий шаг?" in joined(calls)


async def test_a_plan_day_answer_in_english(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    await _english(session, MANAGER)
    await chat.send(MANAGER, "перезвонить Петрову из Ромашки в пятницу, согласовать отгрузку")
    assert "When?" in joined(await chat.press(MANAGER, "When"))
    for typed in PAST_EN:
        answer = joined(await chat.send(MANAGER, typed))
        assert f"«{typed}» has already passed. Please type another day." in answer
    answer = joined(await chat.send(MANAGER, "10.11.2031"))
    assert "«10.11.2031» is more than two years ahead. Please type a nearer day." in answer
    assert "Mon 23.11" in joined(await chat.send(MANAGER, "23 November 2026"))


async def test_a_first_contact_day_answer(chat: Chat, clock: ManualClock) -> None:
    await chat.send(HEAD_ID, "/start")
    await new_client(chat, HEAD_ID, "Ромашка")
    assert "Когда первый контакт" in joined(await chat.press(HEAD_ID, "Другой день"))
    assert f"«10.11.2026» {PAST_ANSWER}" in joined(await chat.send(HEAD_ID, "10.11.2026"))
    assert f"«вчера» {PAST_ANSWER}" in joined(await chat.send(HEAD_ID, "вчера"))
    assert f"«01.01.2031» {FAR_ANSWER}" in joined(await chat.send(HEAD_ID, "01.01.2031"))
    assert "Первый контакт с «Ромашка»: ср, 25 ноября." in joined(
        await chat.send(HEAD_ID, "25.11.2026")
    )


async def test_a_snooze_day_answer(
    chat: Chat,
    session_factory: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    bot: Bot,
) -> None:
    await deliver_reminder(session_factory, clock, bot)
    await chat.press(MANAGER_ID, "Отложить")
    await chat.press(MANAGER_ID, "выбрать дату")
    assert "Это время уже прошло" in joined(await chat.send(MANAGER_ID, "10.11.2026"))
    far = joined(await chat.send(MANAGER_ID, "10.11.2031"))
    assert f"«10.11.2031» {FAR_ANSWER}" in far
    assert "Отложено" in joined(await chat.send(MANAGER_ID, "1.12.2026"))
