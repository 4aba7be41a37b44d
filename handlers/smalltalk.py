"""Small talk: «привет», «спасибо», «помоги», «?» or emoji get a short friendly answer and a
pointer to what the bot does, never a client search or an offer to create «Привет»."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.types import Message

from bot.i18n import Translator
from services.smalltalk import small_talk

router = Router(name=__name__)


def _small_talk(message: Message) -> dict[str, str] | bool:
    kind = small_talk(message.text or "")
    return {"kind": kind} if kind is not None else False


@router.message(StateFilter(None), F.text, ~F.text.startswith("/"), _small_talk)
async def on_small_talk(message: Message, tr: Translator, kind: str) -> None:
    """A greeting, thanks, a plea for help or emoji alone: a kind line and where to start."""
    await message.answer(tr(f"smalltalk.{kind}"))
