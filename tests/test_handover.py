"""/handover: the head moves a client, an owner only to the next stage, forged buttons refused."""

from __future__ import annotations

from datetime import date, timedelta

from aiogram import Bot
from aiogram.methods import EditMessageText, SendMessage
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callbacks import BaseHandoverCallback, CardCallback, ClientCallback, HandoverCallback
from bot.offline import RecordingSession
from models import AuditEntry, Client, Member, OwnerHistory, Touch
from models.enums import Stage, TouchReason
from services.clock import ManualClock
from tests.conftest import HEAD_ID
from tests.harness import Chat, joined
from tests.test_reminders import (
    MANAGER_ID,
    OTHER_MANAGER_ID,
    add_client,
    add_member,
    add_touch,
    make_ticker,
    msk,
    outbox_rows,
    run_until,
    sent_texts,
)

Factory = async_sessionmaker[AsyncSession]


async def arrange(chat: Chat, session_factory: Factory) -> int:
    """The head, Дмитрий owning «Ромашка» with an open touch, and Ольга."""
    await chat.send(HEAD_ID, "/start")
    async with session_factory.begin() as session:
        owner = await add_member(session)
        await add_member(session, telegram_id=OTHER_MANAGER_ID, name="Ольга")
        client = await add_client(session, owner, "Ромашка", "Europe/Moscow")
        await add_touch(session, client, date(2026, 11, 25), "Предложить новый прайс")
        return client.id


async def load(session_factory: Factory, client_id: int) -> tuple[Client, list[Touch], Member]:
    async with session_factory() as session:
        client = await session.get(Client, client_id)
        assert client is not None
        touches = list(await session.scalars(select(Touch).where(Touch.client_id == client_id)))
        olga = await session.scalar(select(Member).where(Member.telegram_id == OTHER_MANAGER_ID))
        assert olga is not None
        return client, touches, olga


async def test_head_hands_a_client_over_with_a_note(chat: Chat, session_factory: Factory) -> None:
    client_id = await arrange(chat, session_factory)
    assert "Кому передать" in joined(await chat.send(HEAD_ID, "/handover Ромашка"))
    assert "Ольга" in chat.buttons(HEAD_ID)
    await chat.press(HEAD_ID, "Ольга")
    assert chat.buttons(HEAD_ID)[:3] == ["привлечение ✓", "продажа", "сопровождение"]
    await chat.press(HEAD_ID, "продажа")
    await chat.send(HEAD_ID, "Ждут КП до пятницы, звонить после 11")
    assert "Ждут КП до пятницы" in joined(chat.recorder.requests[-1:])
    assert "Этап: привлечение → продажа" in joined(chat.recorder.requests[-1:])
    calls = await chat.press(HEAD_ID, "Передать")

    assert "передан" in joined(calls)
    # Queued with the handover, not sent from the handler: the clock's delivery sends it.
    assert not [c for c in calls if isinstance(c, SendMessage) and c.chat_id == OTHER_MANAGER_ID]
    delivered = await chat.deliver(session_factory)
    notices = [
        c for c in delivered if isinstance(c, SendMessage) and c.chat_id == OTHER_MANAGER_ID
    ]
    assert len(notices) == 1
    assert "Ромашка" in notices[0].text
    assert "Ждут КП до пятницы" in notices[0].text
    markup = notices[0].reply_markup
    assert markup is not None
    card_data = markup.inline_keyboard[0][0].callback_data  # type: ignore[union-attr]
    assert card_data == CardCallback(client_id=client_id).pack()

    client, touches, olga = await load(session_factory, client_id)
    assert client.owner_id == olga.id
    assert client.stage is Stage.SALE
    assert [touch.member_id for touch in touches] == [olga.id]
    async with session_factory() as session:
        history = list(await session.scalars(select(OwnerHistory)))
        handovers = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "handover"))
        )
        head = await session.scalar(select(Member).where(Member.telegram_id == HEAD_ID))
        owner = await session.scalar(select(Member).where(Member.telegram_id == MANAGER_ID))
    assert len(history) == 1
    assert head is not None
    assert owner is not None
    row = history[0]
    assert (row.from_member_id, row.to_member_id, row.by_member_id) == (owner.id, olga.id, head.id)
    assert (row.from_stage, row.to_stage) == (Stage.ACQUISITION, Stage.SALE)
    assert row.note == "Ждут КП до пятницы, звонить после 11"
    assert len(handovers) == 1

    # The previous owner's old card button no longer opens the client; the new owner's does.
    stale = await chat.press_data(MANAGER_ID, card_data)
    assert "недоступен" in joined(stale)
    opened = await chat.press_data(OTHER_MANAGER_ID, card_data)
    assert "Ромашка" in joined(opened)


