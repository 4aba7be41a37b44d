"""The first touch of a client nobody has contacted yet, through the dispatcher: /new plans it
today or on the next working day and its card moves it; /import spreads the first touches of
clients without a history over their owners' working days; the sweep leaves them be."""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

from aiogram.methods import AnswerCallbackQuery, EditMessageText
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callbacks import FirstTouchCallback, FirstTouchDay
from models import Client, Interaction, Member, Touch
from models.enums import Category, Channel, Direction, Outcome, TouchReason, TouchStatus
from scheduler.jobs import schedule_reminders
from services import planner
from services.clock import ManualClock
from services.windows import Schedule, is_working_day
from tests.conftest import HEAD_ID
from tests.harness import Chat, joined
from tests.test_clients import MANAGER_ID, join
from tests.test_import import send_file
from tests.test_reminders import add_client, add_member, outbox_rows
from tests.test_transfer import csv_bytes, settings

__all__ = ["settings"]  # the fixture keeping pending imports in a temporary folder

FIRST_GOAL = "Первый контакт: познакомиться и выяснить потребность"
MOSCOW_DAYS = Schedule(
    zone=planner.ZoneInfo("Europe/Moscow"),
    start=time(9),
    end=time(18),
    weekdays=frozenset(range(5)),
)


async def new_client(chat: Chat, user_id: int, name: str, category: str = "Новый") -> str:
    """/new for a Moscow company; the text of the bot's answers to the last step."""
    await chat.send(user_id, "/new")
    await chat.press(user_id, "Компания")
    await chat.send(user_id, name)
    await chat.press(user_id, category)
    await chat.press(user_id, "Москва")
    await chat.press(user_id, "Пропустить")  # main contact
    return joined(await chat.press(user_id, "Пропустить"))  # phone


async def touches_of(session: AsyncSession, name: str) -> list[Touch]:
    session.expire_all()
    client = await session.scalar(select(Client).where(Client.name == name))
    assert client is not None
    return list(
        await session.scalars(select(Touch).where(Touch.client_id == client.id).order_by(Touch.id))
    )


async def first_touch(session: AsyncSession, name: str) -> Touch:
    found = [touch for touch in await touches_of(session, name) if planner.is_first_touch(touch)]
    assert len(found) == 1
    return found[0]


# ---------------------------------------------------------------------------------------------
# /new


async def test_a_new_client_is_first_due_today_while_an_hour_is_left(
    chat: Chat, session: AsyncSession
) -> None:
    # Wednesday 10:30 in Moscow: the client's 10–18 window has hours left today.
    await chat.send(HEAD_ID, "/start")
    text = await new_client(chat, HEAD_ID, "Ромашка")
    assert "⏭ Первый контакт: сегодня, ср, 18 ноября" in text
    touch = await first_touch(session, "Ромашка")
    assert (touch.due_on, touch.reason, touch.goal) == (
        date(2026, 11, 18),
        TouchReason.CADENCE,
        FIRST_GOAL,
    )
    assert chat.buttons(HEAD_ID)[:3] == ["Сегодня", "Завтра", "📅 Другой день"]


async def test_late_in_the_day_the_first_touch_is_the_next_working_day(
    chat: Chat, clock: ManualClock, session: AsyncSession
) -> None:
    await chat.send(HEAD_ID, "/start")
    clock.set(datetime(2026, 11, 18, 14, 10, tzinfo=UTC))  # 17:10 Moscow: 50 minutes left
    assert "⏭ Первый контакт: завтра, чт, 19 ноября" in await new_client(chat, HEAD_ID, "Лютик")
    clock.set(datetime(2026, 11, 20, 14, 10, tzinfo=UTC))  # Friday 17:10: Monday
    assert "⏭ Первый контакт: пн, 23 ноября" in await new_client(chat, HEAD_ID, "Вектор")
    clock.set(datetime(2026, 11, 21, 8, 0, tzinfo=UTC))  # Saturday morning: Monday
    assert "⏭ Первый контакт: пн, 23 ноября" in await new_client(chat, HEAD_ID, "Гранит")
    assert (await first_touch(session, "Гранит")).due_on == date(2026, 11, 23)


