"""Small talk: «привет», «спасибо», «помоги», «?» or emoji get a short friendly answer and a
pointer to what the bot does, never a client search or an offer to create «Привет»; «план»,
«что на неделе» or «просрочено» typed in words get the plan, as its command would."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from handlers import planner
from models import Member
from services.clock import Clock
from services.smalltalk import plan_request, small_talk

router = Router(name=__name__)


def _small_talk(message: Message) -> dict[str, str] | bool:
    kind = small_talk(message.text or "")
    return {"kind": kind} if kind is not None else False


def _plan_request(message: Message) -> dict[str, str] | bool:
    kind = plan_request(message.text or "")
    return {"kind": kind} if kind is not None else False


@router.message(StateFilter(None), F.text, ~F.text.startswith("/"), _plan_request)
async def on_plan_request(
    message: Message,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    kind: str,
) -> None:
    """«план на сегодня», «что на неделе», «просрочено»: the plan itself, as /today, /week or
    /overdue shows it — not «Не нашёл «план» среди ваших клиентов. Создать клиента?»."""
    if kind == "week":
        await planner.cmd_week(message, session, member, tr, clock)
    elif kind == "overdue":
        await planner.cmd_overdue(message, session, member, tr, clock)
    else:
        await planner.cmd_today(message, session, member, tr, clock)


@router.message(StateFilter(None), F.text, ~F.text.startswith("/"), _small_talk)
async def on_small_talk(message: Message, tr: Translator, kind: str) -> None:
    """A greeting, thanks, a plea for help or emoji alone: a kind line and where to start."""
    await message.answer(tr(f"smalltalk.{kind}"))
