"""First touches: the first call to a client nobody has contacted yet.

The planner's sweep gives a client without any contact or closed touch a first touch soon
(`planner.first_touch_day`: today while an hour of calling time is left, else the next working
day). Two things here go beyond one client at a time:

- after /import, the clients that came without a contact history get their first touches
  spread over each owner's working days instead of all on one day: key clients first, at most
  max(FIRST_TOUCHES_PER_DAY, needed) a day per owner, where «needed» is the fewest a day that
  still reaches every client within its first cadence period (when the cadence would have had
  it anyway);
- the card answering /new moves its first touch to today, tomorrow or a typed day.

The first touch is a cadence touch with the first-contact goal and the key «first:<client>»:
a re-sweep or a second run of the spread finds it open and plans nothing beside it.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Client, Interaction, Member, Touch
from models.enums import Category, TouchReason, TouchStatus
from services import planner
from services.digest import member_schedule, touch_for
from services.touches import OPEN_STATUSES, all_policies
from services.windows import Schedule, is_working_day

# First touches an owner gets a day from one import when fewer would do: a handful of new
# calls on top of the usual plan, so an imported base is reached in days, not all at once.
FIRST_TOUCHES_PER_DAY = 5
# Beyond this a schedule with no working day at all stops the search.
_MAX_SHIFT_DAYS = 400
_IN_LIMIT = 900


@dataclass(frozen=True)
class _Newcomer:
    """An imported client to give a first touch: from `start` on, by `deadline` if it can."""

    facts: planner.ClientFacts
    schedule: Schedule
    start: date
    deadline: date


@dataclass
class FirstTouchSpread:
    """What an import's spread planned: first touches, and the busiest day of any one owner
    (with the first touches already open on it)."""

    planned: int = 0
    max_per_day: int = 0
    first_day: date | None = None
    last_day: date | None = None
    per_owner_day: dict[int, Counter[date]] = field(default_factory=dict)


@lru_cache(maxsize=8192)
def _working(day: date, schedule: Schedule) -> bool:
    return is_working_day(day, schedule)


def _needed(newcomers: Sequence[_Newcomer], owner: Schedule, booked: Mapping[date, int]) -> int:
    """The fewest first touches a day that reach every client by its deadline in this order:
    the k-th client needs k places (and what is booked) on the owner's working days up to its
    deadline. Exact when the clients share the owner's days; `_fill` checks the rest."""
    first = min(newcomer.start for newcomer in newcomers)
    last = max(newcomer.deadline for newcomer in newcomers)
    working: dict[date, int] = {}
    taken: dict[date, int] = {}
    count = held = 0
    day = first
    while day <= last:
        count += _working(day, owner)
        held += booked.get(day, 0)
        working[day], taken[day] = count, held
        day += timedelta(days=1)
    return max(
        math.ceil((place + taken[newcomer.deadline]) / max(working[newcomer.deadline], 1))
        for place, newcomer in enumerate(newcomers, start=1)
    )


def _fill(
    newcomers: Sequence[_Newcomer], owner: Schedule, booked: Mapping[date, int], per_day: int
) -> tuple[list[date], bool]:
    """Each client's day in order: the first working day of both from its start with room
    left; and whether any came after its deadline."""
    load: Counter[date] = Counter(booked)
    # Every day before `open_from` is full or the owner's day off: nobody can go there.
    open_from = min(newcomer.start for newcomer in newcomers)
    search_end = open_from + timedelta(days=_MAX_SHIFT_DAYS)
    days: list[date] = []
    late = False
    for newcomer in newcomers:
        while open_from < search_end and (
            load[open_from] >= per_day or not _working(open_from, owner)
        ):
            open_from += timedelta(days=1)
        day = max(newcomer.start, open_from)
        for _ in range(_MAX_SHIFT_DAYS):
            if load[day] < per_day and _working(day, owner) and _working(day, newcomer.schedule):
                break
            day += timedelta(days=1)
        else:
            day = newcomer.start
        load[day] += 1
        days.append(day)
        late = late or day > newcomer.deadline
    return days, late


