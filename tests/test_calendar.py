"""/calendar: the .ics file parses back, events sit in the common window, UIDs are stable."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from aiogram.methods import SendDocument, SendMessage
from aiogram.types import BufferedInputFile
from icalendar import Calendar
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.enums import TouchStatus
from services.clock import ManualClock
from tests.harness import Chat
from tests.test_reminders import MANAGER_ID, add_client, add_member, add_touch, msk

Factory = async_sessionmaker[AsyncSession]
MONDAY = date(2026, 11, 23)


async def fetch_calendar(chat: Chat) -> Calendar:
    calls = await chat.send(MANAGER_ID, "/calendar")
    documents = [call for call in calls if isinstance(call, SendDocument)]
    assert len(documents) == 1, calls
    document = documents[0].document
    assert isinstance(document, BufferedInputFile)
    assert document.filename is not None
    assert document.filename.endswith(".ics")
    return Calendar.from_ical(document.data)


def events_by_summary(calendar: Calendar) -> dict[str, object]:
    return {str(event["summary"]): event for event in calendar.walk("VEVENT")}


async def test_events_sit_in_the_first_common_moment_with_stable_uids(
    chat: Chat, session_factory: Factory, clock: ManualClock
) -> None:
    async with session_factory.begin() as session:
        manager = await add_member(session)
        vladivostok = await add_client(
            session, manager, "Тихоокеанская логистика", "Asia/Vladivostok"
        )
        narrow = await add_client(
            session, manager, "Приморский рыбокомбинат", "Asia/Vladivostok", (time(10), time(14))
        )
        kaliningrad = await add_client(
            session, manager, "Янтарная верфь", "Europe/Kaliningrad", (time(10), time(14))
        )
        await add_touch(session, vladivostok, MONDAY, "Договориться о графике оплаты")
        await add_touch(session, narrow, MONDAY, "Выяснить потребность")
        await add_touch(session, kaliningrad, MONDAY + timedelta(days=1), "Предложить прайс")
        await add_touch(session, kaliningrad, MONDAY + timedelta(days=40), "За горизонтом")
        done = await add_touch(session, vladivostok, MONDAY + timedelta(days=2), "Уже сделано")
        done.status = TouchStatus.DONE
    clock.set(msk(2026, 11, 23, 8, 0))

    calendar = await fetch_calendar(chat)
    events = events_by_summary(calendar)
    assert set(events) == {
        "Позвонить: Тихоокеанская логистика — Договориться о графике оплаты",
        "Позвонить: Приморский рыбокомбинат — Выяснить потребность",
        "Позвонить: Янтарная верфь — Предложить прайс",
    }
    # Vladivostok 10–18 is 00:00–08:00 UTC; a Moscow day opens at 09:00 = 06:00 UTC.
    wide = events["Позвонить: Тихоокеанская логистика — Договориться о графике оплаты"]
    start = wide["dtstart"].dt  # type: ignore[index]
    assert start == datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    assert wide["dtend"].dt == datetime(2026, 11, 23, 6, 30, tzinfo=UTC)  # type: ignore[index]
    description = str(wide["description"])  # type: ignore[index]
    assert "Договориться о графике оплаты" in description
    assert "+79135550142" in description
    assert "Петров Иван Сергеевич" in description
    # Kaliningrad 10:00 is 08:00 UTC, 11:00 in Moscow.
    amber = events["Позвонить: Янтарная верфь — Предложить прайс"]
    assert amber["dtstart"].dt == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # type: ignore[index]
    # Vladivostok 10–14 never meets a Moscow day: an all-day event on the due date.
    never = events["Позвонить: Приморский рыбокомбинат — Выяснить потребность"]
    assert never["dtstart"].dt == MONDAY  # type: ignore[index]
    assert not isinstance(never["dtstart"].dt, datetime)  # type: ignore[index]

    uids = {str(event["uid"]) for event in calendar.walk("VEVENT")}
    assert len(uids) == 3
    assert all(uid.startswith("touch-") and uid.endswith("@touchbase.bot") for uid in uids)
    clock.advance(timedelta(hours=2))
    again = await fetch_calendar(chat)
    assert {str(event["uid"]) for event in again.walk("VEVENT")} == uids


async def test_empty_plan_gets_a_friendly_text(chat: Chat, session_factory: Factory) -> None:
    async with session_factory.begin() as arranging:
        await add_member(arranging)
    calls = await chat.send(MANAGER_ID, "/calendar")
    assert not any(isinstance(call, SendDocument) for call in calls)
    texts = [call.text for call in calls if isinstance(call, SendMessage)]
    assert any("не запланировано" in text for text in texts), texts
