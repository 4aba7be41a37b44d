"""/policy through the dispatcher: the head reads and changes category policies; managers can't."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands import menu
from models import AuditEntry, CategoryPolicy, Member
from models.enums import Category, Role
from services import policy, touches
from services.validation import ValidationError
from tests.conftest import HEAD_ID
from tests.harness import Chat, joined
from tests.test_onboarding import invite_link

MANAGER_ID = 601


async def head_id(session: AsyncSession) -> int:
    found = await session.scalar(select(Member.id).where(Member.telegram_id == HEAD_ID))
    assert found is not None
    return found


async def stored(session: AsyncSession, category: Category) -> CategoryPolicy:
    row = await session.get(CategoryPolicy, category, populate_existing=True)
    assert row is not None
    return row


async def test_head_sees_the_seeded_numbers(chat: Chat) -> None:
    text = joined(await chat.send(HEAD_ID, "/policy"))
    assert (
        "<b>Ключевой</b>: каждые 30 дн. · не больше 12 в год · сверка данных раз в 30 дн." in text
    )
    assert (
        "<b>Разовый</b>: каждые 120 дн. · не больше 3 в год · сверка данных раз в 180 дн." in text
    )
    assert "Новый" in " ".join(chat.buttons(HEAD_ID))


async def test_head_changes_the_cadence(chat: Chat, session: AsyncSession) -> None:
    await chat.send(HEAD_ID, "/policy")
    await chat.press(HEAD_ID, "Ключевой")
    prompt = joined(await chat.press(HEAD_ID, "Каденция"))
    assert "сейчас 30" in prompt
    refused = joined(await chat.send(HEAD_ID, "0"))
    assert "от 1 до 365" in refused
    assert "Нужно целое число" in joined(await chat.send(HEAD_ID, "раз в месяц"))
    assert await session.get(CategoryPolicy, Category.KEY) is None

    saved = joined(await chat.send(HEAD_ID, "21 день"))
    assert "✅ Ключевой: каденция 30 → 21 дн." in saved
    assert "каждые 21 дн." in saved
    row = await stored(session, Category.KEY)
    assert (row.cadence_days, row.max_touches_year, row.reverify_days) == (21, 12, 30)
    assert row.updated_by_id == await head_id(session)
    assert row.updated_at is not None
    assert (await touches.policy_for(session, Category.KEY)).cadence_days == 21
    audit = await session.scalar(select(AuditEntry).where(AuditEntry.action == "policy_change"))
    assert audit is not None
    assert audit.details == {"category": "key", "field": "cadence_days", "old": 30, "new": 21}

    category = joined(await chat.press(HEAD_ID, "Ключевой"))
    assert "Изменил(а) Tester" in category


async def test_ceiling_below_the_cadence_is_explained(chat: Chat, session: AsyncSession) -> None:
    await chat.send(HEAD_ID, "/policy")
    await chat.press(HEAD_ID, "Постоянный")
    await chat.press(HEAD_ID, "Потолок")
    warned = joined(await chat.send(HEAD_ID, "4"))
    assert "✅ Постоянный: потолок 6 → 4 касаний в год" in warned
    # 60-day cadence ≈ 6 a year, a ceiling of 4 spaces touches ~92 days apart.
    assert "потолок ограничит каденцию" in warned
    assert "раз в 92 дн." in warned
    assert (await stored(session, Category.REGULAR)).max_touches_year == 4


async def test_reverification_range(chat: Chat, session: AsyncSession) -> None:
    await chat.send(HEAD_ID, "/policy")
    await chat.press(HEAD_ID, "VIP")
    await chat.press(HEAD_ID, "Сверка")
    assert "от 7 до 730" in joined(await chat.send(HEAD_ID, "800"))
    assert "✅ VIP: сверка данных раз в 60 → 90 дн." in joined(await chat.send(HEAD_ID, "90"))
    assert (await stored(session, Category.VIP)).reverify_days == 90


async def test_an_english_speaking_head_reads_the_change_in_english(
    chat: Chat, session: AsyncSession
) -> None:
    await chat.send(HEAD_ID, "/settings")
    await chat.press(HEAD_ID, "Язык")
    await chat.press(HEAD_ID, "English")
    await chat.send(HEAD_ID, "/policy")
    await chat.press(HEAD_ID, "Key")
    await chat.press(HEAD_ID, "Cadence")
    assert "✅ Key: cadence 30 → 25 days" in joined(await chat.send(HEAD_ID, "25"))
    await chat.send(HEAD_ID, "/policy")
    await chat.press(HEAD_ID, "Key")
    await chat.press(HEAD_ID, "Touches a year")
    assert "✅ Key: at most 12 → 10 touches a year" in joined(await chat.send(HEAD_ID, "10"))
    await chat.send(HEAD_ID, "/policy")
    await chat.press(HEAD_ID, "Key")
    await chat.press(HEAD_ID, "Data re-check")
    assert "✅ Key: data re-check every 30 → 45 days" in joined(await chat.send(HEAD_ID, "45"))


async def test_manager_is_refused_politely(chat: Chat, session: AsyncSession) -> None:
    code = await invite_link(chat)
    await chat.send(MANAGER_ID, f"/start {code}")
    assert "только руководителю" in joined(await chat.send(MANAGER_ID, "/policy"))
    forged = joined(await chat.press_data(MANAGER_ID, "cep:key:cadence_days"))
    assert "только руководителю" in forged
    # The forged button opened no editor: a typed number changes nothing.
    await chat.send(MANAGER_ID, "1")
    assert await session.get(CategoryPolicy, Category.KEY) is None
    denied = await session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "denied")
    )
    assert denied == 1


async def test_service_refuses_a_manager(chat: Chat, session: AsyncSession) -> None:
    code = await invite_link(chat)
    await chat.send(MANAGER_ID, f"/start {code}")
    manager = await session.scalar(select(Member).where(Member.telegram_id == MANAGER_ID))
    assert manager is not None
    try:
        await policy.set_value(
            session, manager, Category.KEY, "cadence_days", "10", now=chat.clock.now()
        )
    except policy.PolicyAccessError:
        pass
    else:
        raise AssertionError("a manager changed a policy")
    assert await session.get(CategoryPolicy, Category.KEY) is None


def test_numbers_are_checked() -> None:
    assert policy.parse_number("cadence_days", " 45 ") == 45
    for field, text in (("cadence_days", "366"), ("reverify_days", "6"), ("bogus", "10")):
        try:
            policy.parse_number(field, text)
        except ValidationError:
            continue
        raise AssertionError(f"{field}={text} accepted")
    # A negative number is out of range, not «not a number».
    for typed in ("-5", "−5", "0"):
        with pytest.raises(ValidationError) as raised:
            policy.parse_number("cadence_days", typed)
        assert raised.value.code == "number_range", typed
    with pytest.raises(ValidationError) as raised:
        policy.parse_number("cadence_days", "месяц")
    assert raised.value.code == "number_invalid"
    assert policy.ceiling_caps(30, 6)
    assert not policy.ceiling_caps(30, 12)
    assert policy.effective_cadence(30, 6) == 61


def test_policy_is_in_the_head_menu_only() -> None:
    assert "policy" in {command.command for command in menu(Role.HEAD, "ru")}
    assert "policy" not in {command.command for command in menu(Role.MANAGER, "ru")}
