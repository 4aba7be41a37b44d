"""Notices to members other than the one who acted: queued in the outbox with the change.

A handover, access given back, a cancelled event: the row is written in the update's
transaction (a rollback queues nothing), the head gets the immediate reply, and the clock's
delivery sends the notice — retried through Telegram's faults, once whatever the instances.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramNetworkError, TelegramServerError
from aiogram.methods import EditMessageText, SendMessage
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.middlewares import OUTBOX_WAKE
from bot.offline import RecordingSession
from models import Client, Event, Member, Outbox
from scheduler.clock import NamedJob, Ticker
from scheduler.delivery import Deliverer
from services.clock import ManualClock
from tests.conftest import HEAD_ID
from tests.harness import Chat, joined
from tests.test_events import base, plan_webinar, team
from tests.test_handover import arrange
from tests.test_onboarding import MANAGER_ID
from tests.test_reminders import OTHER_MANAGER_ID, FakeTime, make_ticker, msk

Factory = async_sessionmaker[AsyncSession]
PROBE = SendMessage(chat_id=1, text="probe")


async def notices(session_factory: Factory) -> list[Outbox]:
    async with session_factory() as session:
        return list(
            await session.scalars(
                select(Outbox).where(Outbox.kind == "notice").order_by(Outbox.id)
            )
        )


def outage(error: type[TelegramServerError | TelegramNetworkError]) -> list[Exception]:
    """Every request of a delivery run fails: more than one run's in-place retries."""
    return [error(method=PROBE, message="Bad Gateway") for _ in range(50)]


def to_chat(calls: list[object], chat_id: int) -> list[SendMessage]:
    return [c for c in calls if isinstance(c, SendMessage) and c.chat_id == chat_id]


async def hand_romashka_to_olga(chat: Chat) -> list[object]:
    await chat.send(HEAD_ID, "/handover Ромашка")
    await chat.press(HEAD_ID, "Ольга")
    await chat.press(HEAD_ID, "продажа")
    await chat.send(HEAD_ID, "Ждут КП")
    return await chat.press(HEAD_ID, "Передать")


async def test_a_handover_notice_is_queued_with_it_and_survives_a_telegram_failure(
    chat: Chat, session_factory: Factory, recorder: RecordingSession
) -> None:
    await arrange(chat, session_factory)
    calls = await hand_romashka_to_olga(chat)

    # The head's reply is immediate; the new owner's and the old owner's notices are rows.
    assert "🔁 Клиент <b>Ромашка</b> передан: Ольга, этап «продажа»" in joined(calls)
    assert not to_chat(calls, OTHER_MANAGER_ID)
    assert not to_chat(calls, MANAGER_ID)
    rows = await notices(session_factory)
    assert sorted((row.chat_id, row.status) for row in rows) == [
        (MANAGER_ID, "pending"),
        (OTHER_MANAGER_ID, "pending"),
    ]

    # Telegram is down for the whole delivery run: nothing is lost, the rows wait their retry.
    recorder.failures.extend(outage(TelegramServerError))
    assert not [c for c in await chat.deliver(session_factory) if isinstance(c, SendMessage)]
    waiting = await notices(session_factory)
    assert [row.status for row in waiting] == ["pending", "pending"]
    assert all(row.attempts > 0 and row.last_error for row in waiting)

    recorder.failures.clear()
    chat.clock.advance(timedelta(minutes=5))
    await chat.deliver(session_factory)
    assert [row.status for row in await notices(session_factory)] == ["sent", "sent"]
    received = to_chat(chat.recorder.requests, OTHER_MANAGER_ID)
    assert len(received) == 1
    assert "Вам передан клиент <b>Ромашка</b>" in received[0].text
    assert "Ждут КП" in received[0].text
    assert received[0].reply_markup is not None
    told = to_chat(chat.recorder.requests, MANAGER_ID)
    assert len(told) == 1
    assert "теперь его ведёт <b>Ольга</b>" in told[0].text

    # Delivered once: a later run (or another instance) sends nothing more.
    chat.clock.advance(timedelta(hours=1))
    assert not [c for c in await chat.deliver(session_factory) if isinstance(c, SendMessage)]


async def test_a_handover_whose_reply_fails_is_undone_and_tells_nobody(
    chat: Chat, session_factory: Factory, recorder: RecordingSession
) -> None:
    client_id = await arrange(chat, session_factory)
    await chat.send(HEAD_ID, "/handover Ромашка")
    await chat.press(HEAD_ID, "Ольга")
    await chat.press(HEAD_ID, "продажа")
    await chat.send(HEAD_ID, "Ждут КП")
    # The network drops while the head's message is being edited: the update rolls back.
    recorder.failures.append(TelegramNetworkError(method=PROBE, message="timeout"))
    await chat.press(HEAD_ID, "Передать")

    async with session_factory() as session:
        client = await session.get(Client, client_id)
        owner = await session.scalar(select(Member).where(Member.telegram_id == MANAGER_ID))
    assert client is not None
    assert owner is not None
    assert client.owner_id == owner.id
    assert await notices(session_factory) == []
    assert not to_chat(await chat.deliver(session_factory), OTHER_MANAGER_ID)


