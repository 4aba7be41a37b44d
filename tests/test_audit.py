"""Base protection: the suspicious-reading alert and /audit for heads only."""

from __future__ import annotations

from datetime import date, timedelta

from aiogram.methods import SendMessage
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callbacks import ClientCallback, ForgetCallback, PolicyCallback
from bot.settings import Settings
from models import AuditEntry, Client, Contact, Interaction, Member, Outbox, Touch
from models.enums import Channel, Direction, Outcome, TouchStatus
from services import audit, clients, protection
from services.clock import ManualClock
from tests.conftest import HEAD_ID, START
from tests.harness import Chat, joined
from tests.test_reminders import (
    MANAGER_ID,
    OTHER_MANAGER_ID,
    add_client,
    add_member,
    add_touch,
)

Factory = async_sessionmaker[AsyncSession]


async def arrange_reader(session_factory: Factory, chat: Chat, count: int) -> list[int]:
    """The head exists (bootstrapped), a Moscow manager owns `count` clients."""
    await chat.send(HEAD_ID, "/start")
    async with session_factory.begin() as session:
        manager = await add_member(session)
        created = [
            await add_client(session, manager, f"Клиент {number}", "Europe/Moscow")
            for number in range(count)
        ]
        return [client.id for client in created]


async def read_alerts(session_factory: Factory) -> list[Outbox]:
    async with session_factory() as session:
        return list(
            await session.scalars(
                select(Outbox).where(Outbox.kind == "alert", Outbox.chat_id == HEAD_ID)
            )
        )


async def open_cards(session_factory: Factory, client_ids: list[int], clock: ManualClock) -> None:
    async with session_factory.begin() as session:
        manager = await session.scalar(select(Member).where(Member.telegram_id == MANAGER_ID))
        assert manager is not None
        for client_id in client_ids:
            clock.advance(timedelta(seconds=30))
            await clients.load_card(session, manager, client_id, clock.now())


