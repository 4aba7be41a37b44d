"""The buttons under a plan list (the morning digest, /today), drawn again from its touches.

A list message is never rewritten: its text stays, and only its buttons follow the touches.
Pressing any button of the list draws all its rows again, so an item handled from elsewhere
(a reminder, another copy of the list, a typed date) reads as handled there too. A conversation
that goes on in new messages (a typed snooze date, a skip reason, the log after «✅ Сделано»)
remembers its list in the conversation data and draws it again when it ends.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from bot.keyboards import planner as keyboards
from models import Member
from services import digest

# The conversation data key of the list a conversation was started from.
REMEMBERED = "plan_list"


async def _markup(
    session: AsyncSession,
    member: Member,
    tr: Translator,
    items: list[tuple[int, int]],
    now: datetime,
    expand: int | None,
    tail: list[list[digest.Button]],
) -> InlineKeyboardMarkup:
    listed = await digest.listed_touches(session, member, [touch for touch, _ in items], now)
    zone = ZoneInfo(member.timezone)
    return keyboards.plan_list(tr, items, listed, zone, now, expand=expand, tail=tail)


async def _edit(bot: Bot, chat_id: int, message_id: int, markup: InlineKeyboardMarkup) -> None:
    # Too old to edit, deleted, or already showing this: the buttons re-check on press anyway.
    with suppress(TelegramBadRequest):
        await bot.edit_message_reply_markup(
            chat_id=chat_id, message_id=message_id, reply_markup=markup
        )


def _same(drawn: InlineKeyboardMarkup, shown: InlineKeyboardMarkup | None) -> bool:
    # By content: a markup that came with an update also carries the bot it is bound to.
    return shown is not None and drawn.model_dump(exclude_none=True) == shown.model_dump(
        exclude_none=True
    )


def pressed_list(query: CallbackQuery) -> tuple[Message, list[tuple[int, int]]] | None:
    """The plan list the button was pressed on and its items; None for any other message."""
    message = query.message
    if not isinstance(message, Message):
        return None
    items = keyboards.listed_items(message.reply_markup)
    return (message, items) if items else None


async def redraw_pressed(
    query: CallbackQuery,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    now: datetime,
    *,
    expand: int | None = None,
) -> bool:
    """Draw the pressed plan list's buttons again (`expand`: that item's snooze choices open);
    False when the message is not a plan list."""
    found = pressed_list(query)
    if found is None:
        return False
    message, items = found
    tail = keyboards.other_rows(message.reply_markup)
    markup = await _markup(session, member, tr, items, now, expand, tail)
    if not _same(markup, message.reply_markup) and query.bot is not None:
        await _edit(query.bot, message.chat.id, message.message_id, markup)
    return True


def reference(query: CallbackQuery) -> dict[str, Any] | None:
    """The pressed plan list as conversation data, for a conversation that goes on in new
    messages; None when the message is not a plan list."""
    found = pressed_list(query)
    if found is None:
        return None
    message, items = found
    return {
        "chat": message.chat.id,
        "message": message.message_id,
        "items": items,
        "tail": keyboards.other_rows(message.reply_markup),
    }


async def remember(state: FSMContext, query: CallbackQuery) -> None:
    """Keep the pressed plan list (if it is one) for the conversation that starts now."""
    ref = reference(query)
    if ref is not None:
        await state.update_data({REMEMBERED: ref})


async def redraw_remembered(
    bot: Bot,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    now: datetime,
    ref: object,
) -> None:
    """Draw again the list a conversation was started from (`ref` from `reference`)."""
    if not isinstance(ref, dict):
        return
    try:
        chat_id, message_id = int(ref["chat"]), int(ref["message"])
        items = [(int(touch), int(number)) for touch, number in ref["items"]]
        tail = [
            [{"text": str(b["text"]), "callback_data": str(b["callback_data"])} for b in row]
            for row in ref.get("tail", [])
        ]
    except (KeyError, TypeError, ValueError):
        return
    if items:
        markup = await _markup(session, member, tr, items, now, None, tail)
        await _edit(bot, chat_id, message_id, markup)