def spread_days(
    newcomers: Sequence[_Newcomer], owner: Schedule, booked: Mapping[date, int]
) -> list[date]:
    """The days of one owner's first touches, in the order given (key clients first): at most
    max(FIRST_TOUCHES_PER_DAY, needed) a day with what is already `booked`, working days only,
    each client by its deadline."""
    if not newcomers:
        return []
    low = max(FIRST_TOUCHES_PER_DAY, _needed(newcomers, owner, booked))
    days, late = _fill(newcomers, owner, booked, low)
    if not late:
        return days
    # Clients whose calling days differ from the owner's: the fewest a day that still keeps
    # every deadline (all on their first day at worst).
    high = len(newcomers) + max(booked.values(), default=0)
    best = _fill(newcomers, owner, booked, high)[0]
    while low < high:
        middle = (low + high) // 2
        days, late = _fill(newcomers, owner, booked, middle)
        if late:
            low = middle + 1
        else:
            high, best = middle, days
    return best


async def _contacted(session: AsyncSession, client_ids: Sequence[int]) -> set[int]:
    """Clients with a contact logged or imported, or a next touch (open or closed)."""
    found: set[int] = set()
    for start in range(0, len(client_ids), _IN_LIMIT):
        part = list(client_ids[start : start + _IN_LIMIT])
        found.update(
            await session.scalars(
                select(Interaction.client_id).where(Interaction.client_id.in_(part)).distinct()
            )
        )
        found.update(
            await session.scalars(
                select(Touch.client_id)
                .where(Touch.client_id.in_(part), Touch.reason.in_(planner.NEXT_TOUCH_REASONS))
                .distinct()
            )
        )
    return found


async def _booked(
    session: AsyncSession, owner_ids: Iterable[int], since: date
) -> dict[int, Counter[date]]:
    """Open first touches per owner and day from `since` (an earlier import's, a /new's)."""
    booked: dict[int, Counter[date]] = defaultdict(Counter)
    rows = await session.execute(
        select(Touch.member_id, Touch.due_on, func.count())
        .where(
            Touch.member_id.in_(list(owner_ids)),
            Touch.reason == TouchReason.CADENCE,
            Touch.status.in_(OPEN_STATUSES),
            Touch.dedupe_key.startswith("first:"),
            Touch.due_on >= since,
        )
        .group_by(Touch.member_id, Touch.due_on)
    )
    for member_id, due_on, count in rows:
        booked[member_id][due_on] += count
    return booked


