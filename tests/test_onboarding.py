"""Onboarding through the dispatcher: heads from HEAD_IDS, invites, strangers, /members, /help."""

from __future__ import annotations

import re
from datetime import timedelta

from aiogram.methods import SendMessage, SetMyCommands
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import Invite, Member
from models.enums import Role
from tests.conftest import HEAD_ID
from tests.harness import Chat, joined

MANAGER_ID = 601
STRANGER_ID = 999


async def invite_link(chat: Chat, role_label: str = "менеджер") -> str:
    """Ask for an invite as the head and return the deep link."""
    await chat.send(HEAD_ID, "/invite")
    calls = await chat.press(HEAD_ID, role_label)
    match = re.search(r"https://t\.me/touchbase_bot\?start=([\w-]+)", joined(calls))
    assert match, joined(calls)
    return match.group(1)


async def test_head_from_settings_is_greeted(chat: Chat, session: AsyncSession) -> None:
    calls = await chat.send(HEAD_ID, "/start")
    assert "руководитель отдела продаж" in joined(calls)
    # The head is pointed to the team's numbers, their own day and the invitation.
    for line in ("📊 Работа команды — /team", "📋 Ваш план на сегодня — /today", "/invite"):
        assert line in joined(calls)
    head = await session.scalar(select(Member).where(Member.telegram_id == HEAD_ID))
    assert head is not None
    assert head.role is Role.HEAD
    menus = [call for call in calls if isinstance(call, SetMyCommands)]
    assert menus
    assert {"invite", "members"} <= {command.command for command in menus[-1].commands}


async def test_a_returning_manager_is_pointed_to_today_and_to_logging(chat: Chat) -> None:
    """/start for a member already in the team: the day's plan and how to log a call, and
    both commands of the greeting work."""
    await chat.send(HEAD_ID, "/start")
    await chat.send(MANAGER_ID, f"/start {await invite_link(chat)}")
    greeting = joined(await chat.send(MANAGER_ID, "/start"))
    assert "📋 План на сегодня — /today" in greeting
    assert "✍️ Записать звонок — одним сообщением" in greeting
    assert "<i>Звонил Петрову из Ромашки, цель — предложить новый прайс" in greeting
    assert "План на" in joined(await chat.send(MANAGER_ID, "/today"))

    await chat.send(MANAGER_ID, "/settings")
    await chat.press(MANAGER_ID, "Язык")
    await chat.press(MANAGER_ID, "English")
    greeting = joined(await chat.send(MANAGER_ID, "/start"))
    assert "📋 Today's plan — /today" in greeting
    assert "✍️ Log a call in one message" in greeting


async def test_stranger_gets_one_polite_refusal_and_no_data(
    chat: Chat, session: AsyncSession
) -> None:
    for text in ("/start", "/members", "Ромашка", "/settings"):
        calls = await chat.send(STRANGER_ID, text)
        assert len(calls) == 1
        assert isinstance(calls[0], SendMessage)
        assert "по приглашению" in calls[0].text
    assert await session.scalar(select(func.count()).select_from(Member)) == 0


async def test_stranger_pressing_a_button_is_refused(chat: Chat) -> None:
    await chat.send(HEAD_ID, "/invite")
    sent, button = chat.find_button(HEAD_ID, "менеджер")
    assert button.callback_data
    calls = await chat.press_data(STRANGER_ID, button.callback_data, on=sent)
    assert "по приглашению" in joined(calls)
    assert "start=" not in joined(calls)


