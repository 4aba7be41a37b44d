"""Buttons on a plan list (/today, the morning digest), a reminder and search results keep that
message: a card comes as a new message, a handled item's row says how it was handled, a second
press is answered kindly.

The day is Monday 23 November 2026 in Moscow (tests/test_digest.arrange_day): 1. Тихоокеанская
логистика, 2. Янтарная верфь, 3. Приморский рыбокомбинат today, 4. СтройМонтаж overdue.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from aiogram import Bot
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    SendMessage,
)
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callbacks import (
    CardCallback,
    PlanAction,
    PlanItemCallback,
    PlanTouchCallback,
    SkipCallback,
    SkipReason,
)
from bot.i18n import translator
from bot.keyboards.planner import plan_list
from bot.offline import RecordingSession, SentMessage
from models import Client, Interaction, Outbox, Touch
from models.enums import TouchReason, TouchStatus
from services.clock import ManualClock
from services.digest import ListedTouch
from tests.harness import Chat, joined
from tests.test_digest import MONDAY, arrange_day
from tests.test_reminders import (
    MANAGER_ID,
    MSK,
    OTHER_MANAGER_ID,
    add_client,
    add_member,
    add_touch,
    deliver_reminder,
    make_ticker,
    msk,
    run_until,
)

Factory = async_sessionmaker[AsyncSession]


async def open_today(chat: Chat, session_factory: Factory, clock: ManualClock) -> SentMessage:
    """The manager's /today at noon; the list message."""
    async with session_factory.begin() as session:
        await arrange_day(session)
    clock.set(msk(2026, 11, 23, 12, 0))
    await chat.send(MANAGER_ID, "/today")
    sent, _ = chat.find_button(MANAGER_ID, "📇 1.")
    return sent


def rows(sent: SentMessage) -> list[list[str]]:
    """The button labels of a message, row by row."""
    assert sent.reply_markup is not None
    return [[button.text for button in row] for row in sent.reply_markup.inline_keyboard]


def data_of(sent: SentMessage, label: str) -> str:
    """The callback data of the first button of this message whose label contains `label`."""
    for row in sent.reply_markup.inline_keyboard if sent.reply_markup else []:
        for button in row:
            if label in button.text and button.callback_data:
                return button.callback_data
    raise AssertionError(f"no {label!r} under message {sent.message_id}: {rows(sent)}")


async def press_on(chat: Chat, sent: SentMessage, label: str, row: int | None = None) -> list[Any]:
    """Press a button of this very message (the `row`-th row's, when given)."""
    if row is not None:
        assert sent.reply_markup is not None
        buttons = sent.reply_markup.inline_keyboard[row]
        button = next(b for b in buttons if label in b.text)
        assert button.callback_data is not None
        return await chat.press_data(MANAGER_ID, button.callback_data, on=sent)
    return await chat.press_data(MANAGER_ID, data_of(sent, label), on=sent)


def edits_of(calls: list[Any], sent: SentMessage) -> list[Any]:
    """The calls that changed this message: its text, or its buttons."""
    return [
        call
        for call in calls
        if isinstance(call, EditMessageText | EditMessageReplyMarkup)
        and call.message_id == sent.message_id
    ]


def new_messages(calls: list[Any]) -> list[Any]:
    """The messages sent (not edits)."""
    return [call for call in calls if isinstance(call, SendMessage)]


async def touch_of(session_factory: Factory, client_name: str) -> Touch:
    async with session_factory() as session:
        touch = await session.scalar(
            select(Touch)
            .join(Client, Client.id == Touch.client_id)
            .where(Client.name == client_name)
            .order_by(Touch.id)  # the touch the test arranged, not one planned after a skip
            .limit(1)
        )
        assert touch is not None
        return touch


OPEN_ROW_2 = ["📇 2. Янтарная верфь", "✅ Сделано", "⏰ Отложить"]


# --- Opening a card ---------------------------------------------------------------------------