async def plan_imported(
    session: AsyncSession, client_ids: Iterable[int], now: datetime
) -> FirstTouchSpread:
    """First touches of the imported clients nobody has contacted yet, spread per owner (see
    the module's docstring). Clients with a contact history, or a next touch already, are the
    sweep's: it plans them by their rhythm."""
    report = FirstTouchSpread()
    facts = await planner.client_facts(session, client_ids)
    contacted = await _contacted(session, [client.id for client in facts])
    facts = [client for client in facts if client.id not in contacted]
    if not facts:
        return report
    policies = await all_policies(session)
    owners = {
        member.id: member
        for member in await session.scalars(
            select(Member).where(Member.id.in_({client.owner_id for client in facts}))
        )
    }
    groups: dict[int, list[_Newcomer]] = defaultdict(list)
    owner_schedules = {owner_id: member_schedule(owner) for owner_id, owner in owners.items()}
    # Clients of one owner mostly share a calling window: their first day is the same.
    starts: dict[tuple[Schedule, int], date] = {}
    deadlines: dict[tuple[Schedule, Category], date] = {}
    for client in facts:
        owner = owners[client.owner_id]
        schedule = planner.client_schedule(client)
        start = starts.get((schedule, owner.id))
        if start is None:
            start = planner.first_touch_day(now, schedule, owner_schedules[owner.id])
            starts[schedule, owner.id] = start
        deadline = deadlines.get((schedule, client.category))
        if deadline is None:
            # When the cadence from today would have had it: nobody waits longer than that.
            today = planner.local_today(now, client.timezone)
            cadence = timedelta(days=policies[client.category].cadence_days)
            deadline = planner.next_working_day(today + cadence, schedule)
            deadlines[schedule, client.category] = deadline
        deadline = max(start, deadline)
        groups[owner.id].append(_Newcomer(client, schedule, start, deadline))
    since = min(newcomer.start for group in groups.values() for newcomer in group)
    booked = await _booked(session, groups, since)
    rows: list[dict[str, Any]] = []
    for owner_id, group in groups.items():
        group.sort(
            key=lambda newcomer: (
                planner.CATEGORY_ORDER[newcomer.facts.category],
                newcomer.deadline,
                newcomer.facts.id,
            )
        )
        owner = owners[owner_id]
        days = spread_days(group, owner_schedules[owner_id], booked[owner_id])
        goal = planner.first_contact_goal(owner.language)
        per_day: Counter[date] = Counter(days)
        report.per_owner_day[owner_id] = per_day
        # The day's first touches in all: an earlier import's count too.
        busiest = max(count + booked[owner_id][day] for day, count in per_day.items())
        report.max_per_day = max(report.max_per_day, busiest)
        rows.extend(
            {
                "client_id": newcomer.facts.id,
                "member_id": owner_id,
                "contact_id": None,
                "due_on": day,
                "reason": TouchReason.CADENCE,
                "status": TouchStatus.PLANNED,
                "goal": goal,
                "draft_text": None,
                "occasion_key": None,
                "occasion_on": None,
                "key_date_id": None,
                "event_id": None,
                "dedupe_key": planner.first_touch_key(newcomer.facts.id),
                "created_at": now,
            }
            for newcomer, day in zip(group, days, strict=True)
        )
    await planner.insert_touches(session, rows)
    report.planned = len(rows)
    report.first_day = min(row["due_on"] for row in rows)
    report.last_day = max(row["due_on"] for row in rows)
    return report


# Moving the first touch from the card answering /new.


class FirstTouchGoneError(Exception):
    """The touch is no longer an open first touch (done, skipped, replaced by a plan)."""

    def __init__(self, client: Client) -> None:
        super().__init__(client.id)
        self.client = client


@dataclass(frozen=True)
class MovedFirstTouch:
    """Where a first touch went: `asked` was a day off of the client or the owner when it
    differs from the touch's new `due_on`."""

    touch: Touch
    client: Client
    asked: date
    previous: date

    @property
    def shifted(self) -> bool:
        """Whether the day asked for was a day off, so the touch went to the next working day."""
        return self.asked != self.touch.due_on

    @property
    def changed(self) -> bool:
        """Whether the touch is due on another day than before."""
        return self.previous != self.touch.due_on


async def open_first_touch(
    session: AsyncSession, member: Member, touch_id: int, now: datetime
) -> tuple[Touch, Client]:
    """The member's open first touch and its client. Raises TouchUnavailableError for a touch
    that is not theirs (recorded by the access check), FirstTouchGoneError for one no longer
    open or no longer a first touch."""
    touch, client = await touch_for(session, member, touch_id, now)
    if touch.status not in OPEN_STATUSES or not planner.is_first_touch(touch):
        raise FirstTouchGoneError(client)
    return touch, client


def client_today(client: Client, now: datetime) -> date:
    """Today in the client's calendar (a first touch's due date is the client's)."""
    return planner.local_today(now, client.timezone)


async def move_first_touch(
    session: AsyncSession, member: Member, touch_id: int, day: date, now: datetime
) -> MovedFirstTouch:
    """Move the member's open first touch to `day` — to the next working day of the client and
    its owner when `day` is a day off; a snooze it had is over. Raises as `open_first_touch`."""
    touch, client = await open_first_touch(session, member, touch_id, now)
    owner = await session.get(Member, client.owner_id)
    schedules = [planner.client_schedule(client)]
    if owner is not None:
        schedules.append(member_schedule(owner))
    previous = touch.due_on
    touch.due_on = planner.next_working_day(day, *schedules)
    touch.status = TouchStatus.PLANNED
    touch.snoozed_until = None
    touch.due_at = None
    await session.flush()
    return MovedFirstTouch(touch=touch, client=client, asked=day, previous=previous)