async def test_41_distinct_cards_in_an_hour_alert_the_head_exactly_once(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    client_ids = await arrange_reader(session_factory, chat, 45)
    # The same card forty times is not suspicious reading.
    await open_cards(session_factory, [client_ids[0]] * 40, clock)
    await open_cards(session_factory, client_ids[:40], clock)
    assert await read_alerts(session_factory) == []

    await open_cards(session_factory, [client_ids[40]], clock)
    alerts = await read_alerts(session_factory)
    assert len(alerts) == 1
    assert alerts[0].payload["text"].startswith("⚠️ Дмитрий открыл 41 карточку за час")

    await open_cards(session_factory, client_ids[41:], clock)
    assert len(await read_alerts(session_factory)) == 1

    # Through the card button too: the handler path records views and keeps the single alert.
    calls = await chat.press_data(
        MANAGER_ID, ClientCallback(action="open", client_id=client_ids[3]).pack()
    )
    assert "Клиент 3" in joined(calls)
    assert len(await read_alerts(session_factory)) == 1


async def test_threshold_is_a_parameter(session: AsyncSession, chat: Chat) -> None:
    await chat.send(HEAD_ID, "/start")
    manager = await add_member(session)
    first = await add_client(session, manager, "Альфа", "Europe/Moscow")
    second = await add_client(session, manager, "Бета", "Europe/Moscow")
    now = START
    for client in (first, second):
        await audit.record(
            session, member=manager, action="card_view", now=now, client_id=client.id
        )
    heads, count = await protection.note_card_view(session, manager, second.id, now, threshold=1)
    assert count == 2
    assert [head.telegram_id for head in heads] == [HEAD_ID]
    again, _ = await protection.note_card_view(session, manager, second.id, now, threshold=1)
    assert again == []


async def test_the_configured_threshold_applies_to_cards_opened_through_the_bot(
    chat: Chat, session_factory: Factory, settings: Settings
) -> None:
    settings.read_alert_threshold = 2
    client_ids = await arrange_reader(session_factory, chat, 3)
    for client_id in client_ids[:2]:
        await chat.press_data(
            MANAGER_ID, ClientCallback(action="open", client_id=client_id).pack()
        )
    assert await read_alerts(session_factory) == []

    await chat.press_data(
        MANAGER_ID, ClientCallback(action="open", client_id=client_ids[2]).pack()
    )
    alerts = await read_alerts(session_factory)
    assert len(alerts) == 1
    assert "открыл 3 карточки за час" in alerts[0].payload["text"]


async def test_audit_lists_and_filters_for_the_head(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    client_ids = await arrange_reader(session_factory, chat, 2)
    await open_cards(session_factory, client_ids, clock)
    async with session_factory.begin() as session:
        head = await session.scalar(select(Member).where(Member.telegram_id == HEAD_ID))
        await audit.record(session, member=head, action="export", now=clock.now(), rows=10)

    listing = joined(await chat.send(HEAD_ID, "/audit"))
    assert "Журнал действий" in listing
    assert "Дмитрий" in listing
    assert "«Клиент 0»" in listing
    assert "«Клиент 1»" in listing
    assert "выгрузил(а) базу" in listing

    only_manager = joined(await chat.send(HEAD_ID, "/audit дмитрий"))
    assert "«Клиент 0»" in only_manager
    assert "выгрузил(а) базу" not in only_manager

    only_exports = joined(await chat.send(HEAD_ID, "/audit export"))
    assert "выгрузил(а) базу" in only_exports
    assert "Клиент 0" not in only_exports

    # A declined or Latin name finds him too; a name nobody has is said to be one.
    assert "«Клиент 0»" in joined(await chat.send(HEAD_ID, "/audit Дмитрия"))
    assert "«Клиент 0»" in joined(await chat.send(HEAD_ID, "/audit Dmitry"))
    unknown = joined(await chat.send(HEAD_ID, "/audit мусор"))
    assert "Не нашёл в команде «мусор»" in unknown

    clock.advance(timedelta(hours=30))
    assert "Записей нет" in joined(await chat.send(HEAD_ID, "/audit 24h"))


async def test_audit_is_paginated_under_the_limit(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    client_ids = await arrange_reader(session_factory, chat, 30)
    await open_cards(session_factory, client_ids * 6, clock)
    calls = await chat.send(HEAD_ID, "/audit")
    texts = [call.text for call in calls if isinstance(call, SendMessage)]
    assert len(texts) >= 2
    assert all(len(text) <= 4096 for text in texts)


async def test_manager_is_refused_and_the_attempt_recorded(
    chat: Chat, session_factory: Factory
) -> None:
    await arrange_reader(session_factory, chat, 1)
    calls = await chat.send(MANAGER_ID, "/audit")
    assert "только руководителю" in joined(calls)
    assert "Журнал действий</b>" not in joined(calls)
    async with session_factory() as session:
        denied = await session.scalar(select(AuditEntry).where(AuditEntry.action == "denied"))
    assert denied is not None
    assert denied.details == {"command": "audit"}


async def test_a_refusal_names_what_was_refused(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    await chat.send(HEAD_ID, "/start")
    async with session_factory.begin() as session:
        dmitry = await add_member(session)
        olga = await add_member(session, telegram_id=OTHER_MANAGER_ID, name="Ольга")
        theirs = await add_client(session, olga, "ООО «Ромашка»", "Europe/Moscow")
        await add_client(session, dmitry, "Лебедева Светлана", "Europe/Moscow")
        foreign_id = theirs.id
    await chat.send(MANAGER_ID, "/audit")
    await chat.press_data(MANAGER_ID, PolicyCallback(category="key").pack())
    clock.advance(timedelta(minutes=1))
    opened = ClientCallback(action="open", client_id=foreign_id).pack()
    assert "недоступен" in joined(await chat.press_data(MANAGER_ID, opened))
    await chat.send(MANAGER_ID, "/find Лебедева")

    listing = joined(await chat.send(HEAD_ID, "/audit отказ"))
    assert "<b>Дмитрий</b> · ⛔ отказано в доступе · /audit" in listing
    assert "<b>Дмитрий</b> · ⛔ отказано в доступе · /policy" in listing
    # A refused card names its client; a name with its own quotes is not quoted twice.
    assert "<b>Дмитрий</b> · ⛔ отказано в доступе · ООО «Ромашка»" in listing
    assert "«ООО «Ромашка»»" not in listing
    views = joined(await chat.send(HEAD_ID, "/audit карточки"))
    assert "👁 открыл карточку · «Лебедева Светлана»" in views


async def test_forget_erases_personal_data_and_keeps_counts(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    await chat.send(HEAD_ID, "/start")
    async with session_factory.begin() as session:
        manager = await add_member(session)
        client = await add_client(session, manager, "Ромашка", "Europe/Moscow")
        await add_touch(session, client, date(2026, 11, 25), "Поздравить Петрова")
        session.add(
            Interaction(
                client_id=client.id,
                member_id=manager.id,
                channel=Channel.CALL,
                direction=Direction.OUTGOING,
                goal="Предложить прайс Петрову",
                result="Договорились",
                outcome=Outcome.ACHIEVED,
                happened_at=clock.now(),
                created_at=clock.now(),
            )
        )
        client_id = client.id

    assert "может только руководитель" in joined(await chat.send(MANAGER_ID, "/forget Ромашка"))
    assert "Стереть" in joined(await chat.send(HEAD_ID, "/forget Ромашка"))
    # A manager pressing a forged confirmation is refused.
    forged = ForgetCallback(action="ok", client_id=client_id).pack()
    assert "может только руководитель" in joined(await chat.press_data(MANAGER_ID, forged))
    done = joined(await chat.press(HEAD_ID, "Стереть безвозвратно"))
    assert "стёрты" in done

    async with session_factory() as session:
        erased = await session.get(Client, client_id)
        assert erased is not None
        assert erased.name == f"#{client_id}"
        assert erased.forgotten_at is not None
        assert (
            await session.scalar(select(Contact.id).where(Contact.client_id == client_id)) is None
        )
        interactions = list(
            await session.scalars(select(Interaction).where(Interaction.client_id == client_id))
        )
        touches = list(await session.scalars(select(Touch).where(Touch.client_id == client_id)))
    assert [(i.outcome, i.channel) for i in interactions] == [(Outcome.ACHIEVED, Channel.CALL)]
    assert all("Петров" not in i.goal for i in interactions)
    assert [(t.status, t.goal) for t in touches] == [(TouchStatus.SKIPPED, "—")]
    assert "недоступен" in joined(
        await chat.press_data(HEAD_ID, ClientCallback(action="open", client_id=client_id).pack())
    )
    assert "Не нашёл" in joined(await chat.send(HEAD_ID, "/find Ромашка"))
