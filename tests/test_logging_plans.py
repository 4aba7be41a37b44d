"""A contact still to come, typed as one message, becomes a planned touch: the plan's card
(«🗓 Запланировать касание»), its corrections, «📝 Это уже было», and the parser's line between a
plan and a log."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import LogCallback
from models import Contact, Member, Touch
from models.enums import Channel, Outcome, TouchReason, TouchStatus
from services import interactions
from services.clock import ManualClock
from services.interactions import Draft
from services.names import NameCandidate, NameIndex
from services.parsing import parse_interaction
from tests.harness import Chat, joined
from tests.test_logging import MANAGER, _client, _interactions, seed

MSK = ZoneInfo("Europe/Moscow")
# Wednesday, as the tests' clock starts.
NOW = datetime(2026, 11, 18, 10, 30, tzinfo=MSK)
THURSDAY = date(2026, 11, 19)
MOROZOV = "Встреча с Морозовым завтра в 15:00, обсудить каталог"

CLIENTS = (
    NameCandidate(1, "ООО «Ромашка»", ("Петров Иван Сергеевич",)),
    NameCandidate(2, "ООО «Вектор»", ("Морозов Пётр Ильич",)),
    NameCandidate(3, "ТехноПром", ("Сидорова Анна",)),
)


@pytest.fixture(scope="module")
def index() -> NameIndex:
    return NameIndex(CLIENTS)


@pytest.mark.parametrize(
    ("text", "channel", "goal", "when"),
    [
        (MOROZOV, Channel.MEETING, "обсудить каталог", datetime(2026, 11, 19, 15, tzinfo=MSK)),
        (
            "Позвонить Петрову из Ромашки завтра в 11 предложить новый прайс",
            Channel.CALL,
            "предложить новый прайс",
            datetime(2026, 11, 19, 11, tzinfo=MSK),
        ),
        (
            "Запланировать звонок в Ромашку на пятницу, обсудить оплату",
            Channel.CALL,
            "обсудить оплату",
            date(2026, 11, 20),
        ),
        ("Звонок Петрову в пятницу: напомнить про оплату", Channel.CALL, "напомнить про оплату",
         date(2026, 11, 20)),
        ("написать в ватсап Сидоровой завтра, напомнить про счёт", Channel.WHATSAPP,
         "напомнить про счёт", THURSDAY),
        ("Петрову в пятницу отправить КП", Channel.CALL, "отправить КП", date(2026, 11, 20)),
        # Whom and when, but not what for: the goal is asked.
        ("перезвонить Петрову в пятницу", Channel.CALL, None, date(2026, 11, 20)),
        ("В пятницу встреча с Сидоровой в ТехноПроме", Channel.MEETING, None, date(2026, 11, 20)),
        (
            "Meeting with Morozov tomorrow at 15:00 to discuss the catalogue",
            Channel.MEETING,
            "discuss the catalogue",
            datetime(2026, 11, 19, 15, tzinfo=MSK),
        ),
    ],
)  # fmt: skip
def test_a_contact_still_to_come_is_a_plan(
    text: str,
    channel: Channel,
    goal: str | None,
    when: date | datetime,
    index: NameIndex,
) -> None:
    parsed = parse_interaction(text, now=NOW, index=index)
    assert (parsed.plan, parsed.channel, parsed.goal, parsed.next_touch) == (
        True,
        channel,
        goal,
        when,
    )
    assert parsed.result is None
    assert parsed.outcome is None


@pytest.mark.parametrize(
    "text",
    [
        # Something happened: a past verb, a result, an outcome, an ask, a report's heading.
        "Звонил Петрову из Ромашки, цель — предложить новый прайс, договорились о встрече "
        "в пятницу в 15:00",
        "Встреча с Морозовым: обсудили каталог, созвонимся в пятницу",
        "Петров просил перезвонить в пятницу",
        "Морозов просит набрать 10.12 в 14:30",
        "не дозвонился Петрову, наберу завтра в 11",
        "Морозов в отпуске до 14.12",
        "Созвон с Морозовым: перенести поставку на пятницу",
        "встреча с Морозовым, следующая встреча в пятницу",
        "Called Petrov, no answer, call back tomorrow",
        # No day to plan it on, or a time already gone.
        "Встреча с Морозовым, обсудить каталог",
        "сегодня в 9:00 встреча с Морозовым",
    ],
)
def test_a_contact_that_happened_stays_a_log(text: str, index: NameIndex) -> None:
    assert not parse_interaction(text, now=NOW, index=index).plan


# Through the dispatcher.


@pytest.fixture
async def base(session: AsyncSession, clock: ManualClock) -> dict[str, int]:
    """The logging tests' base (Ромашка with a cadence touch due today…) and Вектор, whose
    Морозов Пётр is its only contact."""
    ids = await seed(session, clock)
    manager = await session.scalar(select(Member).where(Member.telegram_id == MANAGER))
    assert manager is not None
    vector = await _client(session, clock, manager, "ООО «Вектор»", "Морозов Пётр")
    await session.commit()
    return {**ids, "vector": vector.id}


async def _touches(session: AsyncSession, client_id: int) -> list[Touch]:
    session.expire_all()
    return list(
        await session.scalars(select(Touch).where(Touch.client_id == client_id).order_by(Touch.id))
    )


async def test_a_plan_becomes_the_clients_next_touch_at_the_agreed_time(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    card = joined(await chat.send(MANAGER, MOROZOV))
    assert "🗓 <b>Запланировать касание</b>" in card
    assert "Клиент: <b>ООО «Вектор»</b>" in card
    assert "Контакт: Морозов Пётр" in card
    assert "Канал: 🤝 Встреча" in card
    assert "Когда: чт 19.11 15:00" in card
    assert "Цель: обсудить каталог" in card
    # Not a log waiting for its result.
    assert "Результат" not in card
    assert chat.buttons(MANAGER) == [
        "🗓 Запланировать", "Клиент", "Канал", "Когда", "Цель", "📝 Это уже было", "✖️ Отмена",
    ]  # fmt: skip

    text = joined(await chat.press(MANAGER, "Запланировать"))
    assert "🗓 Запланировано: <b>ООО «Вектор»</b>, чт 19.11 15:00 — Встреча: обсудить каталог" in (
        text
    )
    assert "⏰ Напомню за 15 минут до 15:00." in text
    assert await _interactions(session) == []
    [touch] = await _touches(session, base["vector"])
    assert touch.status is TouchStatus.PLANNED
    assert touch.reason is TouchReason.FOLLOW_UP
    assert touch.due_on == THURSDAY
    assert touch.due_at is not None
    due_at = touch.due_at if touch.due_at.tzinfo else touch.due_at.replace(tzinfo=UTC)
    assert due_at == datetime(2026, 11, 19, 15, tzinfo=MSK)
    assert touch.goal == "Встреча: обсудить каталог"
    contact = await session.get(Contact, touch.contact_id)
    assert contact is not None
    assert contact.full_name == "Морозов Пётр"
    # The button pressed again (a second tap, another copy) finds no draft: planned once.
    calls = await chat.press_data(MANAGER, LogCallback(action="save").pack())
    assert "Этот черновик уже закрыт" in joined(calls)
    assert len(await _touches(session, base["vector"])) == 1


async def test_a_plan_replaces_the_cadence_touch(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    await chat.send(MANAGER, "Позвонить Петрову из Ромашки завтра в 11, предложить новый прайс")
    await chat.press(MANAGER, "Запланировать")
    touches = {t.goal: t for t in await _touches(session, base["romashka"])}
    assert touches["позвонить по плану"].status is TouchStatus.SKIPPED
    planned = touches["предложить новый прайс"]
    assert (planned.status, planned.due_on) == (TouchStatus.PLANNED, THURSDAY)


async def test_a_plan_asks_what_it_does_not_tell_and_takes_corrections(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    calls = await chat.send(MANAGER, "перезвонить Петрову из Ромашки в пятницу")
    assert "Какая цель касания?" in joined(calls)
    assert "Follow-up" in chat.buttons(MANAGER)
    card = joined(await chat.send(MANAGER, "согласовать отгрузку"))
    assert "Цель: согласовать отгрузку" in card
    assert "Когда: пт 20.11" in card

    calls = await chat.press(MANAGER, "Когда")
    assert "Когда? Например" in joined(calls)
    assert "Без даты" not in chat.buttons(MANAGER)
    assert "Не понял дату" in joined(await chat.send(MANAGER, "когда-нибудь"))
    # The plan asks for its day, not for a next step.
    refused = joined(await chat.send(MANAGER, "31 февраля"))
    assert "такой даты нет. Напишите другой день." in refused
    card = joined(await chat.send(MANAGER, "в понедельник в 12:30"))
    assert "Когда: пн 23.11 12:30" in card

    await chat.press(MANAGER, "Канал")
    card = joined(await chat.press(MANAGER, "Встреча"))
    assert "Канал: 🤝 Встреча" in card
    await chat.press(MANAGER, "Цель")
    card = joined(await chat.send(MANAGER, "привезти образцы"))
    assert "Цель: привезти образцы" in card

    await chat.press(MANAGER, "Запланировать")
    [touch] = [
        t for t in await _touches(session, base["romashka"]) if t.status is TouchStatus.PLANNED
    ]
    assert (touch.goal, touch.due_on) == ("Встреча: привезти образцы", date(2026, 11, 23))


async def test_a_plan_on_a_day_off_keeps_its_agreed_time(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    await chat.send(MANAGER, "Встреча с Морозовым в субботу в 12, обсудить каталог")
    text = joined(await chat.press(MANAGER, "Запланировать"))
    # Agreed with the client, so it holds on a day off too, and is reminded before it.
    assert "сб 21.11 12:00" in text
    assert "Напомню за 15 минут до 12:00" in text
    [touch] = await _touches(session, base["vector"])
    assert touch.due_on == date(2026, 11, 21)
    assert touch.due_at is not None


async def test_it_already_happened_turns_the_plan_into_a_log(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    await chat.send(MANAGER, "Морозову в пятницу: отправить КП")
    calls = await chat.press(MANAGER, "Это уже было")
    assert "Какой результат?" in joined(calls)
    await chat.send(MANAGER, "КП отправлено")
    await chat.press(MANAGER, "Цель достигнута")
    assert "💾 Сохранить" in chat.buttons(MANAGER)
    await chat.press(MANAGER, "Сохранить")
    [saved] = await _interactions(session)
    assert (saved.client_id, saved.goal, saved.outcome) == (
        base["vector"],
        "отправить КП",
        Outcome.ACHIEVED,
    )
    assert saved.next_touch_on == date(2026, 11, 20)


async def test_plan_buttons_without_a_plan_are_stale(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    was = LogCallback(action="was").pack()
    assert "Этот черновик уже закрыт" in joined(await chat.press_data(MANAGER, was))
    # A log's draft is no plan: «was» does nothing to it, «when» is no field of its card.
    await chat.send(MANAGER, "звонил Петрову из Ромашки, клиент согласен")
    assert "Этот черновик уже закрыт" in joined(await chat.press_data(MANAGER, was))
    when = LogCallback(action="edit", value="when").pack()
    assert "Этот черновик уже закрыт" in joined(await chat.press_data(MANAGER, when))
    assert await _interactions(session) == []


async def test_the_same_message_is_planned_once(
    session: AsyncSession, clock: ManualClock, base: dict[str, int]
) -> None:
    manager = await session.scalar(select(Member).where(Member.telegram_id == MANAGER))
    assert manager is not None
    draft = Draft(
        client_id=base["vector"],
        goal="обсудить каталог",
        channel=Channel.MEETING.value,
        next_touch=datetime.combine(THURSDAY, time(15), tzinfo=MSK).isoformat(),
        chat_id=MANAGER,
        message_id=42,
        plan=True,
    )
    first = await interactions.save_plan(session, manager, draft, clock.now())
    again = await interactions.save_plan(session, manager, draft, clock.now())
    assert (first.created, again.created) == (True, False)
    assert again.planned.touch.id == first.planned.touch.id
    draft.goal = None
    with pytest.raises(interactions.MissingFieldError):
        await interactions.save_plan(session, manager, draft, clock.now())


@pytest.mark.parametrize(
    ("text", "channel", "goal"),
    [
        ("Надо позвонить Петрову из Ромашки, обсудить каталог", Channel.CALL, "обсудить каталог"),
        ("нужно встретиться с Морозовым, показать образцы", Channel.MEETING, "показать образцы"),
        ("Не забыть написать Сидоровой в ватсап про счёт", Channel.WHATSAPP, None),
        ("Need to call Petrov to discuss the invoice", Channel.CALL, "discuss the invoice"),
    ],
)
def test_a_contact_to_make_without_a_day_is_a_plan_whose_day_is_asked(
    text: str, channel: Channel, goal: str | None, index: NameIndex
) -> None:
    parsed = parse_interaction(text, now=NOW, index=index)
    assert (parsed.plan, parsed.channel, parsed.next_touch) == (True, channel, None)
    if goal is not None:
        assert parsed.goal == goal


@pytest.mark.parametrize(
    "text",
    [
        "Надо было позвонить Петрову, не успел",
        "нужно выслать КП Петрову",  # no contact to plan, something to do: a log asks
        "Позвонил Петрову, надо перезвонить",
    ],
)
def test_an_intention_without_a_contact_to_come_stays_a_log(text: str, index: NameIndex) -> None:
    assert not parse_interaction(text, now=NOW, index=index).plan


async def test_a_plan_without_a_day_asks_it_with_day_buttons(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    forged = LogCallback(action="when", value="1").pack()
    assert "Этот черновик уже закрыт" in joined(await chat.press_data(MANAGER, forged))

    calls = await chat.send(MANAGER, "надо позвонить Петрову из Ромашки, обсудить каталог")
    # The question says what it is about: the answer may come a while later.
    assert "🗓 Касание с <b>ООО «Ромашка»</b>: обсудить каталог\nКогда?" in joined(calls)
    assert chat.buttons(MANAGER)[:3] == ["Сегодня", "Завтра", "Послезавтра"]
    far = LogCallback(action="when", value="30").pack()
    assert "Этот черновик уже закрыт" in joined(await chat.press_data(MANAGER, far))

    card = joined(await chat.press(MANAGER, "Завтра"))
    assert "Когда: чт 19.11" in card
    await chat.press(MANAGER, "Запланировать")
    planned = [
        t for t in await _touches(session, base["romashka"]) if t.status is TouchStatus.PLANNED
    ]
    assert [(t.goal, t.due_on) for t in planned] == [("обсудить каталог", THURSDAY)]
