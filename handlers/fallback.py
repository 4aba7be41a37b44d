"""Catch-alls, registered last: unknown text, stale or forged buttons, and the error handler."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import CallbackQuery, ErrorEvent, Message

from bot.commands import suggest_command
from bot.i18n import Translator, translator
from handlers.common import ERROR_TOLD, esc
from models import Member
from models.enums import Role

router = Router(name=__name__)
log = logging.getLogger(__name__)


@router.message(F.text.startswith("/"))
async def on_unknown_command(message: Message, member: Member | None, tr: Translator) -> None:
    """A command we don't have: name the one that does the job, with its arguments kept."""
    word, *rest = (message.text or "").split(maxsplit=1)
    args = rest[0] if rest else ""
    typed = word[1:].split("@", 1)[0][:40]
    if not typed:
        await message.answer(tr("common.unknown_text"))
        return
    suggestion = suggest_command(typed, member.role if member else Role.MANAGER)
    if suggestion is None:
        await message.answer(tr("common.unknown_command", command=esc(typed)))
        return
    example = esc(f"/{suggestion} {args.strip()[:100]}".strip())
    await message.answer(
        tr("common.unknown_command_suggest", command=esc(typed), suggestion=example)
    )


@router.message()
async def on_unknown_message(message: Message, tr: Translator) -> None:
    """Anything no journey understood: a hint, never silence."""
    await message.answer(tr("common.unknown_text"))


@router.callback_query()
async def on_unknown_callback(query: CallbackQuery, tr: Translator) -> None:
    """A button from an old message or a forged payload."""
    await query.answer(tr("common.stale_button"), show_alert=True)


@router.errors(ExceptionTypeFilter(Exception))
async def on_error(event: ErrorEvent, bot: Bot, tr: Translator | None = None) -> bool:
    """Log the failure (the update's transaction was rolled back) and tell the user."""
    log.error(
        "update %s failed: %s",
        event.update.update_id,
        type(event.exception).__name__,
        exc_info=event.exception,
    )
    tr = tr or translator("ru")
    query = event.update.callback_query
    if event.update.message is not None:
        await event.update.message.answer(tr("common.error"))
    elif query is not None and ERROR_TOLD not in getattr(event.exception, "__notes__", ()):
        # The press was answered already (the handler finished, then the transaction failed):
        # an alert now would be a repeat nobody sees, so the chat is told.
        await bot.send_message(query.from_user.id, tr("common.error"))
    return True