async def test_the_cards_buttons_move_the_first_touch(
    chat: Chat, clock: ManualClock, session: AsyncSession
) -> None:
    await chat.send(HEAD_ID, "/start")
    await new_client(chat, HEAD_ID, "Ромашка")
    calls = await chat.press(HEAD_ID, "Завтра", exact=True)
    edited = [call for call in calls if isinstance(call, EditMessageText)]
    assert "⏭ Первый контакт: завтра, чт, 19 ноября" in edited[-1].text
    assert "Первый контакт с «Ромашка»: завтра, чт, 19 ноября" in joined(calls)  # the pop-up
    assert (await first_touch(session, "Ромашка")).due_on == date(2026, 11, 19)
    assert "Сегодня" in chat.buttons(HEAD_ID)  # the buttons stay to move it again

    calls = await chat.press(HEAD_ID, "Сегодня", exact=True)
    assert "⏭ Первый контакт: сегодня, ср, 18 ноября" in joined(calls)
    assert (await first_touch(session, "Ромашка")).due_on == date(2026, 11, 18)

    # «Другой день» reads a typed day as every date question does.
    assert "Когда первый контакт с «Ромашка»?" in joined(await chat.press(HEAD_ID, "Другой день"))
    assert "такой даты нет" in joined(await chat.send(HEAD_ID, "31.02"))
    assert "Не понял дату" in joined(await chat.send(HEAD_ID, "когда-нибудь"))
    calls = await chat.send(HEAD_ID, "25.11")
    assert "Первый контакт с «Ромашка»: ср, 25 ноября." in joined(calls)
    # The card it was asked from shows the new day.
    assert any(
        isinstance(call, EditMessageText) and "Первый контакт: ср, 25 ноября" in call.text
        for call in calls
    )
    assert (await first_touch(session, "Ромашка")).due_on == date(2026, 11, 25)

    # A Saturday is a day off of the client and of the owner: the next working day.
    await chat.press(HEAD_ID, "Другой день")
    text = joined(await chat.send(HEAD_ID, "21.11"))
    assert "Первый контакт с «Ромашка»: пн, 23 ноября." in text
    assert "Сб, 21 ноября — выходной" in text
    touch = await first_touch(session, "Ромашка")
    assert (touch.due_on, touch.status) == (date(2026, 11, 23), TouchStatus.PLANNED)
    assert len(await touches_of(session, "Ромашка")) == 1  # moved, not planned twice


