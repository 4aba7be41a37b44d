"""Catch-alls, registered last: unknown text, stale or forged buttons, and the error handler."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import CallbackQuery, ErrorEvent, Message

from bot.i18n import Translator, translator

router = Router(name=__name__)
log = logging.getLogger(__name__)


@router.message()
async def on_unknown_message(message: Message, tr: Translator) -> None:
    """Anything no journey understood: a hint, never silence."""
    await message.answer(tr("common.unknown_text"))


@router.callback_query()
async def on_unknown_callback(query: CallbackQuery, tr: Translator) -> None:
    """A button from an old message or a forged payload."""
    await query.answer(tr("common.stale_button"), show_alert=True)


@router.errors(ExceptionTypeFilter(Exception))
async def on_error(event: ErrorEvent, tr: Translator | None = None) -> bool:
    """Log the failure (the update's transaction was rolled back) and tell the user."""
    log.error(
        "update %s failed: %s",
        event.update.update_id,
        type(event.exception).__name__,
        exc_info=event.exception,
    )
    tr = tr or translator("ru")
    if event.update.message is not None:
        await event.update.message.answer(tr("common.error"))
    elif event.update.callback_query is not None:
        await event.update.callback_query.answer(tr("common.error"), show_alert=True)
    return True
