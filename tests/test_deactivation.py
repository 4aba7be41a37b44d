"""Switching a member off in /members: nothing with client data reaches them afterwards.

Дмитрий, a Moscow manager, has touches due on Monday 23 November 2026; his reminders are queued
in the morning for 10:00, when his clients' windows open. The head switches him off at 09:30.
The clock is a ManualClock; the planner's jobs and the delivery run as one tick.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from aiogram import Bot
from aiogram.methods import AnswerCallbackQuery, SendMessage
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callbacks import ClientCallback
from bot.offline import RecordingSession
from models import Client, Member, Outbox
from scheduler import outbox
from scheduler.delivery import Deliverer
from services.clock import ManualClock
from tests.conftest import HEAD_ID
from tests.harness import Chat, joined
from tests.test_reminders import (
    MANAGER_ID,
    add_client,
    add_member,
    add_touch,
    make_ticker,
    msk,
    outbox_rows,
    run_until,
)

Factory = async_sessionmaker[AsyncSession]
MONDAY = date(2026, 11, 23)


async def arrange(chat: Chat, session_factory: Factory, clock: ManualClock) -> int:
    """The head and Дмитрий with two clients due on Monday and one on Tuesday; Monday 08:00."""
    clock.set(msk(2026, 11, 23, 8, 0))
    await chat.send(HEAD_ID, "/start")
    async with session_factory.begin() as session:
        manager = await add_member(session, name="Дмитрий Орлов")
        for name, due in (
            ("Ромашка", MONDAY),
            ("Лютик", MONDAY),
            ("Василёк", MONDAY + timedelta(days=1)),
        ):
            client = await add_client(session, manager, name, "Europe/Moscow")
            await add_touch(session, client, due)
        return manager.id


async def switch_off(chat: Chat) -> None:
    """The head's taps in /members: switch Дмитрий off, confirm, hand his clients over later."""
    await chat.send(HEAD_ID, "/members")
    await chat.press(HEAD_ID, "Отключить Дмитрия Орлова")
    await chat.press(HEAD_ID, "Да, отключить")
    await chat.press(HEAD_ID, "Позже")


def sent_to(recorder: RecordingSession, chat_id: int) -> list[str]:
    return [
        call.text
        for call in recorder.requests
        if isinstance(call, SendMessage) and call.chat_id == chat_id
    ]


async def test_switching_off_cancels_everything_queued_and_nothing_arrives(
    chat: Chat,
    session_factory: Factory,
    clock: ManualClock,
    bot: Bot,
    recorder: RecordingSession,
) -> None:
    manager_id = await arrange(chat, session_factory, clock)
    ticker = make_ticker(bot, session_factory, clock)
    await run_until(ticker, clock, msk(2026, 11, 23, 9, 30), timedelta(minutes=15))
    # The digest went at 09:00; two reminders wait for 10:00, and a notice for the afternoon.
    async with session_factory.begin() as session:
        manager = await session.get(Member, manager_id)
        assert manager is not None
        await outbox.enqueue(
            session,
            outbox.outbox_row(
                member=manager,
                kind="notice",
                dedupe_key="test-notice",
                payload={"text": "Клиент Ромашка передан вам"},
                not_before=msk(2026, 11, 23, 15, 0),
                now=clock.now(),
            ),
        )
    assert any("План на" in text for text in sent_to(recorder, MANAGER_ID))
    queued = [row for row in await outbox_rows(session_factory) if row.status == "pending"]
    assert sorted(row.kind for row in queued) == ["notice", "reminder", "reminder"]

    await switch_off(chat)
    statuses = {row.kind: row.status for row in await outbox_rows(session_factory)}
    assert statuses == {"digest": "sent", "reminder": "cancelled", "notice": "cancelled"}

    before = len(sent_to(recorder, MANAGER_ID))
    await run_until(ticker, clock, msk(2026, 11, 24, 18, 0), timedelta(minutes=15))
    assert sent_to(recorder, MANAGER_ID)[before:] == []
    # Tuesday: no digest and no reminder is even queued for him.
    tuesday = [row for row in await outbox_rows(session_factory) if "2026-11-24" in row.dedupe_key]
    assert [row for row in tuesday if row.member_id == manager_id] == []
    # The head hears instead that his clients' calls are going undone.
    [head_digest] = [row for row in tuesday if row.kind == "digest"]
    assert "• Дмитрий Орлов (отключён) — 2 просроченных касания" in head_digest.payload["text"]


