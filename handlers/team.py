"""The head's team journey: /invite one-time links and /members (deactivate, re-activate)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.deep_linking import create_start_link
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import InviteCallback, MemberAction, MemberCallback
from bot.commands import set_member_menu
from bot.i18n import Translator
from bot.keyboards import team as keyboards
from handlers.common import esc, is_head, show
from models import Member
from services import team
from services.clock import Clock

router = Router(name=__name__)


@router.message(Command("invite"))
async def cmd_invite(message: Message, member: Member, tr: Translator) -> None:
    """Ask which role the invite is for."""
    if not is_head(member):
        await message.answer(tr("common.not_allowed"))
        return
    await message.answer(tr("team.invite_pick_role"), reply_markup=keyboards.invite_roles(tr))


@router.callback_query(InviteCallback.filter())
async def cb_invite(
    query: CallbackQuery,
    callback_data: InviteCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    bot: Bot,
) -> None:
    """Create the one-time link and show it with a copy button."""
    try:
        invite = await team.create_invite(
            session, by=member, role=callback_data.role, now=clock.now()
        )
    except team.TeamError as error:
        await query.answer(tr(error.code), show_alert=True)
        return
    link = await create_start_link(bot, invite.code)
    expires = tr.fmt_date(invite.expires_at.astimezone(ZoneInfo(member.timezone)).date())
    text = tr(
        "team.invite_created",
        role=tr(f"team.role_{invite.role.value}"),
        expires=expires,
        link=link,
    )
    await show(query, text, keyboards.invite_link(tr, link))


def members_text(tr: Translator, everyone: list[Member]) -> str:
    """The /members list: one line per person with role and status."""
    lines = [tr("team.members_title", count=sum(1 for m in everyone if m.is_active))]
    for person in everyone:
        lines.append(
            tr(
                "team.member_line",
                mark="🟢" if person.is_active else "⚪️",
                name=esc(person.full_name),
                username=f" @{esc(person.username)}" if person.username else "",
                role=tr(f"team.role_{person.role.value}"),
            )
            + ("" if person.is_active else tr("team.member_inactive"))
        )
    return "\n".join(lines)


@router.message(Command("members"))
async def cmd_members(
    message: Message, session: AsyncSession, member: Member, tr: Translator
) -> None:
    """List the team with deactivate / re-activate buttons."""
    if not is_head(member):
        await message.answer(tr("common.not_allowed"))
        return
    everyone = await team.list_members(session)
    await message.answer(
        members_text(tr, everyone), reply_markup=keyboards.members(tr, everyone, member)
    )


@router.callback_query(MemberCallback.filter())
async def cb_member(
    query: CallbackQuery,
    callback_data: MemberCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
    bot: Bot,
) -> None:
    """Deactivate or re-activate one member; the change takes effect on their next update."""
    active = callback_data.action is MemberAction.ACTIVATE
    try:
        changed = await team.set_active(
            session, by=member, member_id=callback_data.member_id, active=active, now=clock.now()
        )
    except team.TeamError as error:
        await query.answer(tr(error.code), show_alert=True)
        return
    key = "team.activated" if active else "team.deactivated"
    await query.answer(tr(key, name=changed.full_name), show_alert=True)
    everyone = await team.list_members(session)
    await show(query, members_text(tr, everyone), keyboards.members(tr, everyone, member))
    await set_member_menu(bot, changed)