async def test_the_cards_history_shows_the_handover(chat: Chat, session_factory: Factory) -> None:
    client_id = await arrange(chat, session_factory)
    await chat.send(HEAD_ID, "/handover Ромашка")
    await chat.press(HEAD_ID, "Ольга")
    await chat.press(HEAD_ID, "продажа")
    await chat.press(HEAD_ID, "Без заметки")
    await chat.press(HEAD_ID, "Передать")
    history = joined(
        await chat.press_data(
            HEAD_ID, ClientCallback(action="history", client_id=client_id).pack()
        )
    )
    assert "Ответственный: Дмитрий → Ольга" in history
    assert "Этап: привлечение → продажа" in history


async def test_owner_moves_own_client_to_the_next_stage_only(
    chat: Chat, session_factory: Factory
) -> None:
    client_id = await arrange(chat, session_factory)
    await chat.send(MANAGER_ID, "/handover Ромашка")
    # The owner cannot pick themselves.
    assert "Ольга" in chat.buttons(MANAGER_ID)
    assert "Дмитрий" not in chat.buttons(MANAGER_ID)
    await chat.press(MANAGER_ID, "Ольга")
    assert chat.buttons(MANAGER_ID)[0] == "продажа"
    assert "сопровождение" not in chat.buttons(MANAGER_ID)
    _, _, olga = await load(session_factory, client_id)

    # A forged stage button (skipping a stage) is refused and nothing changes.
    forged = HandoverCallback(
        action="stage", client_id=client_id, member_id=olga.id, stage=Stage.ACCOUNT.value
    ).pack()
    assert "только на следующий этап" in joined(await chat.press_data(MANAGER_ID, forged))
    await chat.press(MANAGER_ID, "продажа")
    await chat.press(MANAGER_ID, "Без заметки")
    await chat.press(MANAGER_ID, "Передать")
    client, _, _ = await load(session_factory, client_id)
    assert client.owner_id == olga.id
    assert client.stage is Stage.SALE


async def test_forged_buttons_for_somebody_elses_client_are_refused(
    chat: Chat, session_factory: Factory
) -> None:
    client_id = await arrange(chat, session_factory)
    _, _, olga = await load(session_factory, client_id)
    for data in (
        HandoverCallback(action="start", client_id=client_id),
        HandoverCallback(action="to", client_id=client_id, member_id=olga.id),
        HandoverCallback(
            action="stage", client_id=client_id, member_id=olga.id, stage=Stage.SALE.value
        ),
        HandoverCallback(action="ok"),
    ):
        calls = await chat.press_data(OTHER_MANAGER_ID, data.pack())
        assert "недоступен" in joined(calls) or "устарела" in joined(calls)
    garbage = HandoverCallback(
        action="stage", client_id=client_id, member_id=olga.id, stage="boss"
    ).pack()
    assert "устарела" in joined(await chat.press_data(HEAD_ID, garbage))
    client, touches, _ = await load(session_factory, client_id)
    async with session_factory() as session:
        owner = await session.scalar(select(Member).where(Member.telegram_id == MANAGER_ID))
        assert await session.scalar(select(OwnerHistory.id)) is None
        denied = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "denied"))
        )
    assert owner is not None
    assert client.owner_id == owner.id
    assert [touch.member_id for touch in touches] == [owner.id]
    assert len(denied) >= 3


