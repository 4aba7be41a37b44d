"""A chat driver for tests: feeds updates through the real dispatcher and reads what was sent."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage, TelegramMethod
from aiogram.types import InlineKeyboardButton, User
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.offline import RecordingSession, SentMessage, UpdateFactory
from scheduler.delivery import Deliverer
from services.clock import ManualClock


class Chat:
    """Talks to the bot as Telegram users and records the bot's answers."""

    def __init__(
        self, dp: Dispatcher, bot: Bot, recorder: RecordingSession, clock: ManualClock
    ) -> None:
        self.dp = dp
        self.bot = bot
        self.recorder = recorder
        self.clock = clock
        self.updates = UpdateFactory(clock=clock.now)
        self.users: dict[int, User] = {}

    def user(self, user_id: int, name: str = "Tester", language: str = "ru") -> User:
        """The Telegram user with this id (created on first use)."""
        if user_id not in self.users:
            self.users[user_id] = User(
                id=user_id, is_bot=False, first_name=name, language_code=language
            )
        return self.users[user_id]

    async def send(self, user_id: int, text: str | None = None, **kwargs: Any) -> list[Any]:
        """Send a message as `user_id`; returns the Bot API calls it caused."""
        start = len(self.recorder.requests)
        update = self.updates.message(self.user(user_id), text, **kwargs)
        await self.dp.feed_update(self.bot, update)
        return self.recorder.requests[start:]

    async def feed(self, update: Any) -> list[Any]:
        """Feed a prepared update; returns the Bot API calls it caused."""
        start = len(self.recorder.requests)
        await self.dp.feed_update(self.bot, update)
        return self.recorder.requests[start:]

    async def press(self, user_id: int, label: str, *, exact: bool = False) -> list[Any]:
        """Press the newest button in the user's chat whose text contains `label`."""
        sent, button = self.find_button(user_id, label, exact=exact)
        assert button.callback_data is not None, f"button {button.text!r} has no callback"
        return await self.press_data(user_id, button.callback_data, on=sent)

    async def press_data(
        self, user_id: int, data: str, *, on: SentMessage | None = None
    ) -> list[Any]:
        """Press a button with raw callback data (forged payloads included)."""
        start = len(self.recorder.requests)
        update = self.updates.callback(self.user(user_id), data, on=on)
        await self.dp.feed_update(self.bot, update)
        return self.recorder.requests[start:]

    def find_button(
        self, user_id: int, label: str, *, exact: bool = False
    ) -> tuple[SentMessage, InlineKeyboardButton]:
        """The newest on-screen button in a chat matching `label`."""
        chat_messages = [m for (chat, _), m in self.recorder.messages.items() if chat == user_id]
        for sent in sorted(chat_messages, key=lambda m: m.message_id, reverse=True):
            if sent.reply_markup is None:
                continue
            for row in sent.reply_markup.inline_keyboard:
                for button in row:
                    if (button.text == label) if exact else (label in button.text):
                        return sent, button
        raise AssertionError(f"no button {label!r} in chat {user_id}")

    async def deliver(self, session_factory: async_sessionmaker[AsyncSession]) -> list[Any]:
        """Send what the outbox holds due now, as the clock's delivery job would (no pacing
        pauses); returns the Bot API calls it made."""
        start = len(self.recorder.requests)
        moment = 0.0

        def monotonic() -> float:
            return moment

        async def sleep(seconds: float) -> None:
            nonlocal moment
            moment += max(seconds, 0.0)

        deliverer = Deliverer(
            self.bot,
            session_factory,
            worker="chat",
            per_chat_interval=0.0,
            monotonic=monotonic,
            sleep=sleep,
        )
        await deliverer.deliver_due(self.clock.now())
        return self.recorder.requests[start:]

    def buttons(self, user_id: int) -> list[str]:
        """Texts of the buttons of the newest message with buttons in a chat."""
        chat_messages = [m for (chat, _), m in self.recorder.messages.items() if chat == user_id]
        for sent in sorted(chat_messages, key=lambda m: m.message_id, reverse=True):
            if sent.reply_markup is not None:
                return [b.text for row in sent.reply_markup.inline_keyboard for b in row]
        return []


def texts(calls: list[TelegramMethod[Any]]) -> list[str]:
    """The texts a list of calls showed: messages, edits and callback alerts."""
    found: list[str] = []
    for call in calls:
        if isinstance(call, SendMessage | EditMessageText) or (
            isinstance(call, AnswerCallbackQuery) and call.text
        ):
            found.append(call.text)
    return found


def joined(calls: list[TelegramMethod[Any]]) -> str:
    """All texts of a list of calls as one string, for `in` assertions."""
    return "\n".join(texts(calls))