async def test_a_card_opened_from_today_comes_as_a_new_message_and_the_list_stays(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    listed = await open_today(chat, session_factory, clock)
    text, buttons = listed.text, rows(listed)

    calls = await press_on(chat, listed, "📇 1.")

    assert not edits_of(calls, listed), "the list is not turned into the card"
    [card] = new_messages(calls)
    assert "Тихоокеанская логистика" in card.text
    assert "Справочная" in card.text
    assert (listed.text, rows(listed)) == (text, buttons)
    # The next item is one press away on the same list.
    calls = await press_on(chat, listed, "📇 2.")
    assert "Янтарная верфь" in new_messages(calls)[0].text
    assert not edits_of(calls, listed)


async def test_navigation_inside_the_card_still_edits_the_card(
    chat: Chat, session_factory: Factory, clock: ManualClock, recorder: RecordingSession
) -> None:
    listed = await open_today(chat, session_factory, clock)
    await press_on(chat, listed, "📇 1.")
    card, _ = chat.find_button(MANAGER_ID, "Контакты")
    calls = await chat.press(MANAGER_ID, "Контакты")
    assert [call.message_id for call in calls if isinstance(call, EditMessageText)] == [
        card.message_id
    ]
    assert not new_messages(calls)


async def test_the_morning_digest_keeps_its_list_when_a_card_opens(
    chat: Chat, session_factory: Factory, clock: ManualClock, bot: Bot
) -> None:
    async with session_factory.begin() as session:
        await arrange_day(session)
    clock.set(msk(2026, 11, 23, 8, 58))
    await run_until(
        make_ticker(bot, session_factory, clock),
        clock,
        msk(2026, 11, 23, 9, 1),
        timedelta(minutes=1),
    )
    digest, _ = chat.find_button(MANAGER_ID, "📇 1.")
    assert "План на" in digest.text
    buttons = rows(digest)

    calls = await press_on(chat, digest, "📇 3.")

    assert not edits_of(calls, digest)
    assert "Приморский рыбокомбинат" in new_messages(calls)[0].text
    assert rows(digest) == buttons


async def test_a_reminders_card_button_leaves_the_reminder(
    chat: Chat, session_factory: Factory, clock: ManualClock, bot: Bot
) -> None:
    await deliver_reminder(session_factory, clock, bot)
    reminder, button = chat.find_button(MANAGER_ID, "📇 Карточка")
    assert button.callback_data is not None
    assert CardCallback.unpack(button.callback_data)
    calls = await chat.press(MANAGER_ID, "📇 Карточка")
    assert not edits_of(calls, reminder)
    assert "Ромашка" in new_messages(calls)[0].text
    assert "✅ Сделано" in [b for row in rows(reminder) for b in row]


async def test_search_results_stay_when_a_card_opens(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    async with session_factory.begin() as session:
        manager = await add_member(session)
        await add_client(session, manager, "Ромашка", "Europe/Moscow")
        await add_client(session, manager, "Ромашка Плюс", "Europe/Moscow")
    calls = await chat.send(MANAGER_ID, "/find Ромашка")
    assert "Нашёл 2 клиента — выберите:" in joined(calls)
    results, _ = chat.find_button(MANAGER_ID, "Ромашка Плюс")
    calls = await chat.press(MANAGER_ID, "Ромашка Плюс")
    assert not edits_of(calls, results)
    assert "Ромашка Плюс" in new_messages(calls)[0].text
    assert len(rows(results)) == 2


# --- «✅ Сделано» and «⏰ Отложить» on a list ----------------------------------------------------


async def test_done_on_a_list_marks_the_item_and_logs_in_new_messages(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    listed = await open_today(chat, session_factory, clock)
    text = listed.text

    calls = await press_on(chat, listed, "✅ Сделано", row=0)

    assert not [call for call in edits_of(calls, listed) if isinstance(call, EditMessageText)]
    assert listed.text == text
    assert rows(listed)[0] == ["✅ 1. Тихоокеанская лог… — сделано"]
    assert rows(listed)[1] == OPEN_ROW_2
    assert "Как прошло?" in joined(new_messages(calls))
    touch = await touch_of(session_factory, "Тихоокеанская логистика")
    assert touch.status is TouchStatus.DONE
    # The handled item's button still opens the card, in a new message.
    calls = await press_on(chat, listed, "✅ 1.")
    assert "Тихоокеанская логистика" in new_messages(calls)[0].text
    assert not edits_of(calls, listed)


async def test_a_second_done_is_answered_kindly_and_logs_nothing_twice(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    first = await open_today(chat, session_factory, clock)
    await chat.send(MANAGER_ID, "/today")
    second, _ = chat.find_button(MANAGER_ID, "📇 1.")
    assert second.message_id != first.message_id
    done = data_of(first, "✅ Сделано")
    await chat.press_data(MANAGER_ID, done, on=first)

    # The same item on the other copy of the list, then a double tap on the first.
    for listed in (second, first):
        calls = await chat.press_data(MANAGER_ID, done, on=listed)
        assert "это касание уже сделано" in joined(calls)
        assert not new_messages(calls), "no second log is started"
        assert rows(listed)[0] == ["✅ 1. Тихоокеанская лог… — сделано"]
    await chat.send(MANAGER_ID, "звонил, договорились об отгрузке 10 декабря")
    await chat.press(MANAGER_ID, "Сохранить")
    calls = await chat.press_data(MANAGER_ID, done, on=first)
    assert "это касание уже сделано" in joined(calls)
    async with session_factory() as session:
        logged = await session.scalar(select(func.count()).select_from(Interaction))
    assert logged == 1


async def test_a_cancelled_log_puts_the_item_back_on_its_list(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    listed = await open_today(chat, session_factory, clock)
    await press_on(chat, listed, "✅ Сделано", row=0)
    assert rows(listed)[0] == ["✅ 1. Тихоокеанская лог… — сделано"]

    calls = await chat.send(MANAGER_ID, "/cancel")

    assert "Касание снова в плане" in joined(calls)
    assert rows(listed)[0] == ["📇 1. Тихоокеанская лог…", "✅ Сделано", "⏰ Отложить"]
    touch = await touch_of(session_factory, "Тихоокеанская логистика")
    assert touch.status is TouchStatus.PLANNED


async def test_done_on_another_item_puts_the_first_one_back(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    listed = await open_today(chat, session_factory, clock)
    await press_on(chat, listed, "✅ Сделано", row=0)
    await press_on(chat, listed, "✅ Сделано", row=1)
    # The first log was dropped unsaved: its touch is back in the plan, not done without a log.
    first = await touch_of(session_factory, "Тихоокеанская логистика")
    assert first.status is TouchStatus.PLANNED
    assert rows(listed)[0] == ["📇 1. Тихоокеанская лог…", "✅ Сделано", "⏰ Отложить"]
    assert rows(listed)[1] == ["✅ 2. Янтарная верфь — сделано"]


async def test_snooze_on_a_list_asks_under_the_item_and_marks_it(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    listed = await open_today(chat, session_factory, clock)
    text = listed.text

    calls = await press_on(chat, listed, "⏰ Отложить", row=1)

    assert not new_messages(calls)
    assert rows(listed)[1:3] == [
        ["📇 2. Янтарная верфь", "⏭ Пропустить", "↩️ Назад"],
        ["на 1 час", "завтра", "выбрать дату"],
    ]
    assert rows(listed)[3][0].startswith("📇 3.")
    calls = await press_on(chat, listed, "↩️ Назад")
    assert rows(listed)[1] == OPEN_ROW_2
    # The stale record's row is no item's: it stays as it was under the items drawn again.
    assert len(rows(listed)) == 5
    assert rows(listed)[-1] == ["📇 СтройМонтаж", "✅ Данные актуальны"]

    await press_on(chat, listed, "⏰ Отложить", row=1)
    calls = await press_on(chat, listed, "завтра")

    assert listed.text == text
    assert rows(listed)[1] == ["⏰ 2. Янтарная верфь — на завтра"]
    assert len(rows(listed)) == 5
    assert "Отложено: Янтарная верфь — напомню завтра" in joined(calls)
    assert not new_messages(calls)
    touch = await touch_of(session_factory, "Янтарная верфь")
    assert touch.status is TouchStatus.SNOOZED
    # Once the snooze is over the item can be acted on again.
    clock.set(msk(2026, 11, 24, 9, 30))
    await press_on(chat, listed, "📇 1.")
    assert rows(listed)[1] == OPEN_ROW_2


async def test_a_typed_snooze_date_marks_the_item_when_given(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    listed = await open_today(chat, session_factory, clock)
    await press_on(chat, listed, "⏰ Отложить", row=2)
    calls = await press_on(chat, listed, "выбрать дату")
    assert "Приморский рыбокомбинат" in new_messages(calls)[0].text
    assert "Когда напомнить?" in new_messages(calls)[0].text
    assert rows(listed)[2][0].startswith("📇 3."), "the choices close while the date is typed"

    calls = await chat.send(MANAGER_ID, "в пятницу")

    assert "Отложено" in joined(calls)
    assert rows(listed)[2] == ["⏰ 3. Приморский рыбоко… — на пт, 27 ноября"]


async def test_skip_from_a_list_marks_the_item_after_the_reason(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    listed = await open_today(chat, session_factory, clock)
    await press_on(chat, listed, "⏰ Отложить", row=3)
    calls = await press_on(chat, listed, "⏭ Пропустить")
    assert "Почему пропускаем" in joined(new_messages(calls))
    await chat.press(MANAGER_ID, "дубль")
    assert rows(listed)[3] == ["⏭ 4. СтройМонтаж — пропущено"]
    calls = await chat.press_data(MANAGER_ID, data_of(listed, "⏭ 4."), on=listed)
    assert "СтройМонтаж" in new_messages(calls)[0].text


async def test_snoozing_one_item_keeps_the_log_of_another(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    listed = await open_today(chat, session_factory, clock)
    await press_on(chat, listed, "✅ Сделано", row=0)
    await press_on(chat, listed, "⏰ Отложить", row=1)
    await press_on(chat, listed, "на 1 час")
    await chat.send(MANAGER_ID, "звонил, договорились об отгрузке 10 декабря")
    await chat.press(MANAGER_ID, "Сохранить")
    async with session_factory() as session:
        logged = await session.scalar(select(func.count()).select_from(Interaction))
    assert logged == 1
    assert rows(listed)[:2] == [
        ["✅ 1. Тихоокеанская лог… — сделано"],
        ["⏰ 2. Янтарная верфь — на 13:00"],
    ]


def test_a_list_row_for_each_state_and_callback_sizes() -> None:
    tr = translator("ru")
    now = msk(2026, 11, 23, 12, 0)
    items = [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)]
    listed = {
        1: ListedTouch(1, "Ромашка", TouchStatus.PLANNED),
        2: ListedTouch(2, "Лютик", TouchStatus.DONE),
        3: ListedTouch(3, "Василёк", TouchStatus.SKIPPED),
        4: ListedTouch(4, "Лебедева", TouchStatus.SNOOZED, msk(2026, 12, 4, 9, 0)),
    }
    markup = plan_list(tr, items, listed, MSK, now)
    labels = [[button.text for button in row] for row in markup.inline_keyboard]
    assert labels == [
        ["📇 1. Ромашка", "✅ Сделано", "⏰ Отложить"],
        ["✅ 2. Лютик — сделано"],
        ["⏭ 3. Василёк — пропущено"],
        ["⏰ 4. Лебедева — на пт, 4 декабря"],
        ["▫️ 5. Нет в вашей базе"],
    ]
    biggest = 2**31 - 1
    assert len(PlanItemCallback(touch_id=biggest, number=biggest).pack()) < 64
    assert len(CardCallback(client_id=biggest).pack()) < 64
    assert len(PlanTouchCallback(action=PlanAction.BACK, touch_id=biggest).pack()) < 64


# --- «⏭ Пропустить» on a list: the digest, /overdue --------------------------------------------


async def morning_digest(
    chat: Chat, session_factory: Factory, clock: ManualClock, bot: Bot
) -> SentMessage:
    """The manager's morning digest as the clock delivers it, with Тихоокеанская логистика's
    09:00 reminder after it; the digest message."""
    async with session_factory.begin() as session:
        await arrange_day(session)
    clock.set(msk(2026, 11, 23, 8, 58))
    await run_until(
        make_ticker(bot, session_factory, clock),
        clock,
        msk(2026, 11, 23, 9, 1),
        timedelta(minutes=1),
    )
    digest, _ = chat.find_button(MANAGER_ID, "📇 1.")
    assert "План на" in digest.text
    return digest


async def reminders_of(session_factory: Factory, touch_id: int) -> list[str]:
    async with session_factory() as session:
        rows = await session.scalars(
            select(Outbox.status).where(Outbox.kind == "reminder", Outbox.touch_id == touch_id)
        )
        return list(rows)


async def test_skip_from_the_digest_is_the_reminders_skip(
    chat: Chat, session_factory: Factory, clock: ManualClock, bot: Bot
) -> None:
    digest = await morning_digest(chat, session_factory, clock, bot)
    verf = await touch_of(session_factory, "Янтарная верфь")
    assert await reminders_of(session_factory, verf.id) == ["pending"]  # 11:00

    # From the digest: «⏰ Отложить» opens the item's choices, «⏭ Пропустить» is one of them.
    await press_on(chat, digest, "⏰ Отложить", row=1)
    calls = await press_on(chat, digest, "⏭ Пропустить")
    assert "Почему пропускаем <b>Янтарная верфь</b>" in joined(new_messages(calls))
    await chat.press(MANAGER_ID, "не актуально")
    # From the reminder: the same question, the same reason.
    reminder, _ = chat.find_button(MANAGER_ID, "⏭ Пропустить")
    assert "Пора связаться" in reminder.text
    assert "Тихоокеанская логистика" in reminder.text
    await press_on(chat, reminder, "⏭ Пропустить")
    calls = await chat.press(MANAGER_ID, "не актуально")
    assert "⏭ Пропущено: <b>Тихоокеанская логистика</b> — не актуально." in joined(calls)
    # The client is not dropped: its next routine call is planned at once and named.
    assert "⏭ Следующее касание: " in joined(calls)

    from_list = await touch_of(session_factory, "Янтарная верфь")
    from_reminder = await touch_of(session_factory, "Тихоокеанская логистика")
    for touch in (from_list, from_reminder):
        assert (touch.status, touch.skip_reason) == (TouchStatus.SKIPPED, "не актуально")
        assert touch.closed_at is not None
    assert await reminders_of(session_factory, from_list.id) == ["cancelled"]
    # The digest shows the item skipped, and the one skipped from the reminder at the next press.
    assert rows(digest)[1] == ["⏭ 2. Янтарная верфь — пропущено"]
    await press_on(chat, digest, "📇 3.")
    assert rows(digest)[0] == ["⏭ 1. Тихоокеанская лог… — пропущено"]
    assert rows(digest)[2][1:] == ["✅ Сделано", "⏰ Отложить"]
    # Nothing about the skipped touch comes later in the day.
    await run_until(
        make_ticker(bot, session_factory, clock),
        clock,
        msk(2026, 11, 23, 12, 0),
        timedelta(minutes=15),
    )
    assert await reminders_of(session_factory, from_list.id) == ["cancelled"]


async def test_a_second_skip_changes_nothing_and_says_why(
    chat: Chat, session_factory: Factory, clock: ManualClock, bot: Bot
) -> None:
    digest = await morning_digest(chat, session_factory, clock, bot)
    await press_on(chat, digest, "⏰ Отложить", row=1)
    skip = data_of(digest, "⏭ Пропустить")
    await chat.press_data(MANAGER_ID, skip, on=digest)
    question, reason = chat.find_button(MANAGER_ID, "дубль")
    assert reason.callback_data is not None
    await chat.press_data(MANAGER_ID, reason.callback_data, on=question)
    skipped = await touch_of(session_factory, "Янтарная верфь")

    # A double tap on the list's button, then on the reason.
    for data, on in ((skip, digest), (reason.callback_data, question)):
        calls = await chat.press_data(MANAGER_ID, data, on=on)
        assert "Янтарная верфь: это касание уже пропущено." in joined(calls)
        assert not new_messages(calls)
    assert rows(digest)[1] == ["⏭ 2. Янтарная верфь — пропущено"]
    again = await touch_of(session_factory, "Янтарная верфь")
    assert (again.status, again.skip_reason, again.closed_at) == (
        TouchStatus.SKIPPED,
        "дубль",
        skipped.closed_at,
    )


async def test_a_forged_skip_is_refused_and_changes_nothing(
    chat: Chat, session_factory: Factory, clock: ManualClock, bot: Bot
) -> None:
    digest = await morning_digest(chat, session_factory, clock, bot)
    async with session_factory.begin() as session:
        other = await add_member(session, telegram_id=OTHER_MANAGER_ID, name="Анна")
        theirs = await add_touch(
            session, await add_client(session, other, "Чужой клиент", "Europe/Moscow"), MONDAY
        )
        theirs_id = theirs.id
    forged = [
        PlanTouchCallback(action=PlanAction.SKIP, touch_id=theirs_id).pack(),
        SkipCallback(reason=SkipReason.IRRELEVANT, touch_id=theirs_id).pack(),
        SkipCallback(reason=SkipReason.OTHER, touch_id=theirs_id).pack(),
        PlanTouchCallback(action=PlanAction.SKIP, touch_id=2**31 - 1).pack(),
        "pt:s:-1",
    ]
    buttons = rows(digest)
    for data in forged:
        calls = await chat.press_data(MANAGER_ID, data, on=digest)
        answers = [call for call in calls if isinstance(call, AnswerCallbackQuery)]
        assert len(answers) == 1
        assert answers[0].show_alert
        assert answers[0].text in {
            "Это касание недоступно: оно не ваше или уже удалено.",
            "Эта кнопка устарела. Откройте свежее сообщение.",
        }
        assert not new_messages(calls)
    assert rows(digest) == buttons
    untouched = await touch_of(session_factory, "Чужой клиент")
    assert (untouched.status, untouched.skip_reason) == (TouchStatus.PLANNED, None)


async def test_skip_from_overdue_with_a_typed_reason_marks_the_page(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    async with session_factory.begin() as session:
        await arrange_day(session)
    clock.set(msk(2026, 11, 23, 12, 0))
    await chat.send(MANAGER_ID, "/overdue")
    page, _ = chat.find_button(MANAGER_ID, "📇 1.")
    assert "Всё просроченное" in page.text
    await press_on(chat, page, "⏰ Отложить", row=0)
    assert rows(page)[0] == ["📇 1. СтройМонтаж", "⏭ Пропустить", "↩️ Назад"]
    await press_on(chat, page, "⏭ Пропустить")
    calls = await chat.press(MANAGER_ID, "своя причина")
    assert "Напишите причину одним сообщением." in joined(calls)

    calls = await chat.send(MANAGER_ID, "клиент закрылся")

    assert "⏭ Пропущено: <b>СтройМонтаж</b> — клиент закрылся." in joined(calls)
    assert rows(page)[0] == ["⏭ 1. СтройМонтаж — пропущено"]
    # The stale record's row is no item's: it stays as it was.
    assert rows(page)[-1] == ["📇 СтройМонтаж", "✅ Данные актуальны"]
    touch = await touch_of(session_factory, "СтройМонтаж")
    assert (touch.status, touch.skip_reason) == (TouchStatus.SKIPPED, "клиент закрылся")
    # Not the night's sweep: the next routine call is planned now, counted from the skip.
    async with session_factory() as session:
        [following] = await session.scalars(
            select(Touch).where(
                Touch.client_id == touch.client_id,
                Touch.status == TouchStatus.PLANNED,
                Touch.reason == TouchReason.CADENCE,
            )
        )
    assert following.due_on > date(2026, 11, 23)
    # The answer names the client's soonest open touch, as its card does: here the data check
    # still due today.
    assert "⏭ Следующее касание: сегодня, пн, 23 ноября — Проверить данные" in joined(calls)


# --- The card's own buttons and a saved touch's ---------------------------------------------


async def test_the_cards_log_button_asks_in_a_new_message_and_the_card_stays(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    listed = await open_today(chat, session_factory, clock)
    await press_on(chat, listed, "📇 2.")
    card, _ = chat.find_button(MANAGER_ID, "📝 Записать касание")
    text, buttons = card.text, rows(card)

    calls = await press_on(chat, card, "📝 Записать касание")

    assert not edits_of(calls, card), "the card is not turned into the draft"
    [question] = new_messages(calls)
    assert "Как связались?" in question.text
    await chat.press(MANAGER_ID, "Звонок")
    await chat.press(MANAGER_ID, "Follow-up")
    await chat.send(MANAGER_ID, "ждут счёт")
    await chat.press(MANAGER_ID, "Частично")
    await chat.send(MANAGER_ID, "выставить счёт 10 декабря")
    await chat.press(MANAGER_ID, "Сохранить")
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Interaction)) == 1
    # The draft's own questions and card went on in its message; the card is as it was.
    assert (card.text, rows(card)) == (text, buttons)


async def test_a_saved_touchs_edit_and_confirm_leave_what_was_saved(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    async with session_factory.begin() as session:
        await arrange_day(session)
    clock.set(msk(2026, 11, 23, 12, 0))
    await chat.send(
        MANAGER_ID,
        "Звонил в СтройМонтаж, цель — получить обратную связь, всё устраивает, "
        "договорились созвониться 10 декабря",
    )
    calls = await chat.press(MANAGER_ID, "Сохранить")
    assert "давно не проверялись" in joined(calls)
    saved, _ = chat.find_button(MANAGER_ID, "✅ Всё актуально")
    text = saved.text
    assert "Сохранено ✅" in text
    assert "Следующее касание" in text
    assert rows(saved) == [["✅ Всё актуально", "✏️ Изменить"], ["📇 Карточка"]]

    calls = await press_on(chat, saved, "✏️ Изменить")

    assert not edits_of(calls, saved), "what was saved and the facts to check stay on screen"
    [fields] = new_messages(calls)
    assert "✏️ <b>СтройМонтаж</b> — изменение карточки" in fields.text
    assert "Что изменить? Нажмите кнопку." in fields.text
    assert rows(saved) == [["✅ Всё актуально", "✏️ Изменить"], ["📇 Карточка"]]

    calls = await press_on(chat, saved, "✅ Всё актуально")

    assert not new_messages(calls)
    assert not [call for call in edits_of(calls, saved) if isinstance(call, EditMessageText)]
    assert saved.text == text
    assert rows(saved) == [["📇 Карточка"]]
    assert "✅ Данные подтверждены: СтройМонтаж" in joined(calls)
    async with session_factory() as session:
        client = await session.scalar(select(Client).where(Client.name == "СтройМонтаж"))
        assert client is not None
        assert client.data_confirmed_at.replace(tzinfo=None) == clock.now().replace(tzinfo=None)