async def test_head_hands_a_leaving_managers_whole_base_over(
    chat: Chat, session_factory: Factory
) -> None:
    client_id = await arrange(chat, session_factory)
    async with session_factory.begin() as session:
        owner = await session.scalar(select(Member).where(Member.telegram_id == MANAGER_ID))
        assert owner is not None
        second = await add_client(session, owner, "Лютик", "Europe/Moscow")
        second.stage = Stage.ACCOUNT
    await chat.send(HEAD_ID, "/members")
    await chat.press(HEAD_ID, "Отключить Дмитрия")
    question = joined(await chat.press(HEAD_ID, "Да, отключить"))
    assert "Кому передать 2 клиентов сотрудника <b>Дмитрия</b>" in question
    assert chat.buttons(HEAD_ID) == ["Tester", "Ольга", "Позже"]

    # A manager cannot forge the move, even with the right ids.
    _, _, olga = await load(session_factory, client_id)
    forged = BaseHandoverCallback(action="ok", from_id=owner.id, to_id=olga.id).pack()
    assert "только руководителю" in joined(await chat.press_data(OTHER_MANAGER_ID, forged))

    confirm = joined(await chat.press(HEAD_ID, "Ольга"))
    assert "Передать 2 клиентов сотрудника <b>Дмитрия</b> → <b>Ольга</b>?" in confirm
    calls = await chat.press(HEAD_ID, "Передать всех")
    assert "Передано клиентов: 2" in joined(calls)
    delivered = await chat.deliver(session_factory)
    notices = [
        c for c in delivered if isinstance(c, SendMessage) and c.chat_id == OTHER_MANAGER_ID
    ]
    assert len(notices) == 1
    assert "клиентов сотрудника Дмитрия: 2" in notices[0].text

    client, touches, olga = await load(session_factory, client_id)
    assert client.owner_id == olga.id
    assert [touch.member_id for touch in touches] == [olga.id]
    async with session_factory() as session:
        moved = await session.get(Client, second.id)
        history = list(await session.scalars(select(OwnerHistory)))
    assert moved is not None
    assert (moved.owner_id, moved.stage) == (olga.id, Stage.ACCOUNT)
    assert len(history) == 2

    # Nothing is left to move: the list has no hand-over button and a stale one is answered.
    await chat.send(HEAD_ID, "/members")
    assert not any("передать" in text for text in chat.buttons(HEAD_ID))
    stale = BaseHandoverCallback(action="pick", from_id=owner.id).pack()
    assert "передавать нечего" in joined(await chat.press_data(HEAD_ID, stale))


async def test_a_waiting_base_can_be_handed_over_later_from_members(
    chat: Chat, session_factory: Factory
) -> None:
    await arrange(chat, session_factory)
    await chat.send(HEAD_ID, "/members")
    await chat.press(HEAD_ID, "Отключить Дмитрия")
    await chat.press(HEAD_ID, "Да, отключить")
    assert "остаются за сотрудником" in joined(await chat.press(HEAD_ID, "Позже"))
    await chat.send(HEAD_ID, "/members")
    await chat.press(HEAD_ID, "Клиенты Дмитрия (1) — передать")
    assert chat.buttons(HEAD_ID) == ["Tester", "Ольга", "Позже"]


# --- Today's reminders follow the handover ----------------------------------------------------

MONDAY = date(2026, 11, 23)


async def arrange_monday(chat: Chat, session_factory: Factory, clock: ManualClock) -> None:
    """Monday 08:00 Moscow: Дмитрий owns «Ромашка» and «Лютик», both due today (windows open
    at 10:00, his reminders are queued), and Ольга."""
    await arrange(chat, session_factory)
    clock.set(msk(2026, 11, 23, 8, 0))
    async with session_factory.begin() as session:
        owner = await session.scalar(select(Member).where(Member.telegram_id == MANAGER_ID))
        assert owner is not None
        for client in await session.scalars(select(Client).where(Client.owner_id == owner.id)):
            await add_touch(session, client, MONDAY, "Позвонить: обсудить поставку")
        second = await add_client(session, owner, "Лютик", "Europe/Moscow")
        await add_touch(session, second, MONDAY, "Позвонить: обсудить поставку")


def reminders_to(recorder: RecordingSession, chat_id: int) -> list[str]:
    return [text for text in sent_texts(recorder, chat_id) if "Пора связаться" in text]


async def test_the_new_owner_gets_todays_reminder_and_the_old_owner_is_told(
    chat: Chat,
    session_factory: Factory,
    clock: ManualClock,
    bot: Bot,
    recorder: RecordingSession,
) -> None:
    await arrange_monday(chat, session_factory, clock)
    ticker = make_ticker(bot, session_factory, clock)
    await run_until(ticker, clock, msk(2026, 11, 23, 8, 30), timedelta(minutes=15))
    assert len(await outbox_rows(session_factory, "reminder")) == 2

    await chat.send(HEAD_ID, "/handover Ромашка")
    await chat.press(HEAD_ID, "Ольга")
    await chat.press(HEAD_ID, "продажа")
    await chat.send(HEAD_ID, "Ждут КП")
    await chat.press(HEAD_ID, "Передать")
    calls = await chat.deliver(session_factory)
    told = [c.text for c in calls if isinstance(c, SendMessage) and c.chat_id == MANAGER_ID]
    assert told == [
        "🔁 Клиент <b>Ромашка</b> передан: теперь его ведёт <b>Ольга</b> (передал(а) Tester). "
        "Карточка вам больше недоступна."
    ]
    reminders = await outbox_rows(session_factory, "reminder")
    assert sorted((row.status, row.chat_id) for row in reminders) == [
        ("cancelled", MANAGER_ID),
        ("pending", MANAGER_ID),
        ("pending", OTHER_MANAGER_ID),
    ]

    await run_until(ticker, clock, msk(2026, 11, 23, 12, 0), timedelta(minutes=15))
    olga = reminders_to(recorder, OTHER_MANAGER_ID)
    assert len(olga) == 1
    assert "Ромашка" in olga[0]
    dmitry = reminders_to(recorder, MANAGER_ID)
    assert len(dmitry) == 1
    assert "Лютик" in dmitry[0]


