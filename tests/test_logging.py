"""Logging a contact by chatting, through the real dispatcher: one message → card → «Сохранить»."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiogram.methods import SendMessage
from aiogram.types import PhotoSize, Voice
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.callbacks import EDIT_APART, ClientCallback, LogCallback, PlanAction, PlanTouchCallback
from models import Attachment, Client, Contact, Interaction, Member, Touch
from models.enums import (
    Category,
    Channel,
    ClientKind,
    Outcome,
    Role,
    TouchReason,
    TouchStatus,
)
from services import access, interactions
from services.clock import ManualClock
from services.interactions import Draft
from services.names import NameCandidate
from tests.harness import Chat, joined

MANAGER = 1002
OTHER_MANAGER = 1003
EXAMPLE = (
    "Звонил Петрову из Ромашки, цель — предложить новый прайс, "
    "договорились о встрече в пятницу в 15:00"
)
TODAY = date(2026, 11, 18)
MSK = ZoneInfo("Europe/Moscow")


async def _member(session: AsyncSession, clock: ManualClock, telegram_id: int) -> Member:
    member = Member(
        telegram_id=telegram_id,
        full_name=f"Менеджер {telegram_id}",
        role=Role.MANAGER,
        timezone="Europe/Moscow",
        language="ru",
        created_at=clock.now(),
    )
    session.add(member)
    await session.flush()
    return member


async def _client(
    session: AsyncSession, clock: ManualClock, owner: Member, name: str, *contacts: str
) -> Client:
    now = clock.now()
    client = Client(
        kind=ClientKind.B2B,
        name=name,
        timezone="Europe/Moscow",
        category=Category.REGULAR,
        owner_id=owner.id,
        data_confirmed_at=now - timedelta(days=200),
        created_at=now - timedelta(days=300),
        updated_at=now - timedelta(days=300),
    )
    session.add(client)
    await session.flush()
    for full_name in contacts:
        session.add(Contact(client_id=client.id, full_name=full_name, created_at=now))
    await session.flush()
    return client


@pytest.fixture
async def base(session: AsyncSession, clock: ManualClock) -> dict[str, int]:
    """Two managers; Ромашка with an open touch due today, two Сидоровы, a foreign client."""
    return await seed(session, clock)


async def seed(session: AsyncSession, clock: ManualClock) -> dict[str, int]:
    """The `base` fixture's data, for other modules' fixtures: ids by short name."""
    manager = await _member(session, clock, MANAGER)
    other = await _member(session, clock, OTHER_MANAGER)
    romashka = await _client(session, clock, manager, "ООО «Ромашка»", "Петров Иван Сергеевич")
    techno = await _client(session, clock, manager, "ТехноПром", "Сидоров Андрей Павлович")
    stroy = await _client(session, clock, manager, "СтройМир", "Сидоров Павел Ильич")
    foreign = await _client(session, clock, other, "Лютик", "Кузнецов Олег")
    touch = Touch(
        client_id=romashka.id,
        member_id=manager.id,
        due_on=TODAY,
        reason=TouchReason.CADENCE,
        status=TouchStatus.PLANNED,
        goal="позвонить по плану",
        dedupe_key=f"test:{romashka.id}",
        created_at=clock.now(),
    )
    session.add(touch)
    await session.commit()
    return {
        "romashka": romashka.id,
        "techno": techno.id,
        "stroy": stroy.id,
        "foreign": foreign.id,
        "touch": touch.id,
    }


async def _interactions(session: AsyncSession) -> list[Interaction]:
    session.expire_all()
    return list(await session.scalars(select(Interaction).order_by(Interaction.id)))


async def test_issue_example_one_message_one_tap(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    calls = await chat.send(MANAGER, EXAMPLE)
    card = joined(calls)
    assert "Ромашка" in card
    assert "предложить новый прайс" in card
    assert "💾 Сохранить" in chat.buttons(MANAGER)

    calls = await chat.press(MANAGER, "Сохранить")
    text = joined(calls)
    assert "Сохранено ✅" in text
    assert "пт 20.11 15:00" in text
    # The meeting agreed on this very call is what the client asked for: no «too often».
    assert "Слишком часто" not in text

    [saved] = await _interactions(session)
    assert saved.client_id == base["romashka"]
    assert saved.goal == "предложить новый прайс"
    assert saved.result
    assert saved.outcome is Outcome.ACHIEVED
    assert saved.channel is Channel.CALL
    assert saved.next_touch_on == date(2026, 11, 20)
    assert saved.touch_id == base["touch"]
    opened = await session.get(Touch, base["touch"])
    assert opened is not None
    assert opened.status is TouchStatus.DONE
    follow_up = await session.scalar(
        select(Touch).where(
            Touch.client_id == base["romashka"], Touch.reason == TouchReason.FOLLOW_UP
        )
    )
    assert follow_up is not None
    assert follow_up.due_on == date(2026, 11, 20)
    assert follow_up.status is TouchStatus.PLANNED
    # The data were confirmed 200 days ago: the key facts are asked about in one card.
    assert "давно не проверялись" in text
    assert "Петров Иван Сергеевич" in text
    assert "📇 Карточка" in chat.buttons(MANAGER)
    await chat.press(MANAGER, "Всё актуально")
    session.expire_all()
    client = await session.get(Client, base["romashka"])
    assert client is not None
    assert client.data_confirmed_at.replace(tzinfo=None) == chat.clock.now().replace(tzinfo=None)


@pytest.mark.parametrize(
    ("agreed", "due_on", "note"),
    [
        # Sunday → Monday; 3 January → 11 January, the first working day after the holidays.
        ("созвониться в воскресенье", date(2026, 11, 23), "22 ноября — выходной"),
        ("созвониться 3 января", date(2027, 1, 11), "3 января — выходной"),
        ("созвониться в понедельник", date(2026, 11, 23), None),
    ],
)
async def test_a_follow_up_agreed_on_a_day_off_moves_to_the_next_working_day(
    chat: Chat,
    session: AsyncSession,
    base: dict[str, int],
    agreed: str,
    due_on: date,
    note: str | None,
) -> None:
    await chat.send(
        MANAGER,
        f"Звонил Петрову из Ромашки, цель — напомнить о себе, договорились {agreed}",
    )
    text = joined(await chat.press(MANAGER, "Сохранить"))
    follow_up = await session.scalar(
        select(Touch).where(
            Touch.client_id == base["romashka"], Touch.reason == TouchReason.FOLLOW_UP
        )
    )
    assert follow_up is not None
    assert follow_up.due_on == due_on
    if note is None:
        assert "выходной" not in text
    else:
        assert f"{note} у вас или у клиента" in text


@pytest.mark.parametrize(
    ("language", "agreed", "due_at", "note"),
    [
        # Saturday: the manager's day off, and the client's too (its calling days are Mon–Fri).
        (
            "ru",
            "созвониться в субботу в 11:00",
            datetime(2026, 11, 21, 11, 0, tzinfo=MSK),
            "⏰ сб 21.11 — ваш выходной, но время согласовано с клиентом: напомню в 10:45.",
        ),
        (
            "ru",
            "созвониться завтра в 20:00",
            datetime(2026, 11, 19, 20, 0, tzinfo=MSK),
            "⏰ 20:00 — вне ваших рабочих часов, но время согласовано с клиентом: "
            "напомню в 19:45.",
        ),
        (
            "en",
            "созвониться в субботу в 11:00",
            datetime(2026, 11, 21, 11, 0, tzinfo=MSK),
            "⏰ Sat 21.11 is your day off, but the time is agreed with the client: "
            "I'll remind you at 10:45.",
        ),
        ("ru", "созвониться в пятницу в 15:00", datetime(2026, 11, 20, 15, 0, tzinfo=MSK), None),
    ],
)
async def test_a_time_agreed_on_a_day_off_or_after_hours_keeps_its_day_and_says_so(
    chat: Chat,
    session: AsyncSession,
    base: dict[str, int],
    language: str,
    agreed: str,
    due_at: datetime,
    note: str | None,
) -> None:
    manager = await session.scalar(select(Member).where(Member.telegram_id == MANAGER))
    assert manager is not None
    manager.language = language
    await session.commit()
    await chat.send(
        MANAGER, f"Звонил Петрову из Ромашки, цель — напомнить о себе, договорились {agreed}"
    )
    text = joined(await chat.press(MANAGER, "💾"))
    follow_up = await session.scalar(
        select(Touch).where(
            Touch.client_id == base["romashka"], Touch.reason == TouchReason.FOLLOW_UP
        )
    )
    assert follow_up is not None
    assert follow_up.due_on == due_at.date()
    assert follow_up.due_at is not None
    assert follow_up.due_at.replace(tzinfo=UTC) == due_at
    # The promise is not moved to Monday: that was for a day agreed without a time.
    assert "первый общий рабочий день" not in text
    assert "first working day" not in text
    if note is None:
        assert "⏰" not in text
    else:
        assert note in text


async def test_an_impossible_next_date_is_explained_and_asked_again(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    calls = await chat.send(
        MANAGER,
        "Звонил Петрову из Ромашки, цель — предложить прайс, договорились перезвонить 31 февраля",
    )
    assert "такой даты нет. Когда следующий шаг?" in joined(calls)
    wrong = joined(await chat.send(MANAGER, "перезвонить вчера"))
    assert "уже прошла" in wrong or "Не понял дату" in wrong
    card = joined(await chat.send(MANAGER, "5 марта"))
    assert "перезвонить" in card
    saved = joined(await chat.press(MANAGER, "Сохранить"))
    # Another year's date names its year.
    assert "пт 05.03.2027" in saved
    follow_up = await session.scalar(
        select(Touch).where(
            Touch.client_id == base["romashka"], Touch.reason == TouchReason.FOLLOW_UP
        )
    )
    assert follow_up is not None
    assert follow_up.due_on == date(2027, 3, 5)


async def test_missing_goal_is_asked_with_quick_picks(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    calls = await chat.send(MANAGER, "звонил петрову из ромашки, договорились о встрече завтра")
    assert "цель" in joined(calls).lower()
    buttons = chat.buttons(MANAGER)
    assert "Предложение" in buttons
    assert "Счёт / оплата" in buttons
    assert "Актуализация данных" in buttons
    assert "💾 Сохранить" not in buttons
    # Saving is impossible without a goal: a forged «Сохранить» asks for it again.
    calls = await chat.press_data(MANAGER, LogCallback(action="save").pack())
    assert "цель" in joined(calls).lower()
    assert await _interactions(session) == []

    await chat.press(MANAGER, "Счёт / оплата")
    await chat.press(MANAGER, "Сохранить")
    [saved] = await _interactions(session)
    assert saved.goal == "счёт / оплата"


async def test_the_planned_touchs_goal_is_offered_first(
    chat: Chat, session: AsyncSession, base: dict[str, int], clock: ManualClock
) -> None:
    # The touch was due next week: a call made earlier still fulfils it, picked by its goal.
    touch = await session.get(Touch, base["touch"])
    assert touch is not None
    touch.due_on = TODAY + timedelta(days=6)
    await session.commit()
    await chat.send(MANAGER, "звонил петрову из ромашки, договорились о встрече завтра")
    buttons = chat.buttons(MANAGER)
    assert buttons[0] == "🎯 По плану: позвонить по плану"
    assert "Предложение" in buttons

    card = joined(await chat.press(MANAGER, "🎯 По плану"))
    assert "Цель: позвонить по плану" in card
    await chat.press(MANAGER, "Сохранить")
    [saved] = await _interactions(session)
    assert (saved.goal, saved.touch_id) == ("позвонить по плану", base["touch"])
    session.expire_all()
    closed = await session.get(Touch, base["touch"])
    assert closed is not None
    assert closed.status is TouchStatus.DONE


async def test_no_plan_no_planned_goal_and_a_stale_pick_is_explained(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    await chat.send(MANAGER, "звонил Сидорову из ТехноПрома, договорились о встрече завтра")
    assert not any(button.startswith("🎯") for button in chat.buttons(MANAGER))

    await chat.send(MANAGER, "/cancel")
    await chat.send(MANAGER, "звонил петрову из ромашки, договорились о встрече завтра")
    touch = await session.get(Touch, base["touch"])
    assert touch is not None
    touch.status = TouchStatus.SKIPPED
    await session.commit()
    calls = await chat.press(MANAGER, "🎯 По плану")
    assert "Запланированного касания с этим клиентом уже нет" in joined(calls)
    # The question still waits: a typed goal is taken.
    card = joined(await chat.send(MANAGER, "уточнить объём"))
    assert "Цель: уточнить объём" in card


async def test_typed_goal_and_result_when_missing(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    await chat.send(MANAGER, "звонил в ТехноПром Сидорову Андрею")
    calls = await chat.send(MANAGER, "уточнить объём поставки на декабрь")
    assert "результат" in joined(calls).lower()
    await chat.send(MANAGER, "объём подтвердили, 200 штук")
    if "Цель достигнута" in " ".join(chat.buttons(MANAGER)):
        await chat.press(MANAGER, "Цель достигнута")
    await chat.press(MANAGER, "Сохранить")
    [saved] = await _interactions(session)
    assert saved.client_id == base["techno"]
    assert saved.goal == "уточнить объём поставки на декабрь"
    assert saved.result == "объём подтвердили, 200 штук"


async def test_ambiguous_client_gives_choice_buttons(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    calls = await chat.send(
        MANAGER, "звонил сидорову, цель — напомнить про оплату, обещал оплатить до пятницы"
    )
    assert "Какой клиент" in joined(calls)
    buttons = chat.buttons(MANAGER)
    assert "ТехноПром" in buttons
    assert "СтройМир" in buttons
    calls = await chat.press(MANAGER, "СтройМир")
    assert "СтройМир" in joined(calls)
    if "Цель достигнута" in " ".join(chat.buttons(MANAGER)):
        await chat.press(MANAGER, "Цель достигнута")
    await chat.press(MANAGER, "Сохранить")
    [saved] = await _interactions(session)
    assert saved.client_id == base["stroy"]


async def test_unknown_client_offers_to_create(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    calls = await chat.send(
        MANAGER, "звонил Воронцову из Гелиоса, цель — представиться, договорились на след неделе"
    )
    assert "Не нашёл клиента" in joined(calls)
    assert any("Создать" in label for label in chat.buttons(MANAGER))
    assert await _interactions(session) == []


async def test_correcting_a_field_from_the_card(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    await chat.send(MANAGER, EXAMPLE)
    await chat.press(MANAGER, "Канал", exact=True)
    calls = await chat.press(MANAGER, "Встреча")
    assert "🤝 Встреча" in joined(calls)
    await chat.press(MANAGER, "Цель", exact=True)
    calls = await chat.send(MANAGER, "показать новый прайс и скидки")
    assert "показать новый прайс и скидки" in joined(calls)
    await chat.press(MANAGER, "След. шаг", exact=True)
    calls = await chat.send(MANAGER, "отправить КП послезавтра")
    assert "пт 20.11" in joined(calls)
    await chat.press(MANAGER, "Сохранить")
    [saved] = await _interactions(session)
    assert saved.channel is Channel.MEETING
    assert saved.goal == "показать новый прайс и скидки"
    assert saved.next_touch_on == date(2026, 11, 20)


async def test_cancel_saves_nothing(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    await chat.send(MANAGER, EXAMPLE)
    calls = await chat.press(MANAGER, "Отмена")
    assert "ничего не сохранено" in joined(calls)
    calls = await chat.press_data(MANAGER, LogCallback(action="save").pack())
    assert "закрыт" in joined(calls)
    assert await _interactions(session) == []
    touch = await session.get(Touch, base["touch"])
    assert touch is not None
    assert touch.status is TouchStatus.PLANNED


async def test_redelivered_message_never_becomes_two_interactions(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    update = chat.updates.message(chat.user(MANAGER), EXAMPLE)
    await chat.feed(update)
    await chat.feed(update)
    await chat.press(MANAGER, "Сохранить")
    calls = await chat.feed(update)
    assert "уже сохранено" in joined(calls)
    # Even a stale card of the same message saved again stays one interaction.
    assert len(await _interactions(session)) == 1


async def test_done_from_a_reminder_prefills_client_and_goal(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    done = PlanTouchCallback(action=PlanAction.DONE, touch_id=base["touch"]).pack()
    calls = await chat.press_data(MANAGER, done)
    assert "Как прошло?" in joined(calls)
    # Pressed under a message the bot can no longer answer under: the flow opens all the same.
    assert "Как связались?" in joined(calls)
    await chat.press(MANAGER, "Звонок")
    await chat.send(MANAGER, "договорились о поставке")
    await chat.press(MANAGER, "Цель достигнута")
    calls = await chat.press(MANAGER, "Без даты")
    card = joined(calls)
    assert "Ромашка" in card
    assert "позвонить по плану" in card
    await chat.press(MANAGER, "Сохранить")
    [saved] = await _interactions(session)
    assert saved.touch_id == base["touch"]
    assert saved.goal == "позвонить по плану"
    assert saved.result == "договорились о поставке"


async def test_text_typed_instead_of_a_button_completes_the_draft(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    done = PlanTouchCallback(action=PlanAction.DONE, touch_id=base["touch"]).pack()
    calls = await chat.press_data(MANAGER, done)
    assert "Как связались?" in joined(calls)
    # Typed where a button was asked for: it tells the channel, the result and the next date.
    calls = await chat.send(MANAGER, "звонил, договорились об отгрузке 10 декабря")
    card = joined(calls)
    assert "Ромашка" in card
    assert "позвонить по плану" in card
    assert "договорились об отгрузке 10 декабря" in card
    assert "чт 10.12" in card
    # The touch's person is filled in too, so the interaction is theirs.
    assert "Петров Иван Сергеевич" in card
    await chat.press(MANAGER, "Сохранить")
    [saved] = await _interactions(session)
    assert saved.touch_id == base["touch"]
    assert saved.channel is Channel.CALL
    assert saved.next_touch_on == date(2026, 12, 10)
    assert saved.contact_id is not None


async def test_typed_company_answers_which_client(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    calls = await chat.send(
        MANAGER, "звонил сидорову, цель — напомнить про оплату, обещал оплатить до пятницы"
    )
    assert "Какой клиент" in joined(calls)
    calls = await chat.send(MANAGER, "из СтроМира")
    assert "СтройМир" in joined(calls)
    assert "ТехноПром" not in joined(calls)


async def test_text_telling_nothing_new_is_still_a_lookup(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    await chat.send(MANAGER, EXAMPLE)
    calls = await chat.send(MANAGER, "Сидоров")
    assert "ТехноПром" in joined(calls) or "ТехноПром" in " ".join(chat.buttons(MANAGER))


async def test_a_log_naming_no_client_asks_which_one(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    calls = await chat.send(MANAGER, "звонил, цель — обсудить поставку, договорились на пятницу")
    assert "Какой клиент?" in joined(calls)
    assert "«—»" not in joined(calls)
    # The only match is taken without a question.
    calls = await chat.send(MANAGER, "Ромашка")
    assert "Какой клиент имеется в виду?" not in joined(calls)
    assert "обсудить поставку" in joined(calls)


async def test_english_message(chat: Chat, session: AsyncSession, base: dict[str, int]) -> None:
    manager = await session.scalar(select(Member).where(Member.telegram_id == MANAGER))
    assert manager is not None
    await _client(session, chat.clock, manager, "Acme Ltd", "John Smith")
    await session.commit()
    await chat.send(
        MANAGER,
        "Called John Smith at Acme, goal: present the new price list, "
        "agreed to meet next Tuesday at 3 pm",
    )
    if "Цель достигнута" in " ".join(chat.buttons(MANAGER)):
        await chat.press(MANAGER, "Цель достигнута")
    await chat.press(MANAGER, "Сохранить")
    [saved] = await _interactions(session)
    assert saved.goal == "present the new price list"
    assert saved.next_touch_on == date(2026, 11, 24)


async def test_forged_client_of_another_manager_is_refused(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    await chat.send(
        MANAGER, "звонил сидорову, цель — напомнить про оплату, обещал оплатить до пятницы"
    )
    calls = await chat.press_data(
        MANAGER, LogCallback(action="client", value=str(base["foreign"])).pack()
    )
    assert "не найден" in joined(calls)
    calls = await chat.press_data(
        MANAGER, LogCallback(action="start", value=str(base["foreign"])).pack()
    )
    assert "не найден" in joined(calls)
    await chat.press_data(MANAGER, LogCallback(action="save").pack())
    assert await _interactions(session) == []


async def test_guided_log_command(chat: Chat, session: AsyncSession, base: dict[str, int]) -> None:
    calls = await chat.send(MANAGER, "/log")
    assert "Какой клиент" in joined(calls)
    await chat.send(MANAGER, "Ромашка")
    await chat.press(MANAGER, "Встреча")
    await chat.press(MANAGER, "Предложение")
    await chat.send(MANAGER, "взяли КП на рассмотрение")
    await chat.press(MANAGER, "Частично")
    calls = await chat.send(MANAGER, "перезвонить через 2 недели")
    assert "02.12" in joined(calls)
    await chat.press(MANAGER, "Сохранить")
    [saved] = await _interactions(session)
    assert saved.client_id == base["romashka"]
    assert saved.channel is Channel.MEETING
    assert saved.outcome is Outcome.PARTIAL
    assert saved.next_touch_on == date(2026, 12, 2)


async def test_files_are_attached_to_the_draft_and_after_saving(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    voice = Voice(file_id="voice-1", file_unique_id="u-voice-1", duration=12)
    await chat.send(MANAGER, EXAMPLE)
    calls = await chat.send(MANAGER, voice=voice)
    assert "черновику" in joined(calls)
    await chat.press(MANAGER, "Сохранить")
    photo = [PhotoSize(file_id="photo-1", file_unique_id="u-photo-1", width=10, height=10)]
    calls = await chat.send(MANAGER, photo=photo)
    assert "последнему" in joined(calls)
    [saved] = await _interactions(session)
    kinds = sorted(
        await session.scalars(select(Attachment.kind).where(Attachment.interaction_id == saved.id))
    )
    assert kinds == ["photo", "voice"]


async def test_a_voice_note_alone_is_told_to_be_typed(chat: Chat, base: dict[str, int]) -> None:
    voice = Voice(file_id="voice-2", file_unique_id="u-voice-2", duration=30)
    said = joined(await chat.send(MANAGER, voice=voice))
    assert "Голосовые я не расшифровываю" in said
    assert "прикреплю к нему" in said


async def test_edited_message_updates_its_draft(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    await chat.feed(chat.updates.message(chat.user(MANAGER), EXAMPLE, message_id=777))
    edited = EXAMPLE.replace("в пятницу", "в четверг")
    calls = await chat.feed(
        chat.updates.message(chat.user(MANAGER), edited, message_id=777, edited=True)
    )
    assert "чт 19.11" in joined(calls)
    await chat.press(MANAGER, "Сохранить")
    [saved] = await _interactions(session)
    assert saved.next_touch_on == date(2026, 11, 19)
    assert saved.source_message_id == 777


async def test_save_is_idempotent_and_applies_contact_updates(
    session: AsyncSession, clock: ManualClock, base: dict[str, int]
) -> None:
    manager = await session.scalar(select(Member).where(Member.telegram_id == MANAGER))
    assert manager is not None
    draft = Draft(
        client_id=base["techno"],
        contact_name="Сидоров Андрей Павлович",
        channel="call",
        outcome="achieved",
        goal="актуализация данных",
        result="новый телефон и должность",
        phone="+79135550101",
        position="коммерческий директор",
        confirm_data=True,
        chat_id=MANAGER,
        message_id=42,
    )
    with pytest.raises(interactions.MissingFieldError):
        await interactions.save_interaction(
            session, manager, Draft(client_id=base["techno"], result="ok"), clock.now()
        )
    first = await interactions.save_interaction(session, manager, draft, clock.now())
    second = await interactions.save_interaction(session, manager, draft, clock.now())
    assert first.created
    assert not second.created
    assert second.interaction.id == first.interaction.id
    assert set(first.updates_applied) == {"phone", "position"}
    contact = await session.scalar(select(Contact).where(Contact.client_id == base["techno"]))
    assert contact is not None
    assert contact.phone == "+79135550101"
    assert contact.position == "коммерческий директор"
    client = await session.get(Client, base["techno"])
    assert client is not None
    assert client.data_confirmed_at.replace(tzinfo=None) == clock.now().replace(tzinfo=None)
    with pytest.raises(access.AccessDeniedError):
        await interactions.save_interaction(
            session,
            manager,
            Draft(client_id=base["foreign"], goal="g", result="r", message_id=43),
            clock.now(),
        )
    page = await interactions.timeline(session, manager, base["techno"], 0, now=clock.now())
    assert [item.id for item in page.items] == [first.interaction.id]


async def test_lookup_works_beside_a_draft_and_the_card_button_logs(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    await chat.send(MANAGER, EXAMPLE)
    await chat.send(MANAGER, "Ромашка")
    assert "📝 Записать касание" in chat.buttons(MANAGER)
    calls = await chat.press(MANAGER, "Записать касание")
    assert "Как связались?" in joined(calls)
    await chat.press(MANAGER, "Звонок")
    await chat.press(MANAGER, "Follow-up")
    await chat.send(MANAGER, "ждут счёт")
    await chat.press(MANAGER, "Частично")
    await chat.press(MANAGER, "Без даты")
    await chat.press(MANAGER, "Сохранить")
    [saved] = await _interactions(session)
    assert saved.client_id == base["romashka"]
    assert saved.goal == "follow-up"
    assert saved.next_touch_on is None


async def test_a_forged_edit_under_a_saved_touch_for_another_managers_client_is_refused(
    chat: Chat, base: dict[str, int]
) -> None:
    forged = ClientCallback(action=EDIT_APART, client_id=base["foreign"]).pack()
    calls = await chat.press_data(MANAGER, forged)
    assert "Этот клиент недоступен" in joined(calls)
    assert not [call for call in calls if isinstance(call, SendMessage)]
    assert "Лютик" not in joined(calls)


async def test_history_lists_goal_and_result_newest_first(
    chat: Chat, session: AsyncSession, clock: ManualClock, base: dict[str, int]
) -> None:
    for number in range(7):
        await chat.send(
            MANAGER,
            f"звонил петрову из ромашки, цель — обсудить заказ {number}, "
            "результат — всё согласовали",
        )
        if "Цель достигнута" in " ".join(chat.buttons(MANAGER)):
            await chat.press(MANAGER, "Цель достигнута")
        await chat.press(MANAGER, "Сохранить")
        clock.advance(timedelta(hours=1))
    calls = await chat.send(MANAGER, "/history Ромашка")
    text = joined(calls)
    assert "обсудить заказ 6 → " in text
    assert text.index("заказ 6") < text.index("заказ 5")
    assert "заказ 1" not in text
    calls = await chat.press(MANAGER, "▶️")
    assert "заказ 1" in joined(calls)
    forged = LogCallback(action="hist", value=f"{base['foreign']}-0").pack()
    calls = await chat.press_data(MANAGER, forged)
    assert "не найден" in joined(calls)


async def test_history_of_a_name_two_clients_share_asks_whose(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    calls = await chat.send(MANAGER, "/history Сидоров")
    assert "Чей журнал показать?" in joined(calls)
    assert "🗂" not in joined(calls)  # not the first one's timeline, unasked
    assert set(chat.buttons(MANAGER)) == {
        "ТехноПром · Сидоров Андрей Павлович",
        "СтройМир · Сидоров Павел Ильич",
    }
    calls = await chat.press(MANAGER, "СтройМир")
    assert "🗂 <b>Касания: СтройМир</b>" in joined(calls)
    # One clear hit still opens at once.
    calls = await chat.send(MANAGER, "/history ромашка")
    assert "🗂 <b>Касания: ООО «Ромашка»</b>" in joined(calls)


async def test_a_renamed_client_and_a_new_contact_are_recognised_at_once(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    # The first message builds the manager's name index; the rename must not be missed by it.
    await chat.send(MANAGER, EXAMPLE)
    await chat.press(MANAGER, "Отмена")
    client = await session.get(Client, base["romashka"])
    assert client is not None
    client.name = "Гелиос"
    session.add(
        Contact(client_id=client.id, full_name="Воронцов Пётр", created_at=client.created_at)
    )
    await session.commit()
    calls = await chat.send(
        MANAGER, "звонил Воронцову из Гелиоса, цель — представиться, договорились на след неделе"
    )
    assert "Не нашёл клиента" not in joined(calls)
    assert "Гелиос" in joined(calls)


async def test_one_message_reads_the_conversation_state_once_and_hops_no_thread(
    chat: Chat, engine: AsyncEngine, base: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    statements: list[str] = []

    def remember(*args: Any) -> None:
        statements.append(args[2])

    def no_thread(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a filter or handler was sent to a worker thread")

    # aiogram sends plain callables (every magic filter) to a thread unless told otherwise.
    monkeypatch.setattr(asyncio, "to_thread", no_thread)
    event.listen(engine.sync_engine, "before_cursor_execute", remember)
    try:
        calls = await chat.send(MANAGER, EXAMPLE)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", remember)
    assert "Сохранить" in " ".join(chat.buttons(MANAGER)), joined(calls)
    reads = [
        s for s in statements if s.lstrip().startswith("SELECT") and "conversation_state" in s
    ]
    assert len(reads) == 1


def test_the_name_index_is_reused_until_the_names_change_and_its_cache_is_bounded() -> None:
    cache = interactions._IndexCache(max_clients=3)
    two = (NameCandidate(1, "Ромашка", ("Петров Иван",)), NameCandidate(2, "Лютик"))
    first = cache.get(7, two)
    assert cache.get(7, two) is first
    renamed = (NameCandidate(1, "Гелиос", ("Петров Иван",)), NameCandidate(2, "Лютик"))
    assert cache.get(7, renamed) is not first
    kept = cache.get(7, renamed)
    cache.get(8, two)  # four clients held in all: member 7's index goes
    assert cache.get(7, renamed) is not kept


async def test_a_log_without_a_next_date_beside_an_open_greeting_saves(
    chat: Chat, session: AsyncSession, base: dict[str, int], clock: ManualClock
) -> None:
    # The greeting due before the next cadence date is the next contact: no cadence touch is
    # planned beside it, and saving once failed looking for one («что-то пошло не так»).
    planned = await session.get(Touch, base["touch"])
    assert planned is not None
    session.add(
        Touch(
            client_id=base["romashka"],
            member_id=planned.member_id,
            due_on=TODAY + timedelta(days=3),
            reason=TouchReason.OCCASION,
            status=TouchStatus.PLANNED,
            goal="Поздравить Ивана Сергеевича с днём рождения",
            dedupe_key="test:greeting",
            created_at=clock.now(),
        )
    )
    await session.commit()
    await chat.send(MANAGER, "звонил петрову из ромашки, цель — предложить прайс, клиент согласен")
    if "Без даты" in chat.buttons(MANAGER):
        await chat.press(MANAGER, "Без даты")
    text = joined(await chat.press(MANAGER, "Сохранить"))
    assert "Сохранено ✅" in text
    # The soonest open touch is named (here the data check the stale record asks for).
    assert "Следующее касание: ср 18.11" in text
    [saved] = await _interactions(session)
    assert saved.goal == "предложить прайс"


async def test_an_attempt_that_reached_nobody_takes_the_goal_of_the_touch_it_closes(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    """«не дозвонился» names no goal: the call was the planned touch's, so the timeline says
    what it was for; a client with nothing due keeps «связаться с клиентом»."""
    calls = await chat.send(MANAGER, "набрал Петрова из Ромашки, не взял трубку")
    assert "Цель: позвонить по плану" in joined(calls)
    await chat.press(MANAGER, "Сохранить")
    await chat.send(MANAGER, "не дозвонился Сидорову из ТехноПрома")
    await chat.press(MANAGER, "Сохранить")
    first, second = await _interactions(session)
    assert (first.goal, first.outcome, first.touch_id) == (
        "позвонить по плану",
        Outcome.NO_CONTACT,
        base["touch"],
    )
    assert (second.client_id, second.goal) == (base["techno"], "связаться с клиентом")


async def test_the_card_tells_when_the_next_touch_is_today_agreed_or_overdue(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    card = joined(await chat.send(MANAGER, "Ромашка"))
    assert "⏭ Следующее касание: сегодня, ср, 18 ноября — позвонить по плану" in card
    assert "📍 Город не указан, пояс МСК, сейчас 10:30" in card  # not «пояс Europe/Moscow»

    calls = await chat.send(
        MANAGER, "звонил Петрову из Ромашки, договорились о встрече завтра в 15:00"
    )
    assert "Какая была цель" in joined(calls)
    await chat.press(MANAGER, "По плану")
    await chat.press(MANAGER, "Сохранить")
    card = joined(await chat.send(MANAGER, "Ромашка"))
    # The agreed time is what the manager opens the card for before the meeting.
    assert "⏭ Следующее касание: завтра, чт, 19 ноября в 15:00 — встреча" in card

    chat.clock.advance(timedelta(days=2))
    card = joined(await chat.send(MANAGER, "Ромашка"))
    assert "⏳ Касание просрочено: срок был чт, 19 ноября — встреча" in card
    assert "⏭ Следующее касание" not in card