async def test_a_first_touch_moved_away_and_back_is_reminded_that_day(
    chat: Chat, clock: ManualClock, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    # A reminder cancelled by the move to tomorrow kept today's key: coming back to today
    # queued nothing, and the touch was never pushed.
    await chat.send(HEAD_ID, "/start")
    await new_client(chat, HEAD_ID, "Ромашка")
    await schedule_reminders(session_factory, clock.now())
    assert [row.status for row in await outbox_rows(session_factory, "reminder")] == ["pending"]

    await chat.press(HEAD_ID, "Завтра", exact=True)
    await schedule_reminders(session_factory, clock.now())
    assert [row.status for row in await outbox_rows(session_factory, "reminder")] == ["cancelled"]

    calls = await chat.press(HEAD_ID, "Сегодня", exact=True)
    assert "Напомню" not in joined(calls)  # today's window is open: nothing to explain
    await schedule_reminders(session_factory, clock.now())
    await schedule_reminders(session_factory, clock.now())  # a rerun adds nothing
    rows = await outbox_rows(session_factory, "reminder")
    assert sorted(row.status for row in rows) == ["cancelled", "pending"]
    [pending] = [row for row in rows if row.status == "pending"]
    assert pending.dedupe_key == f"reminder:{pending.touch_id}:2026-11-18"
    assert "Ромашка" in pending.payload["text"]


async def test_today_after_hours_says_when_the_reminder_comes(
    chat: Chat, clock: ManualClock, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await chat.send(HEAD_ID, "/start")
    clock.set(datetime(2026, 11, 18, 15, 30, tzinfo=UTC))  # 18:30 Moscow: the day is over
    await new_client(chat, HEAD_ID, "Ромашка")
    calls = await chat.press(HEAD_ID, "Сегодня", exact=True)
    assert "Первый контакт с «Ромашка»: сегодня, ср, 18 ноября." in joined(calls)
    assert "🔔 Напомню завтра, 10:00" in joined(calls)
    # Thursday morning the touch is overdue by a day: the daily reminders push it at 10:00.
    clock.set(datetime(2026, 11, 19, 6, 0, tzinfo=UTC))
    await schedule_reminders(session_factory, clock.now())
    [reminder] = await outbox_rows(session_factory, "reminder")
    assert reminder.not_before.replace(tzinfo=UTC) == datetime(2026, 11, 19, 7, 0, tzinfo=UTC)


async def test_a_forged_or_stale_press_moves_nothing(chat: Chat, session: AsyncSession) -> None:
    await chat.send(HEAD_ID, "/start")
    await new_client(chat, HEAD_ID, "Ромашка")
    touch = await first_touch(session, "Ромашка")
    await join(chat, MANAGER_ID)
    forged = FirstTouchCallback(touch_id=touch.id, day=FirstTouchDay.TOMORROW).pack()
    calls = await chat.press_data(MANAGER_ID, forged)
    answers = [call for call in calls if isinstance(call, AnswerCallbackQuery)]
    assert "недоступен" in (answers[0].text or "")
    assert (await first_touch(session, "Ромашка")).due_on == date(2026, 11, 18)
    missing = FirstTouchCallback(touch_id=999_999, day=FirstTouchDay.TODAY).pack()
    assert "недоступен" in joined(await chat.press_data(HEAD_ID, missing))

    # The contact is logged: the first touch is done, and the card's old buttons say so.
    await chat.send(HEAD_ID, "Звонил в Ромашку, цель — познакомиться, итог — ждут КП")
    await chat.press(HEAD_ID, "Сохранить")
    assert (await first_touch(session, "Ромашка")).status is TouchStatus.DONE
    stale = FirstTouchCallback(touch_id=touch.id, day=FirstTouchDay.TOMORROW).pack()
    text = joined(await chat.press_data(HEAD_ID, stale))
    assert "Первого контакта с «Ромашка» в плане уже нет" in text
    assert (await first_touch(session, "Ромашка")).due_on == date(2026, 11, 18)


async def test_a_client_with_history_or_added_long_ago_is_planned_as_before(
    session: AsyncSession,
) -> None:
    owner = await add_member(session)
    await add_client(session, owner, "Давний", "Europe/Moscow")  # added in January
    called = await add_client(session, owner, "Звонили", "Europe/Moscow")
    session.add(
        Interaction(
            client_id=called.id,
            member_id=owner.id,
            channel=Channel.CALL,
            direction=Direction.OUTGOING,
            goal="Узнать, как дела",
            result="Всё хорошо",
            outcome=Outcome.ACHIEVED,
            happened_at=datetime(2026, 11, 2, 9, tzinfo=UTC),
            created_at=datetime(2026, 11, 2, 9, tzinfo=UTC),
        )
    )
    await session.commit()
    # 17:30 in Moscow: too late for a new client's first touch today, but a client added in
    # January is overdue, and overdue is today, as it always was.
    await planner.plan_all(session, datetime(2026, 11, 18, 14, 30, tzinfo=UTC))
    await session.commit()
    (overdue,) = await touches_of(session, "Давний")
    assert overdue.due_on == date(2026, 11, 18)
    (cadence,) = await touches_of(session, "Звонили")
    # A regular client: 60 days after the contact, on a working day.
    assert (cadence.due_on, cadence.dedupe_key) == (
        date(2027, 1, 11),
        f"cadence:{called.id}:2027-01-11",
    )
    assert not planner.is_first_touch(cadence)


# ---------------------------------------------------------------------------------------------
# /import

MANAGERS = [
    "Анна Кузнецова",
    "Борис Петров",
    "Вера Соколова",
    "Глеб Орлов",
    "Дарья Волкова",
    "Егор Лебедев",
]


async def snapshot(session: AsyncSession) -> list[tuple[int, int, date, TouchStatus, str]]:
    session.expire_all()
    return [
        (touch.id, touch.client_id, touch.due_on, touch.status, touch.dedupe_key)
        for touch in await session.scalars(select(Touch).order_by(Touch.id))
    ]


async def test_an_import_spreads_first_touches_per_manager(
    chat: Chat,
    session: AsyncSession,
    session_factory: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    await chat.send(HEAD_ID, "/start")
    for number, name in enumerate(MANAGERS):
        await add_member(session, telegram_id=700 + number, name=name)
    await session.commit()
    rows = [["Клиент", "Категория", "Ответственный"]]
    for number in range(300):
        category = "Ключевой" if number % 25 == 0 else "Новый"
        rows.append([f"Клиент {number:03d}", category, MANAGERS[number % len(MANAGERS)]])
    await chat.send(HEAD_ID, "/import")
    await send_file(chat, HEAD_ID, csv_bytes(rows, separator=";", encoding="utf-8"), "b.csv")
    text = joined(await chat.press(HEAD_ID, "Импортировать"))
    assert (
        "⏭ Первые касания клиентов без истории: 300, не больше 5 в день у менеджера, "
        "с 18 ноября по 1 декабря" in text
    )

    session.expire_all()
    owners = {member.id: member for member in await session.scalars(select(Member))}
    clients = {client.id: client for client in await session.scalars(select(Client))}
    touches = [
        touch
        for touch in await session.scalars(select(Touch))
        if touch.reason is TouchReason.CADENCE
    ]
    assert len(touches) == 300
    assert all(planner.is_first_touch(touch) and touch.goal == FIRST_GOAL for touch in touches)
    per_day = Counter((touch.member_id, touch.due_on) for touch in touches)
    # Before: each manager's 50 clients were all due on one day, a cadence after the import.
    assert max(per_day.values()) == 5
    assert all(is_working_day(touch.due_on, MOSCOW_DAYS) for touch in touches)
    # Within a «new» client's first cadence period (14 days): nobody waits longer than before.
    assert max(touch.due_on for touch in touches) <= date(2026, 12, 2)
    assert min(touch.due_on for touch in touches) == date(2026, 11, 18)
    for owner_id in {touch.member_id for touch in touches}:
        owned = sorted(
            (touch for touch in touches if touch.member_id == owner_id), key=lambda t: t.due_on
        )
        key_days = [t.due_on for t in owned if clients[t.client_id].category is Category.KEY]
        other_days = [t.due_on for t in owned if clients[t.client_id].category is not Category.KEY]
        assert max(key_days) <= min(other_days), owners[owner_id].full_name  # key clients first

    # The sweep finds every first touch open: it moves and doubles nothing, today or later.
    before = await snapshot(session)
    await planner.plan_all(session, clock.now())
    await session.commit()
    assert await snapshot(session) == before
    later = clock.now() + timedelta(days=3)
    await planner.plan_all(session, later)
    await session.commit()
    after = [row for row in await snapshot(session) if row[4].startswith(("cadence", "first"))]
    assert after == [row for row in before if row[4].startswith(("cadence", "first"))]


async def test_a_big_base_for_one_manager_takes_what_the_period_needs(
    chat: Chat, session: AsyncSession
) -> None:
    await add_member(session)
    await session.commit()
    rows = [["Клиент", "Категория"]] + [[f"Клиент {n:03d}", "Новый"] for n in range(300)]
    await chat.send(MANAGER_ID, "/import")
    await send_file(chat, MANAGER_ID, csv_bytes(rows, separator=";", encoding="utf-8"), "b.csv")
    await chat.press(MANAGER_ID, "Импортировать")
    session.expire_all()
    days = Counter(touch.due_on for touch in await session.scalars(select(Touch)))
    # Eleven working days from 18 November to 2 December: 28 a day reach all 300 in time.
    assert sum(days.values()) == 300
    assert max(days.values()) == 28
    assert max(days) == date(2026, 12, 2)


async def test_clients_whose_history_came_along_keep_their_rhythm(
    chat: Chat, session: AsyncSession
) -> None:
    await add_member(session)
    await session.commit()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Клиенты"
    sheet.append(["Компания", "Категория"])
    sheet.append(["Альбатрос", "Ключевой"])
    sheet.append(["Берёзка", "Ключевой"])
    history = book.create_sheet("История звонков")
    history.append(["Дата", "Клиент", "Цель", "Результат"])
    history.append(["16.11.2026 10:05", "Альбатрос", "знакомство", "прислать КП"])
    buffer = io.BytesIO()
    book.save(buffer)
    await chat.send(MANAGER_ID, "/import")
    await send_file(chat, MANAGER_ID, buffer.getvalue(), "база.xlsx")
    text = joined(await chat.press(MANAGER_ID, "Импортировать"))
    assert "Первые касания клиентов без истории: 1," in text
    (reached,) = await touches_of(session, "Альбатрос")
    # A key client reached two days ago is next due a month after that contact.
    assert reached.due_on == date(2026, 12, 16)
    assert not planner.is_first_touch(reached)
    assert (await first_touch(session, "Берёзка")).due_on == date(2026, 11, 18)