async def test_a_row_queued_for_a_switched_off_member_is_cancelled_not_sent(
    chat: Chat,
    session_factory: Factory,
    clock: ManualClock,
    bot: Bot,
    recorder: RecordingSession,
) -> None:
    """Another instance, still seeing him active, queued his digest in the moment of the switch."""
    manager_id = await arrange(chat, session_factory, clock)
    await switch_off(chat)
    async with session_factory.begin() as session:
        manager = await session.get(Member, manager_id)
        assert manager is not None
        await outbox.enqueue(
            session,
            outbox.outbox_row(
                member=manager,
                kind="digest",
                dedupe_key="digest:late",
                payload={"text": "☀️ План на пн: Ромашка, +7 913 555-01-42"},
                not_before=clock.now(),
                now=clock.now(),
            ),
        )
    ticker = make_ticker(bot, session_factory, clock)
    await run_until(ticker, clock, msk(2026, 11, 23, 12, 0), timedelta(minutes=15))
    assert sent_to(recorder, MANAGER_ID) == []
    [late] = [row for row in await outbox_rows(session_factory) if row.dedupe_key == "digest:late"]
    assert late.status == "cancelled"


class SwitchOffWhileWaiting:
    """The deliverer's fake time: its first wait (the pacer's, after the first message) is when
    the member is switched off, by another instance."""

    def __init__(self, session_factory: Factory, member_id: int) -> None:
        self.session_factory = session_factory
        self.member_id = member_id
        self.now = 0.0
        self.switched = False

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)
        if not self.switched:
            self.switched = True
            async with outbox.writing(self.session_factory) as session:
                await session.execute(
                    update(Member).where(Member.id == self.member_id).values(is_active=False)
                )
        self.now += max(seconds, 0.0)


async def test_a_member_switched_off_during_a_batch_gets_nothing_more(
    chat: Chat,
    session_factory: Factory,
    clock: ManualClock,
    bot: Bot,
    recorder: RecordingSession,
) -> None:
    manager_id = await arrange(chat, session_factory, clock)
    async with session_factory.begin() as session:
        head = await session.scalar(select(Member).where(Member.telegram_id == HEAD_ID))
        manager = await session.get(Member, manager_id)
        assert head is not None
        assert manager is not None
        for member, key, offset in ((head, "to-head", 2), (manager, "to-manager", 1)):
            await outbox.enqueue(
                session,
                outbox.outbox_row(
                    member=member,
                    kind="notice",
                    dedupe_key=key,
                    payload={"text": f"Сообщение {key}"},
                    not_before=clock.now() - timedelta(seconds=offset * 10),
                    now=clock.now(),
                ),
            )
    fake = SwitchOffWhileWaiting(session_factory, manager_id)
    # One message a second: the second waits, and the switch happens meanwhile.
    deliverer = Deliverer(
        bot,
        session_factory,
        worker="test",
        rate_per_second=1.0,
        per_chat_interval=0.0,
        monotonic=fake.monotonic,
        sleep=fake.sleep,
    )
    report = await deliverer.deliver_due(clock.now())
    assert fake.switched
    assert report.claimed == 2
    assert report.sent == 1
    assert report.cancelled == 1
    assert sent_to(recorder, HEAD_ID)[-1] == "Сообщение to-head"
    assert sent_to(recorder, MANAGER_ID) == []
    async with session_factory() as session:
        row = await session.scalar(select(Outbox).where(Outbox.dedupe_key == "to-manager"))
    assert row is not None
    assert row.status == "cancelled"