async def test_a_client_handed_over_after_its_reminder_went_is_reminded_to_the_new_owner(
    chat: Chat,
    session_factory: Factory,
    clock: ManualClock,
    bot: Bot,
    recorder: RecordingSession,
) -> None:
    await arrange_monday(chat, session_factory, clock)
    ticker = make_ticker(bot, session_factory, clock)
    await run_until(ticker, clock, msk(2026, 11, 23, 11, 0), timedelta(minutes=15))
    assert len(reminders_to(recorder, MANAGER_ID)) == 2

    await chat.send(HEAD_ID, "/handover Лютик")
    await chat.press(HEAD_ID, "Ольга")
    await chat.press(HEAD_ID, "привлечение")
    await chat.press(HEAD_ID, "Без заметки")
    await chat.press(HEAD_ID, "Передать")
    await run_until(ticker, clock, msk(2026, 11, 23, 12, 0), timedelta(minutes=15))
    olga = reminders_to(recorder, OTHER_MANAGER_ID)
    assert len(olga) == 1
    assert "Лютик" in olga[0]
    assert len(reminders_to(recorder, MANAGER_ID)) == 2


async def test_the_new_owner_gets_one_reminder_per_call(
    chat: Chat,
    session_factory: Factory,
    clock: ManualClock,
    bot: Bot,
    recorder: RecordingSession,
) -> None:
    """Лютик's call carries an invitation: handed over after the call's reminder went, it
    reaches Ольга as one reminder naming both, as it reached Дмитрий."""
    await arrange_monday(chat, session_factory, clock)
    async with session_factory.begin() as session:
        client = await session.scalar(select(Client).where(Client.name == "Лютик"))
        assert client is not None
        await add_touch(session, client, MONDAY, "Пригласить на «Вебинар»", TouchReason.EVENT)
    ticker = make_ticker(bot, session_factory, clock)
    await run_until(ticker, clock, msk(2026, 11, 23, 11, 0), timedelta(minutes=15))
    [dmitry] = [text for text in reminders_to(recorder, MANAGER_ID) if "Лютик" in text]
    assert "↳ в том же звонке: 📣 Пригласить на «Вебинар»" in dmitry

    await chat.send(HEAD_ID, "/handover Лютик")
    await chat.press(HEAD_ID, "Ольга")
    await chat.press(HEAD_ID, "привлечение")
    await chat.press(HEAD_ID, "Без заметки")
    await chat.press(HEAD_ID, "Передать")
    await run_until(ticker, clock, msk(2026, 11, 23, 12, 0), timedelta(minutes=15))
    [olga] = reminders_to(recorder, OTHER_MANAGER_ID)
    assert "↳ в том же звонке: 📣 Пригласить на «Вебинар»" in olga


async def test_a_deactivated_members_base_brings_todays_reminders_to_the_receiver(
    chat: Chat,
    session_factory: Factory,
    clock: ManualClock,
    bot: Bot,
    recorder: RecordingSession,
) -> None:
    await arrange_monday(chat, session_factory, clock)
    ticker = make_ticker(bot, session_factory, clock)
    await run_until(ticker, clock, msk(2026, 11, 23, 8, 30), timedelta(minutes=15))
    await chat.send(HEAD_ID, "/members")
    await chat.press(HEAD_ID, "Отключить Дмитрия")
    await chat.press(HEAD_ID, "Да, отключить")
    await chat.press(HEAD_ID, "Позже")
    await chat.send(HEAD_ID, "/members")
    await chat.press(HEAD_ID, "Клиенты Дмитрия (2) — передать")
    await chat.press(HEAD_ID, "Ольга")
    calls = await chat.press(HEAD_ID, "Передать всех")
    # Дмитрий is off the team: he is told nothing.
    assert not [c for c in calls if isinstance(c, SendMessage) and c.chat_id == MANAGER_ID]

    await run_until(ticker, clock, msk(2026, 11, 23, 12, 0), timedelta(minutes=15))
    olga = reminders_to(recorder, OTHER_MANAGER_ID)
    assert len(olga) == 2
    assert any("Ромашка" in text for text in olga)
    assert any("Лютик" in text for text in olga)
    assert reminders_to(recorder, MANAGER_ID) == []


