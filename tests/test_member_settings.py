"""/settings through the dispatcher: time zone, hours, days, digest time and language."""

from __future__ import annotations

from datetime import time

from aiogram.methods import SetMyCommands
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Member
from tests.conftest import HEAD_ID
from tests.harness import Chat, joined


async def head(session: AsyncSession) -> Member:
    """The head as stored now."""
    session.expire_all()
    member = await session.scalar(select(Member).where(Member.telegram_id == HEAD_ID))
    assert member is not None
    return member


async def test_card_shows_defaults(chat: Chat) -> None:
    calls = await chat.send(HEAD_ID, "/settings")
    text = joined(calls)
    assert "Часовой пояс: Москва, МСК (сейчас" in text
    assert "09:00–18:00" in text
    assert "пн–пт" in text.lower()
    assert "Русский" in text


async def test_timezone_by_city_button(chat: Chat, session: AsyncSession) -> None:
    await chat.send(HEAD_ID, "/settings")
    await chat.press(HEAD_ID, "Часовой пояс")
    calls = await chat.press(HEAD_ID, "Владивосток")
    # The zone by its city and offset, not its IANA key.
    assert "Часовой пояс: Владивосток, МСК+7" in joined(calls)
    assert "Asia/" not in joined(calls)
    assert (await head(session)).timezone == "Asia/Vladivostok"


async def test_timezone_typed_city_and_offset(chat: Chat, session: AsyncSession) -> None:
    await chat.send(HEAD_ID, "/settings")
    await chat.press(HEAD_ID, "Часовой пояс")
    await chat.send(HEAD_ID, "Екатеринбург")
    assert (await head(session)).timezone == "Asia/Yekaterinburg"
    await chat.press(HEAD_ID, "Часовой пояс")
    calls = await chat.send(HEAD_ID, "МСК+4")
    assert (await head(session)).timezone in {"Asia/Krasnoyarsk", "Asia/Novosibirsk", "Etc/GMT-7"}
    # Shown as people write it, never as the POSIX key with its inverted sign.
    assert "GMT" not in joined(calls)
    assert "МСК+4 (сейчас" in joined(calls)


async def test_unknown_city_is_explained_and_nothing_changes(
    chat: Chat, session: AsyncSession
) -> None:
    await chat.send(HEAD_ID, "/settings")
    await chat.press(HEAD_ID, "Часовой пояс")
    calls = await chat.send(HEAD_ID, "Атлантида<b>")
    assert "Не знаю такого города" in joined(calls)
    assert "Атлантида&lt;b&gt;" in joined(calls)
    assert (await head(session)).timezone == "Europe/Moscow"


async def test_hours_days_and_digest(chat: Chat, session: AsyncSession) -> None:
    await chat.send(HEAD_ID, "/settings")
    await chat.press(HEAD_ID, "Часы")
    await chat.send(HEAD_ID, "10-19")
    await chat.press(HEAD_ID, "Дни")
    await chat.send(HEAD_ID, "пн, ср, пт")
    await chat.press(HEAD_ID, "Дайджест")
    await chat.send(HEAD_ID, "8.30")
    member = await head(session)
    assert (member.work_start, member.work_end) == (time(10), time(19))
    assert member.weekdays == frozenset({0, 2, 4})
    assert member.digest_time == time(8, 30)


async def test_a_digest_at_the_start_of_the_day_moves_with_the_hours(
    chat: Chat, session: AsyncSession
) -> None:
    await chat.send(HEAD_ID, "/settings")
    await chat.press(HEAD_ID, "Часы")
    calls = await chat.send(HEAD_ID, "10-19")
    assert (await head(session)).digest_time == time(10)
    assert "Дайджест: в 10:00\n" in joined(calls)
    # A digest set apart from the start stays, and an early one is said to be early.
    await chat.press(HEAD_ID, "Дайджест")
    await chat.send(HEAD_ID, "8:30")
    await chat.press(HEAD_ID, "Часы")
    calls = await chat.send(HEAD_ID, "9-18")
    assert (await head(session)).digest_time == time(8, 30)
    assert "Дайджест: в 08:30 (до начала рабочего дня)" in joined(calls)


async def test_reversed_hours_are_refused(chat: Chat, session: AsyncSession) -> None:
    await chat.send(HEAD_ID, "/settings")
    await chat.press(HEAD_ID, "Часы")
    calls = await chat.send(HEAD_ID, "18:00-09:00")
    assert joined(calls)
    assert "09:00–18:00" not in joined(calls)
    member = await head(session)
    assert (member.work_start, member.work_end) == (time(9), time(18))


async def test_days_preset_button(chat: Chat, session: AsyncSession) -> None:
    await chat.send(HEAD_ID, "/settings")
    await chat.press(HEAD_ID, "Дни")
    await chat.press(HEAD_ID, "Пн–Сб")
    assert (await head(session)).weekdays == frozenset(range(6))


async def test_language_switch_changes_texts_and_menu(chat: Chat, session: AsyncSession) -> None:
    await chat.send(HEAD_ID, "/settings")
    await chat.press(HEAD_ID, "Language")
    calls = await chat.press(HEAD_ID, "English")
    assert "Your settings" in joined(calls)
    assert any(isinstance(call, SetMyCommands) for call in calls)
    assert (await head(session)).language == "en"
    help_calls = await chat.send(HEAD_ID, "/help")
    assert "sales manager's assistant" in joined(help_calls)


async def test_cancel_returns_to_the_card(chat: Chat) -> None:
    await chat.send(HEAD_ID, "/settings")
    await chat.press(HEAD_ID, "Часы")
    calls = await chat.press(HEAD_ID, "Отмена")
    assert "Ваши настройки" in joined(calls)
    after = await chat.send(HEAD_ID, "10-19")
    assert "Ваши настройки" not in joined(after)


async def test_forged_settings_value_is_refused(chat: Chat, session: AsyncSession) -> None:
    await chat.send(HEAD_ID, "/settings")
    calls = await chat.press_data(HEAD_ID, "setv:lang:de")
    assert "устарела" in joined(calls)
    assert (await head(session)).language == "ru"
