"""The member's plan as an iCalendar file: one event per open touch in the next 30 days.

Each event sits at the first moment the client may be called inside the member's working hours
(an all-day event when the two never meet that day); UIDs are stable, so re-importing the file
updates the events instead of duplicating them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy.ext.asyncio import AsyncSession

from models import Member
from services.digest import (
    ContactView,
    channel_at,
    client_schedule,
    local_today,
    member_schedule,
    open_touches_of,
    touch_contact,
)
from services.windows import common_interval

HORIZON_DAYS = 30
EVENT_LENGTH = timedelta(minutes=30)
UID_DOMAIN = "touchbase.bot"


@dataclass(frozen=True)
class CalendarTexts:
    """The user-visible words of the events, in the member's language."""

    summary: Callable[[str, str], str]  # (client name, goal) -> event title
    goal: str
    contact: str
    phone: str
    channel: str
    channels: dict[str, str]


def touch_uid(touch_id: int) -> str:
    """The event's UID: the same touch always gets the same UID."""
    return f"touch-{touch_id}@{UID_DOMAIN}"


async def build_calendar(
    session: AsyncSession, member: Member, now: datetime, texts: CalendarTexts
) -> tuple[bytes, int]:
    """The .ics bytes of the member's open touches due in the next 30 days, and their count."""
    today = local_today(member, now)
    pairs = await open_touches_of(
        session, member, due_from=today, due_until=today + timedelta(days=HORIZON_DAYS - 1)
    )
    calendar = Calendar()
    calendar.add("prodid", "-//Touchbase//touchbase.bot//RU")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Touchbase")
    working = member_schedule(member)
    for touch, client in pairs:
        contact = touch_contact(touch, client)
        interval = common_interval(touch.due_on, client_schedule(client, contact), working)
        event = Event()
        event.add("uid", touch_uid(touch.id))
        event.add("dtstamp", now)
        event.add("summary", texts.summary(client.name, touch.goal))
        if interval is None:
            event.add("dtstart", touch.due_on)
            event.add("dtend", touch.due_on + timedelta(days=1))
        else:
            start, end = interval
            event.add("dtstart", start)
            event.add("dtend", min(end, start + EVENT_LENGTH))
        event.add("description", _description(touch.goal, contact, interval, texts, member))
        calendar.add_component(event)
    return calendar.to_ical(), len(pairs)


def _description(
    goal: str,
    contact: ContactView | None,
    interval: tuple[datetime, datetime] | None,
    texts: CalendarTexts,
    member: Member,
) -> str:
    lines = [f"{texts.goal}: {goal}"]
    if contact is not None:
        person = contact.full_name + (f", {contact.position}" if contact.position else "")
        lines.append(f"{texts.contact}: {person}")
        if contact.phone:
            lines.append(f"{texts.phone}: {contact.phone}")
        moment = interval[0] if interval is not None else None
        channel = channel_at(contact, moment, ZoneInfo(member.timezone))
        if channel is not None:
            lines.append(f"{texts.channel}: {texts.channels.get(channel.value, channel.value)}")
    return "\n".join(lines)


def calendar_filename(today: date) -> str:
    """The file name the document is sent under."""
    return f"touchbase-{today.isoformat()}.ics"
