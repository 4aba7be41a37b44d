"""The head's team journey: /invite one-time links and /members (deactivate, re-activate, and
hand a leaving member's whole base to someone else)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.deep_linking import create_start_link
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import BaseHandoverCallback, InviteCallback, MemberAction, MemberCallback
from bot.commands import set_member_menu
from bot.i18n import Translator, translator
from bot.keyboards import team as keyboards
from handlers.common import esc, is_head, show
from models import Member
from services import handover, notices, team
from services.clock import Clock
from services.person_names import gender_of

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
    waiting = await handover.waiting_bases(session)
    await message.answer(
        members_text(tr, everyone), reply_markup=keyboards.members(tr, everyone, member, waiting)
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
    """Ask before switching a member off; switch off or bring back; «Отмена» shows the list
    again. The change takes effect on the member's next update. «➕ Пригласить» asks whom, in
    a new message: the list stays."""
    if callback_data.action is MemberAction.INVITE:
        if not is_head(member):
            await query.answer(tr("common.not_allowed"), show_alert=True)
            return
        await bot.send_message(
            query.from_user.id,
            tr("team.invite_pick_role"),
            reply_markup=keyboards.invite_roles(tr),
        )
        return
    if callback_data.action in {MemberAction.ASK_DEACTIVATE, MemberAction.BACK}:
        await _ask_or_back(query, callback_data, session, member, tr)
        return
    active = callback_data.action is MemberAction.ACTIVATE
    try:
        switched = await team.set_active(
            session, by=member, member_id=callback_data.member_id, active=active, now=clock.now()
        )
    except team.TeamError as error:
        await query.answer(tr(error.code), show_alert=True)
        return
    changed = switched.member
    if active and switched.changed:
        # Queued with the change: if this update fails, neither happens.
        back = translator(changed.language)(
            "team.you_are_back", by=esc(member.full_name), gender=gender_of(member.full_name)
        )
        notice_key = f"member_on:{switched.record_id}"
        await notices.queue(session, changed, key=notice_key, text=back, now=clock.now())
    key = "team.activated" if active else "team.deactivated"
    await query.answer(
        tr(key, name=changed.full_name, gender=gender_of(changed.full_name)), show_alert=True
    )
    everyone = await team.list_members(session)
    waiting = await handover.waiting_bases(session)
    await show(query, members_text(tr, everyone), keyboards.members(tr, everyone, member, waiting))
    await set_member_menu(bot, changed)
    if not active and waiting.get(changed.id) and isinstance(query.message, Message):
        await query.message.answer(
            _ask_target_text(tr, changed, waiting[changed.id]),
            reply_markup=keyboards.base_targets(tr, changed, everyone),
        )


async def _ask_or_back(
    query: CallbackQuery,
    callback_data: MemberCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
) -> None:
    if callback_data.action is MemberAction.ASK_DEACTIVATE:
        try:
            leaving = await team.member_to_switch(
                session, by=member, member_id=callback_data.member_id, active=False
            )
        except team.TeamError as error:
            await query.answer(tr(error.code), show_alert=True)
            return
        text = tr("team.deactivate_confirm", name=esc(leaving.full_name))
        await show(query, text, keyboards.deactivate_confirm(tr, leaving))
        return
    if not is_head(member):
        await query.answer(tr("team.head_only"), show_alert=True)
        return
    everyone = await team.list_members(session)
    waiting = await handover.waiting_bases(session)
    await show(query, members_text(tr, everyone), keyboards.members(tr, everyone, member, waiting))


# A leaving member's whole base to another member.


def _ask_target_text(tr: Translator, giver: Member, count: int) -> str:
    clients = tr("team.base_clients", count=count)
    return tr("team.base_ask_target", clients=clients, name=esc(giver.full_name))


async def _giver_with_clients(
    query: CallbackQuery, session: AsyncSession, member: Member, tr: Translator, giver_id: int
) -> tuple[Member, int] | None:
    """The member whose base is moved, if the presser is a head and there is something to move."""
    if not is_head(member):
        await query.answer(tr("team.head_only"), show_alert=True)
        return None
    giver = await team.get_member_by_id(session, giver_id)
    count = await handover.clients_owned(session, giver_id) if giver is not None else 0
    if giver is None or not count:
        await query.answer(tr("team.base_nothing"), show_alert=True)
        return None
    return giver, count


@router.callback_query(BaseHandoverCallback.filter(F.action == "pick"))
async def cb_base_pick(
    query: CallbackQuery,
    callback_data: BaseHandoverCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
) -> None:
    """«🔁 Клиенты … — передать» in /members: whom to give them to."""
    found = await _giver_with_clients(query, session, member, tr, callback_data.from_id)
    if found is None:
        return
    giver, count = found
    everyone = await team.list_members(session)
    await show(
        query, _ask_target_text(tr, giver, count), keyboards.base_targets(tr, giver, everyone)
    )


@router.callback_query(BaseHandoverCallback.filter(F.action == "to"))
async def cb_base_target(
    query: CallbackQuery,
    callback_data: BaseHandoverCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
) -> None:
    """The receiver is picked: confirm before anything moves."""
    found = await _giver_with_clients(query, session, member, tr, callback_data.from_id)
    if found is None:
        return
    giver, count = found
    target = await team.get_member_by_id(session, callback_data.to_id)
    if target is None or not target.is_active or target.id == giver.id:
        await query.answer(tr("team.base_member_gone"), show_alert=True)
        return
    text = tr(
        "team.base_confirm",
        clients=tr("team.base_clients", count=count),
        name=esc(giver.full_name),
        target=esc(target.full_name),
    )
    await show(query, text, keyboards.base_confirm(tr, giver.id, target.id))


@router.callback_query(BaseHandoverCallback.filter(F.action == "ok"))
async def cb_base_confirm(
    query: CallbackQuery,
    callback_data: BaseHandoverCallback,
    session: AsyncSession,
    member: Member,
    tr: Translator,
    clock: Clock,
) -> None:
    """Move the whole base; tell the receiver, and the previous owner if still on the team."""
    if not is_head(member):
        await query.answer(tr("team.head_only"), show_alert=True)
        return
    try:
        done = await handover.hand_over_base(
            session, member, callback_data.from_id, callback_data.to_id, clock.now()
        )
    except handover.HandoverError as error:
        key = {"no_clients": "team.base_nothing", "same_owner": "team.base_same"}.get(
            error.reason, "team.base_member_gone"
        )
        await query.answer(tr(key), show_alert=True)
        return
    await _tell_base_moved(session, done, member, clock.now())
    await show(
        query,
        tr(
            "team.base_done",
            count=done.clients,
            name=esc(done.previous_owner.full_name),
            target=esc(done.new_owner.full_name),
            touches=done.moved_touches,
        ),
    )


async def _tell_base_moved(
    session: AsyncSession, done: handover.BaseHandoverDone, by: Member, now: datetime
) -> None:
    """Queue, with the move, a message to the receiver and one to the previous owner if still
    on the team (neither to the head who did it)."""
    previous = done.previous_owner
    if previous.id not in {by.id, done.new_owner.id}:
        giver = translator(previous.language)
        text = giver(
            "team.base_handed_away",
            count=done.clients,
            target=esc(done.new_owner.full_name),
            by=esc(by.full_name),
            gender=gender_of(by.full_name),
        )
        key = f"base_handover:{done.history_id}:{previous.id}"
        await notices.queue(session, previous, key=key, text=text, now=now)
    if done.new_owner.id == by.id:
        return
    receiver = translator(done.new_owner.language)
    text = receiver(
        "team.base_received",
        by=esc(by.full_name),
        name=esc(previous.full_name),
        count=done.clients,
        gender=gender_of(by.full_name),
    )
    key = f"base_handover:{done.history_id}:{done.new_owner.id}"
    await notices.queue(session, done.new_owner, key=key, text=text, now=now)


@router.callback_query(BaseHandoverCallback.filter(F.action.in_({"cancel", "later"})))
async def cb_base_cancel(
    query: CallbackQuery, callback_data: BaseHandoverCallback, tr: Translator
) -> None:
    """Nothing moves: «Отмена» on the confirmation, «Позже» on the question."""
    key = "team.base_later_done" if callback_data.action == "later" else "team.base_cancelled"
    await show(query, tr(key))
