"""The command menu: which commands each role sees, in each language (setMyCommands)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from rapidfuzz import fuzz, process

from bot.i18n import LANGUAGES, translator
from models import Member
from models.enums import Role

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CommandSpec:
    """A menu command and whether managers see it (heads see every command)."""

    name: str
    for_managers: bool = True


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("help"),
    CommandSpec("today"),
    CommandSpec("overdue"),
    CommandSpec("week"),
    CommandSpec("log"),
    CommandSpec("history"),
    CommandSpec("new"),
    CommandSpec("find"),
    CommandSpec("cancel"),
    CommandSpec("settings"),
    CommandSpec("invite", for_managers=False),
    CommandSpec("members", for_managers=False),
    CommandSpec("policy", for_managers=False),
    CommandSpec("event", for_managers=False),
    CommandSpec("calendar"),
    CommandSpec("handover"),
    CommandSpec("audit", for_managers=False),
    CommandSpec("forget", for_managers=False),
    CommandSpec("import"),
    CommandSpec("export", for_managers=False),
    CommandSpec("team", for_managers=False),
    CommandSpec("stats"),
)


# What people type out of habit from other tools, mapped to our command for the same job.
COMMAND_ALIASES: dict[str, str] = {
    "client": "find",
    "clients": "find",
    "card": "find",
    "search": "find",
    "contact": "find",
    "contacts": "find",
    "plan": "today",
    "backlog": "overdue",
    "stale": "overdue",
    "tasks": "today",
    "todo": "today",
    "agenda": "week",
    "add": "new",
    "create": "new",
    "newclient": "new",
    "call": "log",
    "note": "log",
    "touch": "log",
    "lang": "settings",
    "language": "settings",
    "timezone": "settings",
    "tz": "settings",
    "config": "settings",
    "report": "stats",
    "reports": "stats",
    "me": "stats",
    "invite_member": "invite",
    "transfer": "handover",
    "stop": "cancel",
}


def suggest_command(typed: str, role: Role) -> str | None:
    """Our command closest to an unknown one (`/client` → `find`, `/seting` → `settings`)."""
    available = [spec.name for spec in COMMANDS if role is Role.HEAD or spec.for_managers]
    typed = typed.lower()
    alias = COMMAND_ALIASES.get(typed)
    if alias == "stats" and role is Role.HEAD:
        alias = "team"
    if alias in available:
        return alias
    found = process.extractOne(typed, available, scorer=fuzz.ratio, score_cutoff=70)
    return found[0] if found else None


def menu(role: Role, language: str) -> list[BotCommand]:
    """The commands a role sees, described in a language."""
    tr = translator(language)
    return [
        BotCommand(command=spec.name, description=tr(f"commands.{spec.name}"))
        for spec in COMMANDS
        if role is Role.HEAD or spec.for_managers
    ]


async def set_default_menus(bot: Bot) -> None:
    """The managers' menu for everyone, per language; heads get theirs per chat."""
    await bot.set_my_commands(menu(Role.MANAGER, LANGUAGES[0]), scope=BotCommandScopeDefault())
    for language in LANGUAGES:
        await bot.set_my_commands(
            menu(Role.MANAGER, language), scope=BotCommandScopeDefault(), language_code=language
        )


async def set_member_menu(bot: Bot, member: Member) -> None:
    """A member's own menu in their language: heads see head commands, managers don't."""
    scope = BotCommandScopeChat(chat_id=member.telegram_id)
    try:
        if member.is_active:
            await bot.set_my_commands(menu(member.role, member.language), scope=scope)
        else:
            await bot.delete_my_commands(scope=scope)
    except TelegramAPIError as error:
        log.warning("could not set the command menu of member %s: %s", member.id, error)
