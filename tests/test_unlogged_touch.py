"""A touch closed by «✅ Сделано» is never lost with its unsaved draft: whatever command or button
resets the conversation (including a journey added later), the touch goes back into the plan,
its list shows it open again and the manager is told in one line.

The day is Monday 23 November 2026 in Moscow (tests/test_digest.arrange_day); «✅ Сделано» is
pressed on item 1 of /today, Тихоокеанская логистика, «Договориться о графике оплаты».
"""

from __future__ import annotations

import pytest
from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import create_dispatcher
from bot.offline import RecordingSession, SentMessage
from bot.settings import Settings
from handlers import get_routers
from models import Interaction
from models.enums import TouchStatus
from services.clock import ManualClock
from tests.harness import Chat, joined
from tests.test_plan_list import new_messages, open_today, press_on, rows, touch_of
from tests.test_reminders import MANAGER_ID

Factory = async_sessionmaker[AsyncSession]

CLIENT = "Тихоокеанская логистика"
BACK = (
    "Касание с <b>Тихоокеанская логистика</b> не записано и снова в плане: "
    "🎯 Договориться о графике оплаты — оно есть в /today."
)
OPEN_ROW_1 = ["📇 1. Тихоокеанская лог…", "✅ Сделано", "⏰ Отложить"]
DONE_ROW_1 = ["✅ 1. Тихоокеанская лог… — сделано"]


async def done_on_first(chat: Chat, session_factory: Factory, clock: ManualClock) -> SentMessage:
    """/today, «✅ Сделано» on item 1: its draft waits for the channel. The list message."""
    listed = await open_today(chat, session_factory, clock)
    calls = await press_on(chat, listed, "✅ Сделано", row=0)
    assert "Как связались?" in joined(calls)
    assert rows(listed)[0] == DONE_ROW_1
    return listed


async def assert_back_in_plan(
    chat: Chat, session_factory: Factory, listed: SentMessage, calls: list[object]
) -> None:
    """The touch is open again, said once, its list row open, and /today lists it."""
    assert joined(calls).count(BACK) == 1  # type: ignore[arg-type]
    touch = await touch_of(session_factory, CLIENT)
    assert (touch.status, touch.closed_at) == (TouchStatus.PLANNED, None)
    assert rows(listed)[0] == OPEN_ROW_1
    today = await chat.send(MANAGER_ID, "/today")
    fresh, _ = chat.find_button(MANAGER_ID, "📇 1.")
    assert CLIENT in joined(today)
    assert rows(fresh)[0] == OPEN_ROW_1


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/find", "Кого найти?"),
        ("/new", "Новый клиент"),
        ("/handover Янтарная", "Кому передать"),
        ("/settings", "Ваши настройки"),
        ("/import", "Пришлите файл"),
        ("/policy", "только руководителю"),
        ("/log", "Какой клиент?"),
    ],
)
async def test_a_command_resetting_the_conversation_puts_the_touch_back(
    chat: Chat, session_factory: Factory, clock: ManualClock, command: str, answer: str
) -> None:
    listed = await done_on_first(chat, session_factory, clock)

    calls = await chat.send(MANAGER_ID, command)

    assert answer in joined(calls), "the command itself works as usual"
    await assert_back_in_plan(chat, session_factory, listed, calls)


