"""Every CallbackData class of the bot, in one place; each packs well under Telegram's 64 bytes.

A callback carries ids, never trust: the service re-checks that the member may act on the id.
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from models.enums import Role


class InviteCallback(CallbackData, prefix="inv"):
    """/invite: the role the new person will have."""

    role: Role


class MemberAction(StrEnum):
    """What a head does to a member from /members."""

    DEACTIVATE = "off"
    ACTIVATE = "on"


class MemberCallback(CallbackData, prefix="mem"):
    """/members: deactivate or re-activate one member."""

    action: MemberAction
    member_id: int


class SettingsField(StrEnum):
    """Fields of the /settings card."""

    TIMEZONE = "tz"
    HOURS = "hours"
    DAYS = "days"
    DIGEST = "digest"
    LANGUAGE = "lang"
    CANCEL = "cancel"


class SettingsCallback(CallbackData, prefix="set"):
    """/settings: open an editor for one field."""

    field: SettingsField


class SettingsValueCallback(CallbackData, prefix="setv"):
    """/settings: a value picked from buttons (a city key, a language, a day set)."""

    field: SettingsField
    value: str
