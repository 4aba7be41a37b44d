"""/audit traces changes to the team's rules and clients: events created and cancelled, policy
numbers old → new, handovers from whom to whom (a whole base as one line)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import translator
from handlers.audit import audit_line
from models import AuditEntry, Member
from services import audit, protection
from tests.conftest import HEAD_ID, START
from tests.harness import Chat, joined
from tests.test_events import plan_webinar, team
from tests.test_handover import arrange
from tests.test_reminders import MANAGER_ID, OTHER_MANAGER_ID, add_client

Factory = async_sessionmaker[AsyncSession]


def entries(listing: str) -> list[str]:
    """The lines of an /audit answer under its title, newest first."""
    return listing.splitlines()[1:]


async def test_events_and_policy_changes_are_in_the_audit_in_both_languages(
    chat: Chat, session: AsyncSession
) -> None:
    head, manager = await team(chat, session)
    await add_client(session, manager, "Ромашка", "Europe/Moscow")
    await add_client(session, head, "Лютик", "Europe/Moscow")
    await session.commit()
    assert "Запланировано приглашений: 2" in joined(await plan_webinar(chat))
    await chat.send(HEAD_ID, "/event")
    await chat.press(HEAD_ID, "Отменить: Вебинар")
    assert "Закрыто приглашений: 2" in joined(await chat.press(HEAD_ID, "Да, отменить событие"))
    await chat.send(HEAD_ID, "/policy")
    await chat.press(HEAD_ID, "Ключевой")
    await chat.press(HEAD_ID, "Каденция")
    await chat.send(HEAD_ID, "21")
    await chat.press(HEAD_ID, "Разовый")
    await chat.press(HEAD_ID, "Сверка")
    await chat.send(HEAD_ID, "150")

    listing = joined(await chat.send(HEAD_ID, "/audit"))
    lines = entries(listing)
    assert lines[0].endswith(
        "· <b>Tester</b> · ⚙️ изменил(а) политику · <b>Разовый</b>:"
        " сверка данных раз в 180 → 150 дн."
    )
    assert lines[1].endswith(
        "· <b>Tester</b> · ⚙️ изменил(а) политику · <b>Ключевой</b>: каденция 30 → 21 дн."
    )
    assert lines[2].endswith(
        "· <b>Tester</b> · ❌ отменил(а) событие · «Вебинар: новая коллекция» 10 декабря"
        " · закрыто приглашений: 2"
    )
    assert lines[3].endswith(
        "· <b>Tester</b> · 📅 создал(а) событие · «Вебинар: новая коллекция» 10 декабря"
        " · приглашений: 2"
    )
    events = joined(await chat.send(HEAD_ID, "/audit события"))
    assert "(2 записи)" in events
    assert "изменил(а) политику" not in events
    assert "(2 записи)" in joined(await chat.send(HEAD_ID, "/audit policy"))

    await chat.send(HEAD_ID, "/settings")
    await chat.press(HEAD_ID, "Язык")
    await chat.press(HEAD_ID, "English")
    english = entries(joined(await chat.send(HEAD_ID, "/audit")))
    assert english[0].endswith(
        "· <b>Tester</b> · ⚙️ changed a policy · <b>Occasional</b>: data re-check every"
        " 180 → 150 days"
    )
    assert english[1].endswith("· ⚙️ changed a policy · <b>Key</b>: cadence 30 → 21 days")
    assert english[2].endswith(
        "· ❌ cancelled an event · «Вебинар: новая коллекция» 10 December · invitations closed: 2"
    )
    assert english[3].endswith(
        "· 📅 created an event · «Вебинар: новая коллекция» 10 December · invitations: 2"
    )


async def test_a_handover_says_from_whom_to_whom_and_the_stages(
    chat: Chat, session_factory: Factory
) -> None:
    await arrange(chat, session_factory)
    await chat.send(HEAD_ID, "/handover Ромашка")
    await chat.press(HEAD_ID, "Ольга")
    await chat.press(HEAD_ID, "продажа")
    await chat.press(HEAD_ID, "Без заметки")
    await chat.press(HEAD_ID, "Передать")

    line = entries(joined(await chat.send(HEAD_ID, "/audit передача")))
    assert line == [
        line[0].split(" · ")[0]
        + " · <b>Tester</b> · 🔁 передал(а) клиента · «Ромашка» · Дмитрий → Ольга"
        " · привлечение → продажа"
    ]
    # What was done to Ольга's and Дмитрий's bases is found by their names.
    assert "Дмитрий → Ольга" in joined(await chat.send(HEAD_ID, "/audit Ольга"))
    assert "Дмитрий → Ольга" in joined(await chat.send(HEAD_ID, "/audit Дмитрия"))


async def test_a_whole_base_handed_over_is_one_line_with_the_count(
    chat: Chat, session_factory: Factory
) -> None:
    await arrange(chat, session_factory)
    async with session_factory.begin() as session:
        owner = await session.scalar(select(Member).where(Member.telegram_id == MANAGER_ID))
        olga = await session.scalar(select(Member).where(Member.telegram_id == OTHER_MANAGER_ID))
        head = await session.scalar(select(Member).where(Member.telegram_id == HEAD_ID))
        assert owner is not None
        assert olga is not None
        for number in range(11):
            await add_client(session, owner, f"Клиент {number}", "Europe/Moscow")
        # A handover recorded before the count was kept: one row per client, still readable.
        await audit.record(
            session,
            member=head,
            action="handover",
            now=START,
            client_id=None,
            from_member=olga.id,
            to_member=owner.id,
            from_stage="sale",
            to_stage="sale",
        )
    await chat.send(HEAD_ID, "/members")
    await chat.press(HEAD_ID, "Отключить Дмитрия")
    await chat.press(HEAD_ID, "Да, отключить")
    await chat.press(HEAD_ID, "Ольга")
    assert "Передано клиентов: 12" in joined(await chat.press(HEAD_ID, "Передать всех"))

    lines = entries(joined(await chat.send(HEAD_ID, "/audit передача")))
    assert len(lines) == 2
    assert lines[0].endswith("· <b>Tester</b> · 🔁 передал(а) 12 клиентов · Дмитрий → Ольга")
    assert lines[1].endswith("· <b>Tester</b> · 🔁 передал(а) клиента · Ольга → Дмитрий")
    async with session_factory() as session:
        recorded = list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "handover").order_by(AuditEntry.id)
            )
        )
    assert recorded[-1].details["clients"] == 12
    assert len(recorded[-1].details["client_ids"]) == 12

    await chat.send(HEAD_ID, "/settings")
    await chat.press(HEAD_ID, "Язык")
    await chat.press(HEAD_ID, "English")
    english = entries(joined(await chat.send(HEAD_ID, "/audit handover")))
    assert english[0].endswith("· <b>Tester</b> · 🔁 handed over 12 clients · Дмитрий → Ольга")


def test_an_event_title_with_its_own_quotes_nests_them() -> None:
    line = protection.AuditLine(
        at=START,
        member_name="Ольга Смирнова",
        action="event_created",
        client_name=None,
        details={"event_id": 7, "invitations": 3},
        event_title="Выставка «Иннопром»",
        event_day=date(2026, 12, 10),
    )
    text = audit_line(line, translator("ru"), ZoneInfo("Europe/Moscow"))
    assert text == (
        "18.11 10:30 · <b>Ольга Смирнова</b> · 📅 создала событие"
        " · «Выставка „Иннопром“» 10 декабря · приглашений: 3"
    )
    # An entry whose event is unknown still says what happened.
    bare = protection.AuditLine(
        at=START, member_name=None, action="event_cancelled", client_name=None, details={}
    )
    assert audit_line(bare, translator("en"), ZoneInfo("Europe/Moscow")) == (
        "18.11 10:30 · <b>system</b> · ❌ cancelled an event"
    )