async def test_switching_off_asks_first_and_cancel_changes_nothing(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    manager_id = await arrange(chat, session_factory, clock)
    await chat.send(HEAD_ID, "/members")
    asked = await chat.press(HEAD_ID, "Отключить Дмитрия Орлова")
    assert "Отключить <b>Дмитрия Орлова</b>? Доступ к боту закроется сразу." in joined(asked)
    assert chat.buttons(HEAD_ID) == ["Да, отключить", "Отмена"]
    async with session_factory() as session:
        manager = await session.get(Member, manager_id)
        assert manager is not None
        assert manager.is_active

    back = await chat.press(HEAD_ID, "Отмена")
    assert "Команда (2)" in joined(back)
    assert "Отключить Дмитрия Орлова" in chat.buttons(HEAD_ID)
    async with session_factory() as session:
        manager = await session.get(Member, manager_id)
        assert manager is not None
        assert manager.is_active

    await chat.press(HEAD_ID, "Отключить Дмитрия Орлова")
    done = await chat.press(HEAD_ID, "Да, отключить")
    assert "Дмитрий Орлов отключён" in joined(done)
    async with session_factory() as session:
        manager = await session.get(Member, manager_id)
        assert manager is not None
        assert not manager.is_active


async def test_a_manager_cannot_open_the_switch_off_question(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    manager_id = await arrange(chat, session_factory, clock)
    calls = await chat.press_data(MANAGER_ID, f"mem:ask:{manager_id}")
    assert "только руководителю" in joined(calls)
    assert "Доступ к боту закроется" not in joined(calls)


async def test_a_switched_off_member_is_told_so_and_gets_no_data(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    await arrange(chat, session_factory, clock)
    async with session_factory() as session:
        client_id = await session.scalar(select(Client.id).where(Client.name == "Ромашка"))
    assert client_id is not None
    card = ClientCallback(action="open", client_id=client_id).pack()
    assert "Ромашка" in joined(await chat.press_data(MANAGER_ID, card))
    await switch_off(chat)

    refusal = "Ваш доступ к боту отключён руководителем."
    for text in ("Ромашка", "/today", "/start"):
        calls = await chat.send(MANAGER_ID, text)
        assert [c.text for c in calls if isinstance(c, SendMessage)] == [refusal]
    pressed = await chat.press_data(MANAGER_ID, card)
    assert [(c.text, c.show_alert) for c in pressed if isinstance(c, AnswerCallbackQuery)] == [
        (refusal, True)
    ]
    assert len(pressed) == 1


async def test_switching_off_and_back_are_in_the_audit_and_the_member_is_told(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    manager_id = await arrange(chat, session_factory, clock)
    await switch_off(chat)
    clock.advance(timedelta(minutes=5))
    await chat.press(HEAD_ID, "Вернуть Дмитрия Орлова")
    calls = await chat.deliver(session_factory)
    told = [c.text for c in calls if isinstance(c, SendMessage) and c.chat_id == MANAGER_ID]
    assert told == ["✅ Tester вернул(а) вам доступ к боту. Что умеет бот: /help."]
    # A second press on a stale «Вернуть» changes nothing, records nothing, tells nobody.
    await chat.press_data(HEAD_ID, f"mem:on:{manager_id}")
    again = await chat.deliver(session_factory)
    assert not [c for c in again if isinstance(c, SendMessage) and c.chat_id == MANAGER_ID]

    listing = joined(await chat.send(HEAD_ID, "/audit Дмитрий"))
    assert "(2 записи)" in listing
    lines = listing.splitlines()[1:]
    assert lines[0].endswith("· <b>Tester</b> · ↩️ вернул(а) сотрудника · <b>Дмитрий Орлов</b>")
    assert lines[1].endswith("· <b>Tester</b> · 🚫 отключил(а) сотрудника · <b>Дмитрий Орлов</b>")
    assert "(1 запись)" in joined(await chat.send(HEAD_ID, "/audit отключение"))
    # He is back: his own messages work again.
    assert "Touchbase" in joined(await chat.send(MANAGER_ID, "/help"))


async def test_members_buttons_decline_the_name_and_a_woman_heads_verbs_agree(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    chat.user(HEAD_ID, "Ольга Смирнова")
    await arrange(chat, session_factory, clock)
    await chat.send(HEAD_ID, "/members")
    assert "Отключить Дмитрия Орлова" in chat.buttons(HEAD_ID)
    asked = await chat.press(HEAD_ID, "Отключить Дмитрия Орлова", exact=True)
    assert "Отключить <b>Дмитрия Орлова</b>?" in joined(asked)
    await chat.press(HEAD_ID, "Да, отключить")
    await chat.press(HEAD_ID, "Позже")
    await chat.send(HEAD_ID, "/members")
    assert "🔁 Клиенты Дмитрия Орлова (3) — передать" in chat.buttons(HEAD_ID)
    await chat.press(HEAD_ID, "Вернуть Дмитрия Орлова", exact=True)
    calls = await chat.deliver(session_factory)
    told = [c.text for c in calls if isinstance(c, SendMessage) and c.chat_id == MANAGER_ID]
    assert told == ["✅ Ольга Смирнова вернула вам доступ к боту. Что умеет бот: /help."]
    listing = joined(await chat.send(HEAD_ID, "/audit Дмитрий"))
    assert "<b>Ольга Смирнова</b> · ↩️ вернула сотрудника · <b>Дмитрий Орлов</b>" in listing
    assert "<b>Ольга Смирнова</b> · 🚫 отключила сотрудника · <b>Дмитрий Орлов</b>" in listing
