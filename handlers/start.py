"""Onboarding: /start for members and heads, joining by invite code, and /help."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands import menu, set_member_menu
from bot.i18n import Translator, translator
from bot.settings import Settings
from handlers.common import esc, is_head
from models import Member
from services import notices, team
from services.clock import Clock
from services.person_names import gender_of

router = Router(name=__name__)


def role_name(tr: Translator, member: Member) -> str:
    """The member's role in words."""
    return tr(f"team.role_{member.role.value}")


@router.message(CommandStart(deep_link=True), F.chat.type == "private")
async def cmd_start_with_code(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    member: Member | None,
    tr: Translator,
    settings: Settings,
    clock: Clock,
    bot: Bot,
) -> None:
    """`/start <code>`: join the team with a one-time invite."""
    if member is not None:
        await message.answer(tr("team.already_member"))
        return
    user = message.from_user
    assert user is not None
    person = team.Newcomer(user.id, user.full_name, user.username)
    defaults = team.TeamDefaults(settings.default_timezone, tr.language)
    try:
        joined = await team.redeem_invite(
            session, code=command.args or "", person=person, defaults=defaults, now=clock.now()
        )
    except team.TeamError as error:
        await message.answer(tr(error.code))
        return
    await message.answer(tr("team.joined", name=esc(joined.full_name), role=role_name(tr, joined)))
    await set_member_menu(bot, joined)
    # Queued with the joining: a head whose chat fails must not undo it.
    now = clock.now()
    for head in await team.active_heads(session):
        if head.id != joined.id:
            head_tr = translator(head.language)
            text = head_tr(
                "team.member_joined",
                name=esc(joined.full_name),
                role=role_name(head_tr, joined),
                gender=gender_of(joined.full_name),
            )
            key = f"member_joined:{joined.id}:{now.isoformat()}:{head.id}"
            await notices.queue(session, head, key=key, text=text, now=now)


@router.message(CommandStart())
async def cmd_start(message: Message, member: Member, tr: Translator, bot: Bot) -> None:
    """Plain /start: a greeting that says what to do next."""
    key = "team.welcome_head" if member.role.value == "head" else "team.welcome_member"
    await message.answer(tr(key, name=esc(member.full_name)))
    await set_member_menu(bot, member)


@router.message(Command("help"))
async def cmd_help(message: Message, member: Member, tr: Translator) -> None:
    """What the bot does, with examples of free-text logging, the member's commands and, for
    /team and /stats, examples of periods."""
    commands = "\n".join(
        f"/{command.command} — {command.description}" for command in menu(member.role, tr.language)
    )
    examples = tr("help.stats_head" if is_head(member) else "help.stats_member")
    await message.answer(tr("help.text", commands=commands, stats=examples))