async def test_a_card_section_opened_meanwhile_puts_the_touch_back(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    listed = await done_on_first(chat, session_factory, clock)
    await press_on(chat, listed, "📇 2.")

    calls = await chat.press(MANAGER_ID, "Контакты")

    await assert_back_in_plan(chat, session_factory, listed, calls)


async def test_cancelling_the_new_client_a_touchs_draft_waits_for_puts_the_touch_back(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    """The draft put aside while /new creates its client is still the touch's draft; cancelling
    /new drops it."""
    listed = await done_on_first(chat, session_factory, clock)
    await chat.send(MANAGER_ID, "звонил, договорились об отгрузке 10 декабря")
    await chat.press(MANAGER_ID, "Клиент", exact=True)
    await chat.send(MANAGER_ID, "Рога и копыта")
    calls = await chat.press(MANAGER_ID, "Создать клиента")
    assert "Новый клиент" in joined(calls)
    touch = await touch_of(session_factory, CLIENT)
    assert touch.status is TouchStatus.DONE, "put aside, not dropped"

    calls = await chat.send(MANAGER_ID, "/cancel")

    assert "Создание клиента отменено" in joined(calls)
    await assert_back_in_plan(chat, session_factory, listed, calls)


@pytest.mark.parametrize(
    "command", ["/today", "/week", "/overdue", "/stats", "/team", "/export", "/help", "/start"]
)
async def test_a_command_leaving_the_conversation_keeps_the_draft(
    chat: Chat, session_factory: Factory, clock: ManualClock, command: str
) -> None:
    listed = await done_on_first(chat, session_factory, clock)

    calls = await chat.send(MANAGER_ID, command)

    assert "снова в плане" not in joined(calls)
    await chat.send(MANAGER_ID, "звонил, договорились об отгрузке 10 декабря")
    await chat.press(MANAGER_ID, "Сохранить")
    touch = await touch_of(session_factory, CLIENT)
    assert touch.status is TouchStatus.DONE
    async with session_factory() as session:
        logged = await session.scalars(select(Interaction.touch_id))
        assert list(logged) == [touch.id]
    assert rows(listed)[0] == DONE_ROW_1


async def test_saving_the_draft_keeps_the_touch_done_and_says_nothing_of_the_plan(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    await done_on_first(chat, session_factory, clock)
    await chat.send(MANAGER_ID, "звонил, договорились об отгрузке 10 декабря")
    calls = await chat.press(MANAGER_ID, "Сохранить")
    assert "Сохранено ✅" in joined(calls)
    assert "снова в плане" not in joined(calls)
    # The conversation is reset after the save: nothing goes back.
    calls = await chat.send(MANAGER_ID, "/find")
    assert "снова в плане" not in joined(calls)
    assert (await touch_of(session_factory, CLIENT)).status is TouchStatus.DONE


async def test_a_draft_saved_for_another_client_puts_the_touch_back(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    """The touch's draft moved to another client logs that client's contact, not the touch."""
    listed = await done_on_first(chat, session_factory, clock)
    await chat.send(MANAGER_ID, "звонил, договорились об отгрузке 10 декабря")
    await chat.press(MANAGER_ID, "Клиент", exact=True)
    await chat.send(MANAGER_ID, "Янтарная верфь")

    calls = await chat.press(MANAGER_ID, "Сохранить")

    assert "Сохранено ✅" in joined(calls)
    await assert_back_in_plan(chat, session_factory, listed, calls)


async def test_a_new_log_about_the_same_client_keeps_the_touch_it_logs(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    await done_on_first(chat, session_factory, clock)
    await chat.send(MANAGER_ID, "звонил, договорились об отгрузке 10 декабря")
    calls = await chat.send(
        MANAGER_ID,
        "Звонил в Тихоокеанскую логистику, цель — график оплаты, "
        "договорились созвониться 12 декабря",
    )
    assert "его заменило это сообщение" in joined(calls)
    assert "снова в плане" not in joined(calls)
    await chat.press(MANAGER_ID, "Сохранить")
    touch = await touch_of(session_factory, CLIENT)
    assert touch.status is TouchStatus.DONE
    async with session_factory() as session:
        assert list(await session.scalars(select(Interaction.touch_id))) == [touch.id]


async def test_a_new_log_about_another_client_says_the_touch_is_back_in_the_same_message(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    listed = await done_on_first(chat, session_factory, clock)
    calls = await chat.send(
        MANAGER_ID, "Звонил в Янтарную верфь, цель — прайс, обещали ответить в пятницу"
    )
    [replaced] = [m for m in new_messages(calls) if "отменён" in m.text]
    assert BACK in replaced.text
    await assert_back_in_plan(chat, session_factory, listed, calls)


async def test_done_on_another_item_says_the_first_is_back_before_the_new_log(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    listed = await done_on_first(chat, session_factory, clock)
    calls = await press_on(chat, listed, "✅ Сделано", row=1)
    sent = [m.text for m in new_messages(calls)]
    assert sent.index(BACK) < next(i for i, text in enumerate(sent) if "Как прошло?" in text)
    assert rows(listed)[0] == OPEN_ROW_1


async def test_a_journey_added_later_is_covered_too(
    settings: Settings,
    session_factory: Factory,
    clock: ManualClock,
    bot: Bot,
    recorder: RecordingSession,
) -> None:
    """A command that knows nothing of logging clears the conversation: the guard still puts
    the touch back (the generic path, not a list of commands)."""
    later = Router(name="later")

    @later.message(Command("later"))
    async def cmd_later(message: Message, state: FSMContext) -> None:
        await state.clear()
        await message.answer("Позже.")

    dp = create_dispatcher(settings, session_factory, clock, routers=[later, *get_routers()])
    chat = Chat(dp, bot, recorder, clock)
    listed = await done_on_first(chat, session_factory, clock)

    calls = await chat.send(MANAGER_ID, "/later")

    assert "Позже." in joined(calls)
    await assert_back_in_plan(chat, session_factory, listed, calls)
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Interaction)) == 0


async def test_the_line_is_in_english_for_an_english_manager(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    listed = await done_on_first(chat, session_factory, clock)
    await chat.send(MANAGER_ID, "/settings")
    await chat.press(MANAGER_ID, "Language")
    await chat.press(MANAGER_ID, "English")
    # /settings reset the conversation already: the touch went back, said in Russian then.
    assert rows(listed)[0] == OPEN_ROW_1
    await press_on(chat, listed, "✅", row=0)

    calls = await chat.send(MANAGER_ID, "/find")

    assert (
        "The touch with <b>Тихоокеанская логистика</b> is not logged and is back in your plan: "
        "🎯 Договориться о графике оплаты — see /today."
    ) in joined(calls)


async def test_done_on_a_message_too_old_to_answer_under_still_opens_the_log(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    """Telegram hands a press on a message older than 48 hours without the message: the touch
    was closed with no draft behind it and stayed done if the manager never pressed on."""
    await open_today(chat, session_factory, clock)
    _, done = chat.find_button(MANAGER_ID, "✅ Сделано")
    assert done.callback_data is not None

    calls = await chat.press_data(MANAGER_ID, done.callback_data)  # no message: too old

    assert "Договориться о графике оплаты" in joined(calls)
    assert "Как связались?" in joined(calls)
    assert (await touch_of(session_factory, CLIENT)).status is TouchStatus.DONE
    await chat.send(MANAGER_ID, "/cancel")
    touch = await touch_of(session_factory, CLIENT)
    assert (touch.status, touch.closed_at) == (TouchStatus.PLANNED, None)