async def test_manager_joins_by_invite_and_head_is_told(
    chat: Chat, session: AsyncSession, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    code = await invite_link(chat)
    calls = await chat.send(MANAGER_ID, f"/start {code}")
    assert "Добро пожаловать в команду" in joined(calls)
    # The head's notice is queued with the joining and sent by the clock's delivery.
    told = [c.text for c in await chat.deliver(session_factory) if isinstance(c, SendMessage)]
    assert told == ["Tester теперь в команде (менеджер)."]
    member = await session.scalar(select(Member).where(Member.telegram_id == MANAGER_ID))
    assert member is not None
    assert member.role is Role.MANAGER
    assert member.timezone == "Europe/Moscow"
    manager_menu = [c for c in calls if isinstance(c, SetMyCommands)][-1]
    assert "invite" not in {command.command for command in manager_menu.commands}


async def test_used_invite_is_refused(chat: Chat) -> None:
    code = await invite_link(chat)
    await chat.send(MANAGER_ID, f"/start {code}")
    calls = await chat.send(700, f"/start {code}")
    assert "уже присоединились" in joined(calls)


async def test_expired_invite_is_refused(chat: Chat, session: AsyncSession) -> None:
    code = await invite_link(chat)
    chat.clock.advance(timedelta(days=7, minutes=1))
    calls = await chat.send(MANAGER_ID, f"/start {code}")
    assert "Срок этой ссылки истёк" in joined(calls)
    assert await session.scalar(select(Member).where(Member.telegram_id == MANAGER_ID)) is None


async def test_forged_invite_is_refused(chat: Chat) -> None:
    await chat.send(HEAD_ID, "/start")
    calls = await chat.send(MANAGER_ID, "/start forged-code-123")
    assert "не найдена" in joined(calls)


async def test_member_with_a_code_is_told_they_are_in(chat: Chat) -> None:
    code = await invite_link(chat)
    await chat.send(MANAGER_ID, f"/start {code}")
    second = await invite_link(chat)
    calls = await chat.send(MANAGER_ID, f"/start {second}")
    assert "уже в команде" in joined(calls)


async def test_invite_is_one_time_and_lasts_seven_days(chat: Chat, session: AsyncSession) -> None:
    await invite_link(chat, "руководитель")
    invite = await session.scalar(select(Invite))
    assert invite is not None
    assert invite.role is Role.HEAD
    assert invite.expires_at - invite.created_at == timedelta(days=7)


async def test_manager_cannot_invite_or_list_members(chat: Chat) -> None:
    code = await invite_link(chat)
    await chat.send(MANAGER_ID, f"/start {code}")
    for command in ("/invite", "/members"):
        calls = await chat.send(MANAGER_ID, command)
        assert "только руководителю" in joined(calls)


async def test_manager_cannot_forge_an_invite_button(chat: Chat, session: AsyncSession) -> None:
    code = await invite_link(chat)
    await chat.send(MANAGER_ID, f"/start {code}")
    calls = await chat.press_data(MANAGER_ID, "inv:head")
    assert "только руководителю" in joined(calls)
    assert await session.scalar(select(func.count()).select_from(Invite)) == 1


async def test_members_list_invites_without_leaving_it(chat: Chat, session: AsyncSession) -> None:
    await chat.send(HEAD_ID, "/start")
    listing = await chat.send(HEAD_ID, "/members")
    assert "➕ Пригласить в команду" in chat.buttons(HEAD_ID)
    calls = await chat.press(HEAD_ID, "Пригласить в команду")
    # A new message asks whom: the list above keeps its text and buttons.
    assert [call.text for call in calls if isinstance(call, SendMessage)] == ["Кого приглашаем?"]
    assert not any(getattr(call, "message_id", None) for call in calls)
    assert joined(listing) not in joined(calls)
    calls = await chat.press(HEAD_ID, "менеджер")
    assert "start=" in joined(calls)
    assert await session.scalar(select(func.count()).select_from(Invite)) == 1


async def test_manager_cannot_forge_the_members_invite_button(
    chat: Chat, session: AsyncSession
) -> None:
    code = await invite_link(chat)
    await chat.send(MANAGER_ID, f"/start {code}")
    calls = await chat.press_data(MANAGER_ID, "mem:inv:0")
    assert "только руководителю" in joined(calls)
    assert "Кого приглашаем?" not in joined(calls)


async def test_deactivated_member_is_cut_off_and_can_come_back(
    chat: Chat, session: AsyncSession
) -> None:
    code = await invite_link(chat)
    await chat.send(MANAGER_ID, f"/start {code}")
    listing = await chat.send(HEAD_ID, "/members")
    assert "Tester" in joined(listing)
    await chat.press(HEAD_ID, "Отключить")
    calls = await chat.press(HEAD_ID, "Да, отключить")
    assert "отключён" in joined(calls)
    refused = await chat.send(MANAGER_ID, "/help")
    assert joined(refused) == "Ваш доступ к боту отключён руководителем."
    await chat.press(HEAD_ID, "Вернуть")
    back = await chat.send(MANAGER_ID, "/help")
    assert "Touchbase" in joined(back)


async def test_head_cannot_deactivate_the_last_head(chat: Chat) -> None:
    await chat.send(HEAD_ID, "/start")
    head = await chat.send(HEAD_ID, "/members")
    assert head
    calls = await chat.press_data(HEAD_ID, "mem:off:1")
    assert "самого себя" in joined(calls)


async def test_help_shows_examples_and_role_commands(chat: Chat) -> None:
    calls = await chat.send(HEAD_ID, "/help")
    text = joined(calls)
    assert "Звонил Петрову" in text
    assert "/invite" in text


async def test_unknown_button_is_answered(chat: Chat) -> None:
    await chat.send(HEAD_ID, "/start")
    calls = await chat.press_data(HEAD_ID, "garbage:payload")
    assert "устарела" in joined(calls)


async def test_unknown_command_names_the_one_that_does_the_job(chat: Chat) -> None:
    token = await invite_link(chat)
    await chat.send(MANAGER_ID, f"/start {token}")

    found = joined(await chat.send(MANAGER_ID, "/client Ромашка"))
    assert "Команды /client нет" in found
    assert "/find Ромашка" in found

    assert "/settings" in joined(await chat.send(MANAGER_ID, "/seting"))
    assert "/today" in joined(await chat.send(MANAGER_ID, "/tasks"))
    # A manager is not sent to a head's command; a head's «/report» is the team's numbers.
    assert "/stats" in joined(await chat.send(MANAGER_ID, "/report"))
    assert "/team" in joined(await chat.send(HEAD_ID, "/report"))

    nothing_close = joined(await chat.send(MANAGER_ID, "/<b>xyzzy"))
    assert nothing_close == "Команды /&lt;b&gt;xyzzy нет. Все команды — /help."


async def test_stranger_typing_an_unknown_command_only_hears_the_refusal(chat: Chat) -> None:
    calls = await chat.send(STRANGER_ID, "/client Ромашка")
    assert len(calls) == 1
    assert "по приглашению" in joined(calls)
