"""The logging flow's way out and its detours, through the real dispatcher: /cancel and a typed
«отмена» at any step, a log about another client typed while a question waits."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import PlanAction, PlanTouchCallback, SnoozeCallback, SnoozeOption
from models import Client, Member, Touch
from models.enums import ClientKind, TouchStatus
from services.clock import ManualClock
from tests.harness import Chat, joined
from tests.test_logging import EXAMPLE, MANAGER, _client, _interactions, seed

ROMASHKA_NO_RESULT = "звонил Петрову из Ромашки, цель — предложить новый прайс"


@pytest.fixture
async def base(session: AsyncSession, clock: ManualClock) -> dict[str, int]:
    """The logging tests' base: Ромашка with a touch due today, ТехноПром, СтройМир…"""
    return await seed(session, clock)


async def _state(chat: Chat) -> tuple[str | None, dict[str, object]]:
    context = chat.dp.fsm.get_context(chat.bot, MANAGER, MANAGER)
    return await context.get_state(), await context.get_data()


@pytest.mark.parametrize("word", ["/cancel", "отмена", "Отмена!", "cancel", "стоп"])
async def test_cancel_at_a_typed_question_drops_the_draft(
    chat: Chat, session: AsyncSession, base: dict[str, int], word: str
) -> None:
    calls = await chat.send(MANAGER, ROMASHKA_NO_RESULT)
    assert "Какой результат?" in joined(calls)
    assert "✖️ Отмена" in chat.buttons(MANAGER)

    calls = await chat.send(MANAGER, word)
    assert "ничего не сохранено" in joined(calls)
    assert await _state(chat) == (None, {})
    # What comes next is no longer the draft's result.
    calls = await chat.send(MANAGER, "договорились о встрече")
    assert "Цель достигнута" not in joined(calls)
    assert await _interactions(session) == []


