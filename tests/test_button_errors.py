"""A button whose work fails says so: an alert when the handler fails, a message in the chat
when what it did could not be saved after the press was answered. Before, aiogram answered the
press blank and the error handler's alert was a repeat nobody saw: the button did nothing."""

from __future__ import annotations

from datetime import UTC, datetime, time

from aiogram import Bot, Router
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import create_dispatcher
from bot.offline import RecordingSession
from bot.settings import Settings
from handlers import get_routers
from models import Member
from models.enums import Role
from services.clock import ManualClock
from tests.conftest import HEAD_ID
from tests.harness import Chat

ERROR = "Что-то пошло не так, ничего не сохранено"


def failing_chat(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    bot: Bot,
    recorder: RecordingSession,
) -> Chat:
    """The real dispatcher with two buttons of a journey that fails: «boom» raises in its
    handler, «clash» leaves a write the update's commit refuses (a second member with the head's
    Telegram id)."""
    broken = Router(name="broken")

    @broken.callback_query(lambda query: query.data == "boom")
    async def boom(query: CallbackQuery) -> None:
        raise RuntimeError("the journey failed")

    @broken.callback_query(lambda query: query.data == "clash")
    async def clash(query: CallbackQuery, session: AsyncSession) -> None:
        session.add(
            Member(
                telegram_id=HEAD_ID,
                full_name="Двойник",
                role=Role.MANAGER,
                is_active=True,
                timezone="Europe/Moscow",
                work_start=time(9),
                work_end=time(18),
                work_days="01234",
                digest_time=time(9),
                language="ru",
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )

    dp = create_dispatcher(settings, session_factory, clock, routers=[broken, *get_routers()])
    return Chat(dp, bot, recorder, clock)


async def test_a_failing_button_answers_with_an_alert(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    bot: Bot,
    recorder: RecordingSession,
) -> None:
    chat = failing_chat(settings, session_factory, clock, bot, recorder)
    await chat.send(HEAD_ID, "/start")

    calls = await chat.press_data(HEAD_ID, "boom")

    answers = [call for call in calls if isinstance(call, AnswerCallbackQuery)]
    assert len(answers) == 1
    assert answers[0].show_alert
    assert answers[0].text is not None
    assert answers[0].text.startswith(ERROR)
    assert not [call for call in calls if isinstance(call, SendMessage)], "said once"


async def test_a_press_whose_work_cannot_be_saved_is_told_in_the_chat(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    bot: Bot,
    recorder: RecordingSession,
) -> None:
    chat = failing_chat(settings, session_factory, clock, bot, recorder)
    await chat.send(HEAD_ID, "/start")

    calls = await chat.press_data(HEAD_ID, "clash")

    told = [call for call in calls if isinstance(call, SendMessage) and call.chat_id == HEAD_ID]
    assert len(told) == 1
    assert told[0].text.startswith(ERROR)
