"""Calling windows across time zones: when a client may be called and a member is at work.

A `Schedule` is a daily window (local start and end time) on some week days in one time zone,
optionally off on Russian public holidays. The planner asks for the first moment on or after a
touch's due time that lies inside both the client's calling window and the member's working
hours; the digest asks for the common interval of a member's day, or for the client's window
translated into the member's local time when the two never meet. Everything here is pure: no
database, no clock — callers pass "now" in.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

DEFAULT_HORIZON_DAYS = 14
# Dates on both sides of the DST changes of the northern hemisphere, for a date-free check.
_SEASON_PROBES = (date(2026, 1, 5), date(2026, 7, 6))

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Schedule:
    """A daily window in a zone: `start`–`end` local time on `weekdays` (Monday = 0)."""

    zone: ZoneInfo
    start: time
    end: time
    weekdays: frozenset[int]
    observe_holidays: bool = True

    @property
    def is_empty(self) -> bool:
        """Whether the window contains no moment at all (end not after start, or no days)."""
        return self.end <= self.start or not self.weekdays


@lru_cache(maxsize=64)
def russian_holidays(year: int) -> frozenset[date]:
    """Russian public holidays and the days off they are moved to, for one year."""
    return frozenset(holidays.country_holidays("RU", years=year).keys())


def is_russian_holiday(day: date) -> bool:
    """Whether a date is a Russian public holiday or a day off moved from one."""
    return day in russian_holidays(day.year)


def is_working_day(day: date, schedule: Schedule) -> bool:
    """Whether `day` (in the schedule's own zone) is one of its working days."""
    if day.weekday() not in schedule.weekdays:
        return False
    return not (schedule.observe_holidays and is_russian_holiday(day))


def is_working_moment(moment: datetime, schedule: Schedule) -> bool:
    """Whether `moment` lies inside the schedule's window on a working day."""
    window = _local_window(_require_aware(moment).astimezone(schedule.zone).date(), schedule)
    return window is not None and window[0] <= moment < window[1]


def _local_window(day: date, schedule: Schedule) -> Interval | None:
    """The schedule's window on a local date, in UTC, or None on a day off."""
    if schedule.is_empty or not is_working_day(day, schedule):
        return None
    # A start inside a spring-forward gap resolves to the later wall time, which is fine:
    # the window simply opens when the clock says it has.
    opens = datetime.combine(day, schedule.start, tzinfo=schedule.zone).astimezone(UTC)
    closes = datetime.combine(day, schedule.end, tzinfo=schedule.zone).astimezone(UTC)
    return (opens, closes) if closes > opens else None


def _windows_between(schedule: Schedule, since: datetime, until: datetime) -> Iterator[Interval]:
    """The schedule's windows, in UTC and in order, for every local day touching the range."""
    first = since.astimezone(schedule.zone).date() - timedelta(days=1)
    last = until.astimezone(schedule.zone).date() + timedelta(days=1)
    day = first
    while day <= last:
        window = _local_window(day, schedule)
        if window is not None:
            yield window
        day += timedelta(days=1)


def _intersect(left: Iterable[Interval], right: Iterable[Interval]) -> Iterator[Interval]:
    """Pairwise intersections of two sorted runs of disjoint intervals, in order.

    Lazy on both sides: the first common interval costs only the windows up to it, not the
    whole horizon's (a morning's reminders asked for 40 windows each, then used the first).
    """
    lefts, rights = iter(left), iter(right)
    one, other = next(lefts, None), next(rights, None)
    while one is not None and other is not None:
        start = max(one[0], other[0])
        end = min(one[1], other[1])
        if start < end:
            yield start, end
        if one[1] <= other[1]:
            one = next(lefts, None)
        else:
            other = next(rights, None)


def _require_aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        msg = "an aware datetime is required"
        raise ValueError(msg)
    return moment.astimezone(UTC)


def common_intervals_between(
    since: datetime, until: datetime, client: Schedule, member: Schedule
) -> list[Interval]:
    """Every UTC interval within [since, until) when the client may be called and the member works.

    Intervals are clipped to the range and ordered.
    """
    since = _require_aware(since)
    until = _require_aware(until)
    if until <= since or client.is_empty or member.is_empty:
        return []
    client_windows = list(_windows_between(client, since, until))
    member_windows = list(_windows_between(member, since, until))
    result = []
    for start, end in _intersect(client_windows, member_windows):
        clipped_start, clipped_end = max(start, since), min(end, until)
        if clipped_start < clipped_end:
            result.append((clipped_start, clipped_end))
    return result


def first_common_interval(
    not_before: datetime,
    client: Schedule,
    member: Schedule,
    *,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> Interval | None:
    """The first common interval starting at or after `not_before` (clipped to it), in UTC.

    Its end is when the reminder stops making sense: the client's window or the member's day
    closes. None when nothing opens within `horizon_days` of `not_before`.
    """
    since = _require_aware(not_before)
    until = since + timedelta(days=horizon_days)
    if client.is_empty or member.is_empty:
        return None
    for opens, closes in _intersect(
        _windows_between(client, since, until), _windows_between(member, since, until)
    ):
        if closes <= since:
            continue
        start = max(opens, since)
        return (start, closes) if start < until else None
    return None


def first_common_moment(
    not_before: datetime,
    client: Schedule,
    member: Schedule,
    *,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> datetime | None:
    """The earliest UTC moment ≥ `not_before` when the client may be called and the member works.

    None if the client's window and the member's working hours do not meet within the horizon.
    """
    interval = first_common_interval(not_before, client, member, horizon_days=horizon_days)
    return interval[0] if interval is not None else None


def common_intervals(day: date, client: Schedule, member: Schedule) -> list[Interval]:
    """All common UTC intervals of the member's local `day` (usually one, rarely two)."""
    member_window = _local_window(day, member)
    if member_window is None:
        return []
    return common_intervals_between(*member_window, client, member)


def common_interval(day: date, client: Schedule, member: Schedule) -> Interval | None:
    """When, on the member's local `day`, the client can be called: the first common interval."""
    intervals = common_intervals(day, client, member)
    return intervals[0] if intervals else None


def window_in_zone(client: Schedule, zone: ZoneInfo, on: date) -> tuple[time, time, int]:
    """The client's window of the client-local date `on` as local times of `zone`.

    The third value is how many days the opening lies from `on` in `zone` (-1, 0 or +1); an end
    earlier than the start means the translated window crosses midnight.
    """
    opens = datetime.combine(on, client.start, tzinfo=client.zone).astimezone(zone)
    closes = datetime.combine(on, client.end, tzinfo=client.zone).astimezone(zone)
    return opens.time(), closes.time(), (opens.date() - on).days


def overlaps_ever(client: Schedule, member: Schedule, *, on: date | None = None) -> bool:
    """Whether a reminder can ever be pushed: the window and the working hours ever meet.

    Holidays are ignored (they only postpone). Two weeks from `on` are checked — or, without a
    date, a winter and a summer fortnight, so a zone with daylight saving counts either way.
    """
    client = replace(client, observe_holidays=False)
    member = replace(member, observe_holidays=False)
    probes = (on,) if on is not None else _SEASON_PROBES
    return any(
        first_common_moment(
            datetime.combine(probe, time(0), tzinfo=UTC) - timedelta(days=1), client, member
        )
        is not None
        for probe in probes
    )