async def test_cancel_while_the_draft_waits_on_a_button_or_its_card(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    await chat.send(MANAGER, "звонил Петрову из Ромашки, клиент согласен")
    await chat.press(MANAGER, "Предложение")
    assert "💾 Сохранить" in chat.buttons(MANAGER)
    calls = await chat.send(MANAGER, "/cancel")
    assert "ничего не сохранено" in joined(calls)
    assert await _state(chat) == (None, {})
    calls = await chat.send(MANAGER, "/cancel")
    assert "Отменять нечего" in joined(calls)
    assert await _interactions(session) == []


async def test_cancel_reopens_a_touch_closed_by_done(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    done = PlanTouchCallback(action=PlanAction.DONE, touch_id=base["touch"]).pack()
    await chat.press_data(MANAGER, done)
    await chat.press(MANAGER, "Звонок")
    calls = await chat.send(MANAGER, "отмена")
    assert "Касание снова в плане" in joined(calls)
    session.expire_all()
    touch = await session.get(Touch, base["touch"])
    assert touch is not None
    assert touch.status is TouchStatus.PLANNED


async def test_every_question_of_the_flow_has_a_cancel_button(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    await chat.send(MANAGER, "/log")
    assert "✖️ Отмена" in chat.buttons(MANAGER)  # which client
    await chat.send(MANAGER, "Ромашка")
    assert "✖️ Отмена" in chat.buttons(MANAGER)  # channel
    await chat.press(MANAGER, "Встреча")
    assert "✖️ Отмена" in chat.buttons(MANAGER)  # goal
    calls = await chat.press(MANAGER, "Предложение")
    assert "Какой результат?" in joined(calls)
    assert chat.buttons(MANAGER) == ["✖️ Отмена"]
    await chat.send(MANAGER, "взяли КП на рассмотрение")
    assert "✖️ Отмена" in chat.buttons(MANAGER)  # outcome
    await chat.press(MANAGER, "Частично")
    assert "✖️ Отмена" in chat.buttons(MANAGER)  # next step
    calls = await chat.send(MANAGER, "когда-нибудь")
    assert "Не понял дату" in joined(calls)
    assert "✖️ Отмена" in chat.buttons(MANAGER)


async def test_cancel_leaves_other_conversations(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    await chat.send(MANAGER, "/new")
    calls = await chat.send(MANAGER, "/cancel")
    assert "Создание клиента отменено" in joined(calls)
    assert await _state(chat) == (None, {})

    await chat.send(MANAGER, "/settings")
    await chat.press(MANAGER, "Часовой пояс")
    assert (await _state(chat))[0] is not None
    calls = await chat.send(MANAGER, "стоп")
    assert "Отменено." in joined(calls)
    assert await _state(chat) == (None, {})

    pick_date = SnoozeCallback(option=SnoozeOption.DATE, touch_id=base["touch"]).pack()
    await chat.press_data(MANAGER, pick_date)
    assert (await _state(chat))[0] is not None
    calls = await chat.send(MANAGER, "Отмена")
    assert "Отменено." in joined(calls)
    assert await _state(chat) == (None, {})
    session.expire_all()
    touch = await session.get(Touch, base["touch"])
    assert touch is not None
    assert touch.status is TouchStatus.PLANNED


async def test_a_log_about_another_client_typed_for_a_question_starts_its_own_draft(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    calls = await chat.send(MANAGER, "Позвонил в Ромашку, договорились о встрече")
    assert "Какая была цель" in joined(calls)
    calls = await chat.send(
        MANAGER, "Встреча с ТехноПром: цель — обсудить зимние комплекты, хотят КП до пятницы"
    )
    assert "Черновик касания с <b>ООО «Ромашка»</b> отменён" in joined(calls)
    # «хотят КП до пятницы» is the result: the new draft goes straight to its card.
    assert "ТехноПром" in joined(calls)
    await chat.press(MANAGER, "Сохранить")
    [saved] = await _interactions(session)
    assert saved.client_id == base["techno"]
    assert "ТехноПром" not in saved.goal
    assert saved.result == "хотят КП до пятницы"


async def test_an_answer_naming_the_drafts_own_client_is_still_the_answer(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    await chat.send(MANAGER, "Позвонил в Ромашку, договорились о встрече")
    await chat.send(MANAGER, "напомнить Петрову из Ромашки про договор и счёт на оплату")
    await chat.press(MANAGER, "Сохранить")
    [saved] = await _interactions(session)
    assert saved.client_id == base["romashka"]
    assert saved.goal == "напомнить Петрову из Ромашки про договор и счёт на оплату"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("привет", "Здравствуйте!"),
        ("Добрый день!", "Здравствуйте!"),
        ("спасибо", "Пожалуйста!"),
        ("Спасибо большое!!", "Пожалуйста!"),
        ("помоги", "Я записываю касания"),
        ("что ты умеешь?", "Я записываю касания"),
        ("?", "Чтобы записать касание"),
        ("😀😀😀", "Чтобы записать касание"),
    ],
)
async def test_small_talk_gets_a_friendly_answer_not_a_client_search(
    chat: Chat, base: dict[str, int], text: str, expected: str
) -> None:
    calls = await chat.send(MANAGER, text)
    answer = joined(calls)
    assert expected in answer
    assert "/today" in answer
    assert "/help" in answer
    assert "Не нашёл" not in answer
    assert not any("Создать" in label for label in chat.buttons(MANAGER))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("план", "📋 <b>План на"),
        ("План на сегодня?", "📋 <b>План на"),
        ("что у меня сегодня", "📋 <b>План на"),
        ("кому звонить", "📋 <b>План на"),
        ("today", "📋 <b>План на"),
        ("план на неделю", "🗓 <b>План на неделю"),
        ("что просрочено?", "📋 <b>Всё просроченное</b>"),
    ],
)
async def test_the_plan_asked_for_in_words_is_shown_not_searched_for(
    chat: Chat, base: dict[str, int], text: str, expected: str
) -> None:
    calls = await chat.send(MANAGER, text)
    answer = joined(calls)
    assert expected in answer
    assert "Не нашёл" not in answer
    assert not any("Создать" in label for label in chat.buttons(MANAGER))
    if expected.startswith("📋 <b>План на"):
        assert "позвонить по плану" in answer  # Ромашка's touch due today, with its buttons
        assert "✅ Сделано" in chat.buttons(MANAGER)


async def test_a_plan_word_inside_a_log_or_a_question_stays_what_it_was(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    calls = await chat.send(MANAGER, "звонил Петрову из Ромашки, обсудили план на неделю")
    assert "📋 <b>План на" not in joined(calls)
    calls = await chat.send(MANAGER, "/log Ромашка")
    await chat.press(MANAGER, "Звонок")
    calls = await chat.send(MANAGER, "план")  # the goal asked for, typed
    assert "📋 <b>План на" not in joined(calls)
    assert "Какой результат?" in joined(calls)


async def test_a_client_name_and_a_log_are_not_small_talk(
    chat: Chat, base: dict[str, int]
) -> None:
    calls = await chat.send(MANAGER, "Ромашка")
    assert "Ромашка" in joined(calls)
    assert "Здравствуйте" not in joined(calls)
    calls = await chat.send(MANAGER, "привет, звонил Петрову из Ромашки, договорились о встрече")
    assert "Здравствуйте" not in joined(calls)
    assert "цель" in joined(calls).lower()


async def test_an_unknown_company_typed_for_which_client_can_be_created_and_the_draft_resumes(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    calls = await chat.send(
        MANAGER, "звонил в Рога и копыта, цель — знакомство, результат — отправил КП"
    )
    assert "Какой клиент?" in joined(calls)
    calls = await chat.send(MANAGER, "Рога и копыта")
    assert "Не нашёл «Рога и копыта»" in joined(calls)
    assert chat.buttons(MANAGER) == ["➕ Создать клиента «Рога и копыта»", "✖️ Отмена"]
    calls = await chat.press(MANAGER, "Создать клиента")
    assert "компания или частное лицо" in joined(calls)
    await chat.press(MANAGER, "Компания")
    await chat.press(MANAGER, "Постоянный")
    await chat.press(MANAGER, "Пропустить")  # city
    await chat.press(MANAGER, "Пропустить")  # main contact
    calls = await chat.press(MANAGER, "Пропустить")  # phone
    assert "Клиент «Рога и копыта» создан." in joined(calls)
    calls = await chat.press(MANAGER, "Цель достигнута")
    card = joined(calls)
    assert "Клиент: <b>Рога и копыта</b>" in card
    assert "Цель: знакомство" in card
    assert "Результат: отправил КП" in card
    await chat.press(MANAGER, "Сохранить")
    [saved] = await _interactions(session)
    created = await session.get(Client, saved.client_id)
    assert created is not None
    assert created.name == "Рога и копыта"
    assert created.kind is ClientKind.B2B
    assert (saved.goal, saved.result) == ("знакомство", "отправил КП")


async def test_an_unknown_person_becomes_a_private_client_and_the_draft_resumes(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    calls = await chat.send(
        MANAGER, "звонил Станиславу, цель — знакомство, результат — отправил КП"
    )
    assert "Не нашёл клиента «Станислав»" in joined(calls)
    assert chat.buttons(MANAGER) == ["➕ Создать клиента «Станислав»", "✖️ Отмена"]
    calls = await chat.press(MANAGER, "Создать клиента")
    assert "Это частное лицо?" in joined(calls)
    assert chat.buttons(MANAGER)[0] == "👤 Частное лицо (B2C)"
    await chat.press(MANAGER, "Частное лицо")
    calls = await chat.press(MANAGER, "Постоянный")
    await chat.press(MANAGER, "Пропустить")  # city
    calls = await chat.press(MANAGER, "Пропустить")  # phone
    assert "Клиент «Станислав» создан." in joined(calls)
    calls = await chat.press(MANAGER, "Цель достигнута")
    assert "Цель: знакомство" in joined(calls)
    await chat.press(MANAGER, "Сохранить")
    [saved] = await _interactions(session)
    created = await session.get(Client, saved.client_id)
    assert created is not None
    assert (created.name, created.kind) == ("Станислав", ClientKind.B2C)
    assert saved.result == "отправил КП"


async def test_an_unknown_person_can_be_a_companys_main_contact(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    await chat.send(MANAGER, "звонил Станиславу, цель — знакомство, результат — отправил КП")
    await chat.press(MANAGER, "Создать клиента")
    calls = await chat.press(MANAGER, "Компания")
    assert "Как называется" in joined(calls) or "назван" in joined(calls).lower()
    await chat.send(MANAGER, "Гелиос")
    await chat.press(MANAGER, "Постоянный")
    await chat.press(MANAGER, "Пропустить")  # city
    calls = await chat.press(MANAGER, "Пропустить")  # phone
    assert "Клиент «Гелиос» создан." in joined(calls)
    calls = await chat.press(MANAGER, "Цель достигнута")
    assert "Контакт: Станислав" in joined(calls)


async def test_a_lookup_beside_a_draft_creates_a_client_without_touching_the_draft(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    await chat.send(MANAGER, "звонил Петрову из Ромашки, клиент согласен")
    await chat.press(MANAGER, "Предложение")
    calls = await chat.send(MANAGER, "Гелиос")
    assert "Не нашёл" in joined(calls)
    await chat.press(MANAGER, "Создать клиента")
    await chat.press(MANAGER, "Компания")
    await chat.press(MANAGER, "Постоянный")
    await chat.press(MANAGER, "Пропустить")
    await chat.press(MANAGER, "Пропустить")
    calls = await chat.press(MANAGER, "Пропустить")
    assert "Клиент «Гелиос» создан." in joined(calls)
    assert "📝 <b>Касание</b>" not in joined(calls)
    assert await _interactions(session) == []


async def test_the_same_touch_saved_twice_within_half_an_hour_is_asked_about(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    full = (
        "звонил Петрову из Ромашки, цель — предложить новый прайс, "
        "результат — взяли на рассмотрение"
    )
    await chat.send(MANAGER, full)
    await chat.press(MANAGER, "Сохранить")
    saved_at = chat.clock.now()
    chat.clock.advance(timedelta(minutes=20))

    await chat.send(MANAGER, full)
    calls = await chat.press(MANAGER, "Сохранить")
    local = saved_at.astimezone(ZoneInfo("Europe/Moscow")).strftime("%H:%M")
    assert f"Похоже, это касание уже записано в {local} — записать ещё раз?" in joined(calls)
    assert chat.buttons(MANAGER) == ["💾 Записать ещё раз", "✖️ Отмена"]
    assert len(await _interactions(session)) == 1
    calls = await chat.press(MANAGER, "Отмена")
    assert "ничего не сохранено" in joined(calls)
    assert len(await _interactions(session)) == 1

    await chat.send(MANAGER, full)
    await chat.press(MANAGER, "Сохранить")
    calls = await chat.press(MANAGER, "Записать ещё раз")
    assert "Сохранено ✅" in joined(calls)
    assert len(await _interactions(session)) == 2


async def test_a_different_result_or_an_older_touch_is_saved_without_asking(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    first = "звонил Петрову из Ромашки, цель — предложить новый прайс, результат — не ответил"
    await chat.send(MANAGER, first)
    await chat.press(MANAGER, "Сохранить")
    chat.clock.advance(timedelta(minutes=10))
    await chat.send(MANAGER, first.replace("не ответил", "взяли на рассмотрение"))
    calls = await chat.press(MANAGER, "Сохранить")
    assert "Сохранено ✅" in joined(calls)
    chat.clock.advance(timedelta(minutes=31))
    await chat.send(MANAGER, first)
    calls = await chat.press(MANAGER, "Сохранить")
    assert "Сохранено ✅" in joined(calls)
    assert len(await _interactions(session)) == 3


async def test_log_with_a_name_takes_the_only_match_and_fills_its_sole_contact(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    calls = await chat.send(MANAGER, "/log Ромашка")
    assert "Как связались?" in joined(calls)
    await chat.press(MANAGER, "Звонок")
    await chat.press(MANAGER, "Предложение")
    await chat.send(MANAGER, "взяли КП на рассмотрение")
    await chat.press(MANAGER, "Частично")
    calls = await chat.press(MANAGER, "Без даты")
    card = joined(calls)
    assert "Клиент: <b>ООО «Ромашка»</b>" in card
    assert "Контакт: Петров Иван Сергеевич" in card
    await chat.press(MANAGER, "Сохранить")
    [saved] = await _interactions(session)
    assert saved.client_id == base["romashka"]
    assert saved.contact_id is not None


async def test_log_with_an_ambiguous_or_unknown_name(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    calls = await chat.send(MANAGER, "/log Сидоров")
    assert "Какой клиент имеется в виду?" in joined(calls)
    assert {"ТехноПром", "СтройМир"} <= set(chat.buttons(MANAGER))
    calls = await chat.send(MANAGER, "/log Гелиос")
    assert "Не нашёл «Гелиос»" in joined(calls)
    assert chat.buttons(MANAGER) == ["➕ Создать клиента «Гелиос»", "✖️ Отмена"]


@pytest.mark.parametrize("typed", ["/log Вектор", "/log"])
async def test_log_takes_the_client_named_exactly_not_a_choice_of_look_alikes(
    chat: Chat, session: AsyncSession, clock: ManualClock, base: dict[str, int], typed: str
) -> None:
    manager = await session.scalar(select(Member).where(Member.telegram_id == MANAGER))
    assert manager is not None
    vector = (await _client(session, clock, manager, "ООО «Вектор»", "Николаева Надежда")).id
    # Their contacts' Виктор is one letter from «Вектор»: a search lists them, weaker.
    await _client(session, clock, manager, "ИнфоСофт", "Семёнов Виктор Дмитриевич")
    await _client(session, clock, manager, "Невский стройкомплекс", "Козлов Виктор")
    await session.commit()

    calls = await chat.send(MANAGER, typed)
    if typed == "/log":
        assert "Какой клиент?" in joined(calls)
        calls = await chat.send(MANAGER, "Вектор")
    assert "Какой клиент имеется в виду?" not in joined(calls)
    assert "Как связались?" in joined(calls)
    await chat.press(MANAGER, "Звонок")
    await chat.press(MANAGER, "Предложение")
    await chat.send(MANAGER, "взяли КП на рассмотрение")
    await chat.press(MANAGER, "Частично")
    calls = await chat.press(MANAGER, "Без даты")
    assert "Клиент: <b>ООО «Вектор»</b>" in joined(calls)
    await chat.press(MANAGER, "Сохранить")
    [saved] = await _interactions(session)
    assert saved.client_id == vector


async def test_the_guided_log_names_the_client_it_took_from_a_typed_name(
    chat: Chat, base: dict[str, int]
) -> None:
    calls = await chat.send(MANAGER, "/log ромашк")
    assert "📝 Касание с <b>ООО «Ромашка»</b>\nКак связались?" in joined(calls)
    await chat.send(MANAGER, "/cancel")
    await chat.send(MANAGER, "/log")
    await chat.send(MANAGER, "Сидоров")
    calls = await chat.press(MANAGER, "СтройМир")
    assert "📝 Касание с <b>СтройМир</b>\nКак связались?" in joined(calls)
    await chat.send(MANAGER, "/cancel")
    # «✅ Сделано» names the client with the touch's goal already: not twice in a row.
    done = PlanTouchCallback(action=PlanAction.DONE, touch_id=base["touch"]).pack()
    calls = await chat.press_data(MANAGER, done)
    assert "✅ Сделано: <b>ООО «Ромашка»</b>" in joined(calls)
    assert "Как связались?" in joined(calls)
    assert "📝 Касание с" not in joined(calls)


async def test_help_lists_cancel(chat: Chat, base: dict[str, int]) -> None:
    calls = await chat.send(MANAGER, "/help")
    assert "/cancel — Отменить то, что сейчас заполняется" in joined(calls)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Звонил Сидорову из Рогов и копыт, договорились о встрече", "Сидоров"),
        ("Звонил Кравцову, договорились о встрече в пятницу", "Кравцов"),
        ("Встреча с Кравцовой: обсудили поставки", "Кравцова"),
    ],
)
async def test_a_log_about_an_unknown_client_typed_for_a_question_starts_its_own_draft(
    chat: Chat, session: AsyncSession, base: dict[str, int], text: str, name: str
) -> None:
    calls = await chat.send(MANAGER, ROMASHKA_NO_RESULT)
    assert "Какой результат?" in joined(calls)
    calls = await chat.send(MANAGER, text)
    answer = joined(calls)
    assert "Черновик касания с <b>ООО «Ромашка»</b> отменён" in answer
    assert f"Не нашёл клиента «{name}»" in answer
    assert f"➕ Создать клиента «{name}»" in chat.buttons(MANAGER)
    assert await _interactions(session) == []


@pytest.mark.parametrize(
    ("text", "outcome", "next_day"),
    [
        # About the draft's own contact, or somebody at the client the base does not hold yet.
        ("Петров обещал перезвонить", "➗ Частично", None),
        ("Кравцов обещал перезвонить", "➗ Частично", None),
        ("звонил ему ещё раз, договорились о встрече в пятницу", "✅ Цель достигнута", "пт 20.11"),
        ("договорились о встрече в пятницу", "✅ Цель достигнута", "пт 20.11"),
    ],
)
async def test_a_typed_result_stays_the_answer_and_tells_its_outcome(
    chat: Chat,
    session: AsyncSession,
    base: dict[str, int],
    text: str,
    outcome: str,
    next_day: str | None,
) -> None:
    await chat.send(MANAGER, ROMASHKA_NO_RESULT)
    calls = await chat.send(MANAGER, text)
    card = joined(calls)
    assert "отменён" not in card
    assert "ООО «Ромашка»" in card
    assert f"Результат: {text}" in card
    assert f"Итог: {outcome}" in card
    if next_day is not None:
        assert next_day in card
    await chat.press(MANAGER, "Сохранить")
    [saved] = await _interactions(session)
    assert saved.client_id == base["romashka"]
    assert saved.result == text


async def test_an_unsaved_card_replaced_by_a_new_log_is_said_to_be_unsaved(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    await chat.send(MANAGER, EXAMPLE)
    assert "Сохранить" in str(chat.buttons(MANAGER))
    calls = await chat.send(MANAGER, EXAMPLE.replace("в пятницу", "в четверг"))
    assert "Прежний черновик касания с <b>ООО «Ромашка»</b> не сохранён" in joined(calls)
    assert await _interactions(session) == []


async def test_a_log_about_an_unknown_client_typed_under_a_button_does_not_complete_the_draft(
    chat: Chat, session: AsyncSession, base: dict[str, int]
) -> None:
    calls = await chat.send(MANAGER, "Петрову из Ромашки: цель — прайс, договорились о встрече")
    assert "Как связались" in joined(calls)
    calls = await chat.send(MANAGER, "Звонил Кравцову из Рогов и копыт, договорились о встрече")
    assert "Не нашёл клиента «Кравцов»" in joined(calls)
    # The Ромашка draft is said to be dropped, and the text did not become its answer.
    assert "Черновик касания с <b>ООО «Ромашка»</b> отменён" in joined(calls)
    assert "Клиент: ООО «Ромашка»" not in joined(calls)
