"""Small reply helpers shared by the journeys: quiet edits, HTML escaping, head-only guard."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from html import escape, unescape
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.i18n import Translator
from models import Member
from models.enums import Role
from scheduler.jobs import ReminderSlot

# The note a failed update's exception carries once the user was told of it by the button
# press's alert (`bot.middlewares.CallbackAnswerOnError`): the error handler need not repeat it.
ERROR_TOLD = "touchbase: the user was told"


def esc(text: str | None) -> str:
    """HTML-escape what a user typed before it goes into a message."""
    return escape(text or "", quote=False)


# How much of a user's text a reply quotes back («Не нашёл «…»»): a 4,000-character query must
# not push the reply over Telegram's 4096.
QUOTE_LIMIT = 60


def quote(text: str | None, limit: int = QUOTE_LIMIT) -> str:
    """A user's text quoted in a reply: trimmed, cut to `limit` characters, HTML-escaped."""
    cleaned = (text or "").strip()
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1] + "…"
    return esc(cleaned)


def plain(text: str) -> str:
    """A reply's HTML as plain text, for a button's pop-up answer (which shows no markup)."""
    return unescape(re.sub(r"</?[a-z]+>", "", text))


def esc_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """A service error's message parameters, with the user's text in them HTML-escaped."""
    return {key: esc(value) if isinstance(value, str) else value for key, value in params.items()}


def is_head(member: Member | None) -> bool:
    """Whether the member may use head-only commands."""
    return member is not None and member.role is Role.HEAD


async def show(
    query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Replace the pressed message with new content; a new message when it can't be edited."""
    message = query.message
    if isinstance(message, Message):
        try:
            await message.edit_text(text, reply_markup=markup)
        except TelegramBadRequest as error:
            if "message is not modified" not in str(error):
                await message.answer(text, reply_markup=markup)
        return
    await query.bot.send_message(query.from_user.id, text, reply_markup=markup)  # type: ignore[union-attr]


async def send_new(
    query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Answer a press with a new message; the message pressed on stays as it is."""
    message = query.message
    if isinstance(message, Message):
        await message.answer(text, reply_markup=markup)
        return
    await query.bot.send_message(query.from_user.id, text, reply_markup=markup)  # type: ignore[union-attr]


def reminder_when(slot: ReminderSlot, tr: Translator, zone: ZoneInfo, now: datetime) -> str:
    """When a reminder comes, as the member reads it: «сегодня, 15:00», «завтра, 10:00»,
    «пн, 7 декабря, 10:00»."""
    local = slot.not_before.astimezone(zone)
    today = now.astimezone(zone).date()
    if local.date() == today:
        day = tr("planner.today")
    elif local.date() == today + timedelta(days=1):
        day = tr("planner.tomorrow")
    else:
        day = tr.fmt_weekday(local.date(), today)
    return f"{day}, {tr.fmt_time(local)}"
