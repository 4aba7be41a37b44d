"""Keyboards of /invite and /members."""

from __future__ import annotations

from aiogram.types import CopyTextButton, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import InviteCallback, MemberAction, MemberCallback
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


def members(tr: Translator, team: list[Member], me: Member) -> InlineKeyboardMarkup:
    """One deactivate / re-activate button per member other than the head themself."""
    builder = InlineKeyboardBuilder()
    for member in team:
        if member.id == me.id:
            continue
        if member.is_active:
            text = tr("team.deactivate", name=member.full_name)
            action = MemberAction.DEACTIVATE
        else:
            text = tr("team.activate", name=member.full_name)
            action = MemberAction.ACTIVATE
        builder.button(text=text, callback_data=MemberCallback(action=action, member_id=member.id))
    builder.adjust(1)
    return builder.as_markup()