async def test_an_active_members_whole_base_moved_tells_them(
    chat: Chat, session_factory: Factory
) -> None:
    client_id = await arrange(chat, session_factory)
    await chat.send(HEAD_ID, "/members")
    _, _, olga = await load(session_factory, client_id)
    async with session_factory() as session:
        owner = await session.scalar(select(Member).where(Member.telegram_id == MANAGER_ID))
    assert owner is not None
    move = BaseHandoverCallback(action="ok", from_id=owner.id, to_id=olga.id).pack()
    await chat.press_data(HEAD_ID, move)
    calls = await chat.deliver(session_factory)
    told = [c.text for c in calls if isinstance(c, SendMessage) and c.chat_id == MANAGER_ID]
    assert told == [
        "🔁 Ваши клиенты (1) переданы: теперь их ведёт <b>Ольга</b> (передал(а) Tester). "
        "Их карточки вам больше недоступны."
    ]


async def test_a_handover_keeping_the_stage_says_so(chat: Chat, session_factory: Factory) -> None:
    await arrange(chat, session_factory)
    await chat.send(HEAD_ID, "/handover Ромашка")
    await chat.press(HEAD_ID, "Ольга")
    await chat.press(HEAD_ID, "привлечение")
    confirm = joined(await chat.press(HEAD_ID, "Без заметки"))
    assert "Этап: привлечение, без изменений" in confirm
    assert "привлечение → привлечение" not in confirm


async def card_buttons(chat: Chat, user_id: int, client_id: int) -> list[str]:
    """The buttons of the client's card as this member sees it."""
    await chat.press_data(user_id, ClientCallback(action="open", client_id=client_id).pack())
    return chat.buttons(user_id)


async def test_hand_over_shows_on_the_card_only_to_whoever_may_hand_it_over(
    chat: Chat, session_factory: Factory
) -> None:
    sale_id = await arrange(chat, session_factory)
    async with session_factory.begin() as session:
        owner = await session.scalar(select(Member).where(Member.telegram_id == MANAGER_ID))
        assert owner is not None
        account = await add_client(session, owner, "Лютик", "Europe/Moscow")
        account.stage = Stage.ACCOUNT
        account_id = account.id

    assert "🔁 Передать" in await card_buttons(chat, MANAGER_ID, sale_id)
    assert "🔁 Передать" in await card_buttons(chat, HEAD_ID, account_id)
    # Past the last stage only a head moves the client: every button the manager sees works.
    assert await card_buttons(chat, MANAGER_ID, account_id) == [
        "📝 Записать касание",
        "✏️ Изменить",
        "👥 Контакты",
        "🎂 Даты",
        "📦 Сделки",
        "🕓 История",
        "🏷 Маркеры",
        "✅ Данные актуальны",
    ]

    # A forged «Передать» still gets the refusal, as a pop-up: the card stays.
    card, _ = chat.find_button(MANAGER_ID, "Маркеры")
    text = card.text
    forged = HandoverCallback(action="start", client_id=account_id).pack()
    calls = await chat.press_data(MANAGER_ID, forged, on=card)
    assert "передать дальше может только руководитель" in joined(calls)
    assert not [call for call in calls if isinstance(call, EditMessageText)]
    assert card.text == text
    client, _, _ = await load(session_factory, account_id)
    assert (client.owner_id, client.stage) == (owner.id, Stage.ACCOUNT)


async def test_a_manager_hands_a_client_over_from_the_card(
    chat: Chat, session_factory: Factory
) -> None:
    client_id = await arrange(chat, session_factory)
    await card_buttons(chat, MANAGER_ID, client_id)
    assert "Кому передать" in joined(await chat.press(MANAGER_ID, "🔁 Передать"))
    await chat.press(MANAGER_ID, "Ольга")
    assert chat.buttons(MANAGER_ID)[0] == "продажа"
    await chat.press(MANAGER_ID, "продажа")
    await chat.press(MANAGER_ID, "Без заметки")
    calls = await chat.press(MANAGER_ID, "Передать")

    assert "передан" in joined(calls)
    delivered = await chat.deliver(session_factory)
    assert any(
        isinstance(call, SendMessage) and call.chat_id == OTHER_MANAGER_ID for call in delivered
    )
    client, _, olga = await load(session_factory, client_id)
    assert (client.owner_id, client.stage) == (olga.id, Stage.SALE)
