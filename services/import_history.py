"""Contact history brought in by /import: a sheet of interactions read back as logged contacts.

Each row is a contact that happened: when, with which client, its goal and its result — never
one without them, as in the chat — and the channel, direction, outcome and who made it. The
same contact comes in once: a row whose client, time (or day, when the file gives no time),
goal and result are already in the base is present, so importing a file again adds nothing.
The importer (services/importer.py) finds each row's client and writes the rows; this module
reads a row, knows the base's side (clients by name, contacts, contacts already saved) and
inserts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Client, Contact, Interaction, Member
from models.enums import Channel, Direction, Outcome
from services import import_words, names, validation
from services.interactions import GOAL_LIMIT
from services.parsing import outcome_of

# A day without a time is taken at noon: inside any working day, and the same day in every zone
# of the country.
DAY_TIME: Final = time(12)
BATCH: Final = 1000
_IN_LIMIT: Final = 900
# «12.05.2026 10:30», «2026-05-12T10:30:00», «12 мая 2026, 10:30».
_MOMENT = re.compile(
    r"^(?P<day>.+?)(?:[\sT,]+(?P<h>\d{1,2})[:.](?P<m>\d{2})(?::(?P<s>\d{2}))?)?\s*$"
)
# The time a spreadsheet adds to a date cell saved to CSV: «20.11.2026 00:00».
_TIME_TAIL = re.compile(r"\s+\d{1,2}[:.]\d{2}(?::\d{2})?\s*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class RowRefusedError(Exception):
    """A row that cannot be a contact (no date, no goal…); `code` names the remark, `owner`
    the colleague whose client it is about, when that is the reason."""

    def __init__(self, code: str, value: str = "", owner: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.value = value
        self.owner = owner


@dataclass
class HistoryEntry:
    """A checked row of a contact history, not yet tied to a client."""

    row: int
    happened_at: datetime
    # The file gave the time, not only the day: a repeat is then the same minute, not day.
    timed: bool
    # The day in the file's time zone.
    day: date
    goal: str
    result: str
    channel: Channel
    direction: Direction
    outcome: Outcome
    notes: str | None
    next_step: str | None
    next_touch_on: date | None
    client_name: str
    contact_name: str | None
    member_name: str | None


@dataclass(frozen=True)
class BaseClient:
    """A client of the base a history row may belong to."""

    id: int
    name: str
    owner_id: int
    owner_name: str


def text_key(text: str) -> str:
    """A goal or a result as repeats are compared: case, «ё» and spacing don't count."""
    return " ".join(text.casefold().replace("ё", "е").split())


def _text(value: str | None, limit: int | None = None) -> str | None:
    cleaned = _CONTROL.sub(" ", value or "").strip()
    return (cleaned[:limit].strip() if limit else cleaned) or None


def read_day(text: str) -> date:
    """«12.05.2026», «2026-05-12», «12 мая 2026 г.» → the day; RowRefusedError when it is no
    day of a year."""
    try:
        day, month, year = import_words.sheet_day(text)
    except validation.ValidationError:
        raise RowRefusedError("history_date_invalid", text) from None
    if year is None:
        raise RowRefusedError("history_date_no_year", text)
    return date(year, month, day)


def read_moment(text: str, zone: ZoneInfo, now: datetime) -> tuple[datetime, bool, date]:
    """When a contact happened, in UTC; whether the time was given; its day in `zone`.

    A day alone is taken at noon (or now, today before noon). Raises RowRefusedError for a
    date unreadable, without a year or still to come.
    """
    match = _MOMENT.match(text.strip())
    if match is None:
        raise RowRefusedError("history_date_invalid", text)
    day = read_day(match["day"])
    local_now = now.astimezone(zone)
    if day > local_now.date():
        raise RowRefusedError("history_date_future", text)
    if match["h"] is None:
        moment = min(datetime.combine(day, DAY_TIME, tzinfo=zone), local_now)
        return moment.astimezone(UTC).replace(second=0, microsecond=0), False, day
    hour, minute = int(match["h"]), int(match["m"])
    if hour > 23 or minute > 59:
        raise RowRefusedError("history_date_invalid", text)
    moment = datetime.combine(day, time(hour, minute), tzinfo=zone)
    if moment > local_now:
        raise RowRefusedError("history_date_future", text)
    return moment.astimezone(UTC), True, day


