"""Update middlewares: one database transaction per update, who is speaking (member or not), a
touch left unlogged by a conversation reset put back into the plan; and the request middleware
that answers each button press once."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, cast

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.methods import AnswerCallbackQuery, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import TelegramObject, Update, User
from aiogram.utils.callback_answer import CallbackAnswerMiddleware
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import translator
from bot.settings import Settings
from bot.storage import update_session
from handlers import logging as log_journey
from handlers.common import ERROR_TOLD
from models import Member
from scheduler import outbox
from services import protection, team
from services.clock import Clock

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


# The dispatcher's workflow data key of `async () -> None` that sends what an update queued in
# the outbox (the clock's `Ticker.wake`); without it the next tick sends it.
OUTBOX_WAKE = "outbox_wake"


class DatabaseSessionMiddleware(BaseMiddleware):
    """Opens one transaction per update: commit when the handler returns, rollback on error.

    When the committed transaction queued outbox rows (a notice to another member), the sender
    is woken: they go out now rather than at the next tick. A rollback queued nothing.
    """

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with self.session_factory.begin() as session:
            data["session"] = session
            token = update_session.set(session)
            try:
                result = await handler(event, data)
            finally:
                update_session.reset(token)
        wake: Callable[[], Awaitable[None]] | None = data.get(OUTBOX_WAKE)
        if wake is not None and session.info.get(outbox.QUEUED):
            await wake()
        return result


def _invite_payload(update: Update) -> str | None:
    message = update.message
    if message is None or not message.text or not message.text.startswith("/start "):
        return None
    payload = message.text.split(maxsplit=1)[1].strip()
    return payload or None


class MemberMiddleware(BaseMiddleware):
    """Finds the member behind an update; strangers get one polite refusal and nothing else, a
    member who was switched off is told so (no data either way).

    Only `/start <invite code>` passes through for a non-member, so they can join (or rejoin).
    """

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.defaults = team.TeamDefaults(settings.default_timezone, settings.default_language)

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        user: User | None = data.get("event_from_user")
        if user is None or user.is_bot:
            return None
        session: AsyncSession = data["session"]
        session.info[protection.THRESHOLD_INFO_KEY] = self.settings.read_alert_threshold
        member = await team.get_member(session, user.id)
        if user.id in self.settings.head_ids and (member is None or not member.is_active):
            person = team.Newcomer(user.id, user.full_name, user.username)
            member = await team.bootstrap_head(session, person, self.defaults, self.clock.now())
        if member is not None and member.is_active:
            data["member"] = member
            data["tr"] = translator(member.language)
            return await handler(event, data)
        # A member switched off hears that, in their own language, not the stranger's greeting.
        switched_off = member is not None
        language = (
            member.language
            if member is not None
            else _stranger_language(user, self.settings.default_language)
        )
        data["member"] = None
        data["tr"] = translator(language)
        if _invite_payload(event) is not None:
            return await handler(event, data)
        refusal = "team.you_are_deactivated" if switched_off else "common.stranger_refusal"
        await _refuse(event, data["tr"](refusal))
        return None


class UnloggedTouchGuard(BaseMiddleware):
    """A touch closed by «✅ Сделано» never vanishes with its unsaved draft.

    Any command or button may reset the conversation (/find, /new, /handover, a card's section,
    a journey added later…). Whatever handled the update, a draft opened by «✅ Сделано» that
    left the conversation unsaved puts its touch back into the plan afterwards, and the manager
    is told in one line (handlers.logging.put_back_dropped). Registered after the FSM
    middleware, inside the update's transaction: the put-back commits with the reset.
    """

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        state: FSMContext | None = data.get("state")
        member: Member | None = data.get("member")
        if state is None or member is None:
            return await handler(event, data)
        # The FSM middleware has just read the conversation's row for its state: on the
        # database storage the data come from the same row, without a query.
        before = await state.get_data()
        result = await handler(event, data)
        if log_journey.held_touches(before):
            clock: Clock = data["clock"]
            await log_journey.put_back_dropped(
                data["bot"],
                data["session"],
                member,
                # The update may have changed the member's language (/settings).
                translator(member.language),
                before,
                await state.get_data(),
                clock.now(),
            )
        return result


def _stranger_language(user: User, default: str) -> str:
    code = (user.language_code or "").split("-")[0]
    return "ru" if code in {"ru", "uk", "be", "kk"} else ("en" if code else default)


async def _refuse(update: Update, text: str) -> None:
    if update.message is not None:
        await update.message.answer(text)
    elif update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.edited_message is not None:
        return


# What answerCallbackQuery returns. aiogram's sessions pass the method's result itself up the
# request chain, whatever `BaseRequestMiddleware`'s annotation says.
ANSWERED = cast("Response[Any]", True)


class CallbackAnswerOnError(CallbackAnswerMiddleware):
    """aiogram's answer to every button press, which on a failure is the error alert.

    aiogram answers a press in a `finally`, so a handler that raised was answered blank before
    the error handler could say anything, and its alert was a repeat nobody saw: the button
    seemed to do nothing. The alert is set before that answer goes instead.
    """

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        async def guarded(event: TelegramObject, data: dict[str, Any]) -> Any:
            try:
                return await handler(event, data)
            except Exception as error:
                answer = data.get("callback_answer")
                if answer is not None and not answer.answered:
                    tr = data.get("tr") or translator("ru")
                    answer.text = tr("common.error")
                    answer.show_alert = True
                    # The error handler need not say it again (see handlers.fallback).
                    error.add_note(ERROR_TOLD)
                raise

        return await super().__call__(guarded, event, data)


class AnswerCallbackOnce(BaseRequestMiddleware):
    """Each button press is answered once, and a refused answer is no error.

    A handler that answers with an alert is followed by `CallbackAnswerMiddleware`'s own answer;
    Telegram may refuse the second («query is too old… or query ID is invalid»), and so it may a
    first one given after its deadline. Either refusal raised inside the update's transaction
    would roll back what the press did, so the repeat never leaves the process and a refusal is
    logged and taken as answered.
    """

    def __init__(self, remember: int = 10_000) -> None:
        self.remember = remember
        self._answered: OrderedDict[str, None] = OrderedDict()

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        query_id = method.callback_query_id if isinstance(method, AnswerCallbackQuery) else None
        if query_id is None:
            return await make_request(bot, method)
        if query_id in self._answered:
            return ANSWERED
        self._answered[query_id] = None
        while len(self._answered) > self.remember:
            self._answered.popitem(last=False)
        try:
            return await make_request(bot, method)
        except TelegramBadRequest as error:
            log.info("callback query %s not answered: %s", query_id, error.message)
            return ANSWERED
