"""Buttons on a plan list (/today, the morning digest), a reminder and search results keep that
message: a card comes as a new message, and navigation inside the card edits the card.

The day is Monday 23 November 2026 in Moscow (tests/test_digest.arrange_day): 1. Тихоокеанская
логистика, 2. Янтарная верфь, 3. Приморский рыбокомбинат today, 4. СтройМонтаж overdue.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiogram import Bot
from aiogram.methods import EditMessageReplyMarkup, EditMessageText, SendMessage
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callbacks import (
    CardCallback,
)
from bot.offline import RecordingSession, SentMessage
from models import Client, Touch
from services.clock import ManualClock
from tests.harness import Chat, joined
from tests.test_digest import arrange_day
from tests.test_reminders import (
    MANAGER_ID,
    add_client,
    add_member,
    deliver_reminder,
    make_ticker,
    msk,
    run_until,
)

Factory = async_sessionmaker[AsyncSession]


async def open_today(chat: Chat, session_factory: Factory, clock: ManualClock) -> SentMessage:
    """The manager's /today at noon; the list message."""
    async with session_factory.begin() as session:
        await arrange_day(session)
    clock.set(msk(2026, 11, 23, 12, 0))
    await chat.send(MANAGER_ID, "/today")
    sent, _ = chat.find_button(MANAGER_ID, "📇 1.")
    return sent


def rows(sent: SentMessage) -> list[list[str]]:
    """The button labels of a message, row by row."""
    assert sent.reply_markup is not None
    return [[button.text for button in row] for row in sent.reply_markup.inline_keyboard]


def data_of(sent: SentMessage, label: str) -> str:
    """The callback data of the first button of this message whose label contains `label`."""
    for row in sent.reply_markup.inline_keyboard if sent.reply_markup else []:
        for button in row:
            if label in button.text and button.callback_data:
                return button.callback_data
    raise AssertionError(f"no {label!r} under message {sent.message_id}: {rows(sent)}")


async def press_on(chat: Chat, sent: SentMessage, label: str, row: int | None = None) -> list[Any]:
    """Press a button of this very message (the `row`-th row's, when given)."""
    if row is not None:
        assert sent.reply_markup is not None
        buttons = sent.reply_markup.inline_keyboard[row]
        button = next(b for b in buttons if label in b.text)
        assert button.callback_data is not None
        return await chat.press_data(MANAGER_ID, button.callback_data, on=sent)
    return await chat.press_data(MANAGER_ID, data_of(sent, label), on=sent)


def edits_of(calls: list[Any], sent: SentMessage) -> list[Any]:
    """The calls that changed this message: its text, or its buttons."""
    return [
        call
        for call in calls
        if isinstance(call, EditMessageText | EditMessageReplyMarkup)
        and call.message_id == sent.message_id
    ]


def new_messages(calls: list[Any]) -> list[Any]:
    """The messages sent (not edits)."""
    return [call for call in calls if isinstance(call, SendMessage)]


async def touch_of(session_factory: Factory, client_name: str) -> Touch:
    async with session_factory() as session:
        touch = await session.scalar(
            select(Touch)
            .join(Client, Client.id == Touch.client_id)
            .where(Client.name == client_name)
        )
        assert touch is not None
        return touch


OPEN_ROW_2 = ["📇 2. Янтарная верфь", "✅ Сделано", "⏰ Отложить"]


# --- Opening a card ---------------------------------------------------------------------------


async def test_a_card_opened_from_today_comes_as_a_new_message_and_the_list_stays(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    listed = await open_today(chat, session_factory, clock)
    text, buttons = listed.text, rows(listed)

    calls = await press_on(chat, listed, "📇 1.")

    assert not edits_of(calls, listed), "the list is not turned into the card"
    [card] = new_messages(calls)
    assert "Тихоокеанская логистика" in card.text
    assert "Справочная" in card.text
    assert (listed.text, rows(listed)) == (text, buttons)
    # The next item is one press away on the same list.
    calls = await press_on(chat, listed, "📇 2.")
    assert "Янтарная верфь" in new_messages(calls)[0].text
    assert not edits_of(calls, listed)


async def test_navigation_inside_the_card_still_edits_the_card(
    chat: Chat, session_factory: Factory, clock: ManualClock, recorder: RecordingSession
) -> None:
    listed = await open_today(chat, session_factory, clock)
    await press_on(chat, listed, "📇 1.")
    card, _ = chat.find_button(MANAGER_ID, "Контакты")
    calls = await chat.press(MANAGER_ID, "Контакты")
    assert [call.message_id for call in calls if isinstance(call, EditMessageText)] == [
        card.message_id
    ]
    assert not new_messages(calls)


async def test_the_morning_digest_keeps_its_list_when_a_card_opens(
    chat: Chat, session_factory: Factory, clock: ManualClock, bot: Bot
) -> None:
    async with session_factory.begin() as session:
        await arrange_day(session)
    clock.set(msk(2026, 11, 23, 8, 58))
    await run_until(
        make_ticker(bot, session_factory, clock),
        clock,
        msk(2026, 11, 23, 9, 1),
        timedelta(minutes=1),
    )
    digest, _ = chat.find_button(MANAGER_ID, "📇 1.")
    assert "План на" in digest.text
    buttons = rows(digest)

    calls = await press_on(chat, digest, "📇 3.")

    assert not edits_of(calls, digest)
    assert "Приморский рыбокомбинат" in new_messages(calls)[0].text
    assert rows(digest) == buttons


async def test_a_reminders_card_button_leaves_the_reminder(
    chat: Chat, session_factory: Factory, clock: ManualClock, bot: Bot
) -> None:
    await deliver_reminder(session_factory, clock, bot)
    reminder, button = chat.find_button(MANAGER_ID, "📇 Карточка")
    assert button.callback_data is not None
    assert CardCallback.unpack(button.callback_data)
    calls = await chat.press(MANAGER_ID, "📇 Карточка")
    assert not edits_of(calls, reminder)
    assert "Ромашка" in new_messages(calls)[0].text
    assert "✅ Сделано" in [b for row in rows(reminder) for b in row]


async def test_search_results_stay_when_a_card_opens(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    async with session_factory.begin() as session:
        manager = await add_member(session)
        await add_client(session, manager, "Ромашка", "Europe/Moscow")
        await add_client(session, manager, "Ромашка Плюс", "Europe/Moscow")
    calls = await chat.send(MANAGER_ID, "/find Ромашка")
    assert "Нашёл (2)" in joined(calls)
    results, _ = chat.find_button(MANAGER_ID, "Ромашка Плюс")
    calls = await chat.press(MANAGER_ID, "Ромашка Плюс")
    assert not edits_of(calls, results)
    assert "Ромашка Плюс" in new_messages(calls)[0].text
    assert len(rows(results)) == 2