def check_row(
    number: int,
    row: dict[str, str],
    zone: ZoneInfo,
    now: datetime,
    remarks: list[tuple[str, str]],
) -> HistoryEntry:
    """A row of a history as a contact; RowRefusedError for a row that can't be one (no date,
    goal or result, a date unreadable or to come). A value the contact can do without (an
    unknown channel, an unreadable next date) is a (code, value) added to `remarks`."""
    if not row.get("when"):
        raise RowRefusedError("history_no_date")
    happened_at, timed, day = read_moment(row["when"], zone, now)
    goal = _text(row.get("goal"), GOAL_LIMIT)
    if goal is None:
        raise RowRefusedError("history_no_goal")
    result = _text(row.get("result"), GOAL_LIMIT)
    if result is None:
        raise RowRefusedError("history_no_result")
    # Unstated, a channel and a direction are what a logged message is taken for.
    channel = Channel.CALL
    if row.get("channel"):
        found = import_words.channel(row["channel"])
        if found is None:
            remarks.append(("history_channel_unknown", row["channel"][:40]))
        channel = found or Channel.OTHER
    direction = Direction.OUTGOING
    if row.get("direction"):
        read = import_words.direction(row["direction"])
        if read is None:
            remarks.append(("history_direction_unknown", row["direction"][:40]))
        direction = read or Direction.OUTGOING
    outcome = import_words.outcome(row["outcome"]) if row.get("outcome") else None
    if row.get("outcome") and outcome is None:
        remarks.append(("history_outcome_unknown", row["outcome"][:40]))
    next_touch_on: date | None = None
    if row.get("next_touch"):
        try:
            next_touch_on = read_day(_TIME_TAIL.sub("", row["next_touch"]))
        except RowRefusedError:
            remarks.append(("history_next_dropped", row["next_touch"][:40]))
    return HistoryEntry(
        row=number,
        happened_at=happened_at,
        timed=timed,
        day=day,
        goal=goal,
        result=result,
        channel=channel,
        direction=direction,
        # As the bot reads a logged result: «не дозвонился» is no contact; the rest achieved.
        outcome=outcome or outcome_of(result) or Outcome.ACHIEVED,
        notes=_text(row.get("notes")),
        next_step=_text(row.get("next_step")),
        next_touch_on=next_touch_on,
        client_name=_text(row.get("client"), 200) or "",
        contact_name=_text(row.get("contact"), 200),
        member_name=_text(row.get("member"), 200),
    )


def keys(client: object, entry: HistoryEntry) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The entry's keys as a repeat is found: by the minute, and by the day in the file's zone.

    A row with its time repeats a contact of the same minute; a row of a day alone, any of
    that day (`repeat_key`)."""
    goal, result = text_key(entry.goal), text_key(entry.result)
    minute = entry.happened_at.astimezone(UTC).replace(second=0, microsecond=0)
    return (client, minute, goal, result), (client, entry.day, goal, result)


def repeat_key(client: object, entry: HistoryEntry) -> tuple[Any, ...]:
    """The key a row is looked up by: the minute when it gives a time, else the day."""
    by_minute, by_day = keys(client, entry)
    return by_minute if entry.timed else by_day


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _aware(moment: datetime) -> datetime:
    # SQLite hands datetimes back naive; they are stored in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def present_keys(
    session: AsyncSession, client_ids: Iterable[int], zone: ZoneInfo
) -> set[tuple[Any, ...]]:
    """Both keys (`keys`) of every contact the base holds for these clients."""
    found: set[tuple[Any, ...]] = set()
    for part in _chunks(sorted(set(client_ids)), _IN_LIMIT):
        rows = await session.execute(
            select(
                Interaction.client_id,
                Interaction.happened_at,
                Interaction.goal,
                Interaction.result,
            ).where(Interaction.client_id.in_(part))
        )
        for client_id, happened_at, goal, result in rows:
            moment = _aware(happened_at)
            goal_key, result_key = text_key(goal), text_key(result)
            minute = moment.astimezone(UTC).replace(second=0, microsecond=0)
            found.add((client_id, minute, goal_key, result_key))
            found.add((client_id, moment.astimezone(zone).date(), goal_key, result_key))
    return found


async def base_clients(session: AsyncSession) -> dict[int, BaseClient]:
    """The active clients of the base, by id, with their owners' names."""
    rows = await session.execute(
        select(Client.id, Client.name, Client.owner_id, Member.full_name)
        .join(Member, Member.id == Client.owner_id)
        .where(Client.is_active.is_(True), Client.forgotten_at.is_(None))
    )
    return {row[0]: BaseClient(*row) for row in rows}


