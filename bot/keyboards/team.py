"""Keyboards of /invite and /members."""

from __future__ import annotations

from aiogram.types import CopyTextButton, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import BaseHandoverCallback, InviteCallback, MemberAction, MemberCallback
from bot.i18n import Translator
from models import Member
from models.enums import Role


def invite_roles(tr: Translator) -> InlineKeyboardMarkup:
    """Pick the role of the person being invited."""
    builder = InlineKeyboardBuilder()
    for role in (Role.MANAGER, Role.HEAD):
        builder.button(text=tr(f"team.role_{role.value}"), callback_data=InviteCallback(role=role))
    builder.adjust(2)
    return builder.as_markup()


def invite_link(tr: Translator, link: str) -> InlineKeyboardMarkup:
    """A copy-to-clipboard button for the invite link."""
    button = InlineKeyboardButton(text=tr("team.invite_copy"), copy_text=CopyTextButton(text=link))
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def members(
    tr: Translator, team: list[Member], me: Member, waiting: dict[int, int] | None = None
) -> InlineKeyboardMarkup:
    """One deactivate / re-activate button per member other than the head themself, and a
    hand-over button for each deactivated member whose clients (`waiting`: id → count) wait."""
    builder = InlineKeyboardBuilder()
    for member in team:
        if member.id == me.id:
            continue
        if member.is_active:
            text = tr("team.deactivate", name=member.full_name)
            action = MemberAction.ASK_DEACTIVATE
        else:
            text = tr("team.activate", name=member.full_name)
            action = MemberAction.ACTIVATE
        builder.button(text=text, callback_data=MemberCallback(action=action, member_id=member.id))
        count = (waiting or {}).get(member.id, 0)
        if not member.is_active and count:
            builder.button(
                text=tr("team.base_button", name=member.full_name, count=count),
                callback_data=BaseHandoverCallback(action="pick", from_id=member.id),
            )
    # The list's next step when the team is to grow: /invite without leaving it.
    builder.button(
        text=tr("team.invite_button"),
        callback_data=MemberCallback(action=MemberAction.INVITE, member_id=0),
    )
    builder.adjust(1)
    return builder.as_markup()


def deactivate_confirm(tr: Translator, member: Member) -> InlineKeyboardMarkup:
    """«Да, отключить» or «Отмена» (back to the list) before a member is switched off."""
    builder = InlineKeyboardBuilder()
    builder.button(
        text=tr("team.deactivate_ok"),
        callback_data=MemberCallback(action=MemberAction.DEACTIVATE, member_id=member.id),
    )
    builder.button(
        text=tr("team.deactivate_cancel"),
        callback_data=MemberCallback(action=MemberAction.BACK, member_id=member.id),
    )
    builder.adjust(2)
    return builder.as_markup()


def base_targets(tr: Translator, giver: Member, team: list[Member]) -> InlineKeyboardMarkup:
    """Who takes a leaving member's clients: every active member but the giver; «Позже»."""
    builder = InlineKeyboardBuilder()
    for member in team:
        if member.is_active and member.id != giver.id:
            builder.button(
                text=member.full_name,
                callback_data=BaseHandoverCallback(action="to", from_id=giver.id, to_id=member.id),
            )
    builder.button(text=tr("team.base_later"), callback_data=BaseHandoverCallback(action="later"))
    builder.adjust(2)
    return builder.as_markup()


def base_confirm(tr: Translator, from_id: int, to_id: int) -> InlineKeyboardMarkup:
    """Confirm or cancel moving a whole base."""
    builder = InlineKeyboardBuilder()
    builder.button(
        text=tr("team.base_ok"),
        callback_data=BaseHandoverCallback(action="ok", from_id=from_id, to_id=to_id),
    )
    builder.button(
        text=tr("team.base_cancel"), callback_data=BaseHandoverCallback(action="cancel")
    )
    builder.adjust(2)
    return builder.as_markup()