async def test_the_notice_comes_before_the_reminders_the_handover_brings(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    await arrange(chat, session_factory)
    # Wednesday 25.11, 11:00 in Moscow: Ромашка's touch is due today and its window is open.
    clock.set(msk(2026, 11, 25, 11, 0))
    await hand_romashka_to_olga(chat)
    texts = [c.text for c in to_chat(await chat.deliver(session_factory), OTHER_MANAGER_ID)]
    assert len(texts) == 2
    assert texts[0].startswith("🔁 Вам передан клиент")
    assert "Пора связаться" in texts[1]


async def test_access_given_back_is_queued_and_retried(
    chat: Chat, session_factory: Factory, recorder: RecordingSession
) -> None:
    await arrange(chat, session_factory)
    await chat.send(HEAD_ID, "/members")
    await chat.press(HEAD_ID, "Отключить Дмитрия")
    await chat.press(HEAD_ID, "Да, отключить")
    await chat.press(HEAD_ID, "Позже")
    await chat.send(HEAD_ID, "/members")
    calls = await chat.press(HEAD_ID, "Вернуть Дмитрия")
    assert "Дмитрий снова в команде." in joined(calls)
    assert not to_chat(calls, MANAGER_ID)
    [row] = await notices(session_factory)
    assert (row.chat_id, row.status) == (MANAGER_ID, "pending")

    recorder.failures.extend(outage(TelegramNetworkError))
    assert not to_chat(await chat.deliver(session_factory), MANAGER_ID)
    recorder.failures.clear()
    chat.clock.advance(timedelta(minutes=5))
    told = to_chat(await chat.deliver(session_factory), MANAGER_ID)
    assert [c.text for c in told] == [
        "✅ Tester вернул(а) вам доступ к боту. Что умеет бот: /help."
    ]


async def test_an_event_cancel_notice_is_queued_and_a_failed_reply_queues_nothing(
    chat: Chat, session: AsyncSession, session_factory: Factory, recorder: RecordingSession
) -> None:
    head, manager = await team(chat, session)
    await base(session, head, manager)
    await plan_webinar(chat)
    await chat.send(HEAD_ID, "/event")
    await chat.press(HEAD_ID, "Отменить: Вебинар")
    recorder.failures.append(TelegramNetworkError(method=PROBE, message="timeout"))
    await chat.press(HEAD_ID, "Да, отменить событие")
    session.expire_all()
    event = await session.scalar(select(Event))
    assert event is not None
    assert event.cancelled_at is None
    assert not [row for row in await notices(session_factory) if row.chat_id == MANAGER_ID]

    calls = await chat.press(HEAD_ID, "Да, отменить событие")
    assert "Закрыто приглашений" in joined(calls)
    assert not to_chat(calls, MANAGER_ID)
    told = to_chat(await chat.deliver(session_factory), MANAGER_ID)
    assert len(told) == 1
    assert "отменено" in told[0].text


async def test_a_woken_sender_delivers_the_notice_within_the_update(
    dp: Dispatcher,
    chat: Chat,
    bot: Bot,
    session_factory: Factory,
    clock: ManualClock,
) -> None:
    """With the clock attached (the bot, the console), an update that queued a notice wakes
    the delivery: the new owner has it right after the head's reply, not a tick later."""
    ticker = make_ticker(bot, session_factory, clock)
    dp[OUTBOX_WAKE] = ticker.run_on_demand
    await arrange(chat, session_factory)
    calls = await hand_romashka_to_olga(chat)
    replies = [c for c in calls if isinstance(c, EditMessageText) and c.chat_id == HEAD_ID]
    received = to_chat(calls, OTHER_MANAGER_ID)
    assert replies
    assert len(received) == 1
    assert calls.index(replies[-1]) < calls.index(received[0])
    assert [row.status for row in await notices(session_factory)] == ["sent", "sent"]


async def test_two_instances_deliver_a_notice_once(
    chat: Chat, bot: Bot, session_factory: Factory, clock: ManualClock
) -> None:
    await arrange(chat, session_factory)
    await hand_romashka_to_olga(chat)

    def instance(name: str) -> Deliverer:
        fake = FakeTime()
        return Deliverer(
            bot,
            session_factory,
            worker=name,
            per_chat_interval=0.0,
            monotonic=fake.monotonic,
            sleep=fake.sleep,
        )

    start = len(chat.recorder.requests)
    await asyncio.gather(
        instance("a").deliver_due(clock.now()), instance("b").deliver_due(clock.now())
    )
    sent = chat.recorder.requests[start:]
    assert len(to_chat(sent, OTHER_MANAGER_ID)) == 1
    assert len(to_chat(sent, MANAGER_ID)) == 1


async def test_a_wake_during_a_tick_runs_delivery_again_at_its_end(clock: ManualClock) -> None:
    runs: list[str] = []
    ticker = Ticker(clock)

    async def planning(_: object) -> None:
        runs.append("planning")
        # An update commits a notice while the tick is planning, after ...
        await ticker.run_on_demand()

    async def delivery(_: object) -> None:
        runs.append("delivery")

    ticker.jobs = [NamedJob("planning", planning), NamedJob("delivery", delivery, on_demand=True)]
    await ticker.tick()
    assert runs == ["planning", "delivery", "delivery"]
    runs.clear()
    await ticker.run_on_demand()
    assert runs == ["delivery"]
    await ticker.stop()
    await ticker.run_on_demand()
    await ticker.wake()
    assert runs == ["delivery"]