def by_name(clients: Iterable[BaseClient]) -> dict[str, list[BaseClient]]:
    """Clients by their name as names.normalize_text compares them (legal forms left out)."""
    found: dict[str, list[BaseClient]] = {}
    for client in clients:
        found.setdefault(names.normalize_text(client.name), []).append(client)
    return found


async def base_contacts(
    session: AsyncSession, client_ids: Iterable[int]
) -> dict[int, list[tuple[int, str]]]:
    """Each client's people: (contact id, full name)."""
    found: dict[int, list[tuple[int, str]]] = {}
    for part in _chunks(sorted(set(client_ids)), _IN_LIMIT):
        rows = await session.execute(
            select(Contact.client_id, Contact.id, Contact.full_name)
            .where(Contact.client_id.in_(part))
            .order_by(Contact.client_id, Contact.id)
        )
        for client_id, contact_id, full_name in rows:
            found.setdefault(client_id, []).append((contact_id, full_name))
    return found


def person_key(text: str) -> str:
    """A person's name as a history row and a contact are matched: case and spacing aside."""
    return " ".join(text.casefold().replace("ё", "е").split())


def find_person(people: Sequence[str], wanted: str | None, *, guess: bool) -> int | None:
    """The index of the person a row names. With none named and `guess` (the sheet has no
    contact column), the client's only person, as a logged contact takes it; a contact cell
    left empty means nobody in particular."""
    if wanted is None:
        return 0 if guess and len(people) == 1 else None
    key = person_key(wanted)
    return next((i for i, name in enumerate(people) if person_key(name) == key), None)


def values(
    entry: HistoryEntry, client_id: int, contact_id: int | None, member_id: int, now: datetime
) -> dict[str, Any]:
    """The interaction row of an entry."""
    return {
        "client_id": client_id,
        "contact_id": contact_id,
        "member_id": member_id,
        "channel": entry.channel,
        "direction": entry.direction,
        "goal": entry.goal,
        "result": entry.result,
        "outcome": entry.outcome,
        "notes": entry.notes,
        "next_step": entry.next_step,
        "next_touch_on": entry.next_touch_on,
        "happened_at": entry.happened_at,
        "created_at": now,
    }


async def insert_rows(
    session: AsyncSession, rows: Sequence[dict[str, Any]], now: datetime
) -> dict[tuple[int, datetime], int]:
    """Insert interactions in batches (`created_at` is `now`); (client id, moment) → the id of
    the last one inserted at that moment.

    A plain executemany: asking for every row's id back costs a round trip per row on SQLite,
    and only each client's latest contact needs its id (`planner.follow_imported_history`).
    """
    for part in _chunks(rows, BATCH):
        await session.execute(insert(Interaction), list(part))
    found: dict[tuple[int, datetime], int] = {}
    for part in _chunks(sorted({int(row["client_id"]) for row in rows}), _IN_LIMIT):
        inserted = await session.execute(
            select(Interaction.id, Interaction.client_id, Interaction.happened_at)
            .where(Interaction.client_id.in_(part), Interaction.created_at == now)
            .order_by(Interaction.id)
        )
        for interaction_id, client_id, happened_at in inserted:
            found[client_id, _aware(happened_at)] = interaction_id
    return found
