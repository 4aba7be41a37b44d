"""Leaving any conversation: `/cancel`, or «отмена» / «cancel» / «стоп» typed at any step.

Registered before every journey, so no step of any flow takes the word for its answer (a
result, a name, a date…). A logging draft is dropped the way its «✖️ Отмена» drops it (a
touch closed by «✅ Сделано» goes back into the plan); /new says it saved nothing; any other
state is simply left.
"""

from __future__ import annotations

from typing import Final

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from handlers import logging
from handlers.clients import NewClientForm
from models import Member
from services.clock import Clock

router = Router(name=__name__)

CANCEL_WORDS: Final = frozenset({"отмена", "отменить", "отмени", "cancel", "стоп", "stop"})


def is_cancel_word(message: Message) -> bool:
    """A message that is only a word meaning «cancel» («Отмена!», «стоп», «Cancel»)."""
    return (message.text or "").strip().strip(".!").strip().lower() in CANCEL_WORDS


@router.message(Command("cancel"))
@router.message(F.text, is_cancel_word)
async def cmd_cancel(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    state: FSMContext,
    bot: Bot,
) -> None:
    """Drop whatever conversation is under way; nothing it gathered is saved."""
    dropped = await logging.cancel_draft(bot, session, member, tr, state, clock.now())
    if dropped is not None:
        text, markup = dropped
        await message.answer(text, reply_markup=markup)
        return
    current = await state.get_state()
    await state.clear()
    if current is None:
        await message.answer(tr("common.nothing_to_cancel"))
    elif current in NewClientForm:
        await message.answer(tr("clients.new_cancelled"))
    else:
        await message.answer(tr("common.cancelled"))
