"""Small reply helpers shared by the journeys: quiet edits, HTML escaping, head-only guard."""

from __future__ import annotations

from html import escape

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from models import Member
from models.enums import Role


def esc(text: str | None) -> str:
    """HTML-escape what a user typed before it goes into a message."""
    return escape(text or "", quote=False)


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
