"""Pure rules behind the client card: contact frequency, key-date calendar, staleness, calling
windows across zones, and splitting a long card into Telegram-sized pages.

Name matching lives in services/names.py; this module never compares names.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

FREQUENCY_WINDOW_DAYS = 180
REGULAR_MIN_COUNT = 3
# A client touched at least every ~two months (median spacing) is in regular contact.
REGULAR_MAX_GAP_DAYS = 60
FEBRUARY = 2
LEAP_DAY = 29
# Telegram refuses messages over 4096 characters; an HTML entity must never be cut in half.
TELEGRAM_LIMIT = 4096
_LONGEST_ENTITY = len("&quot;")


class Frequency(StrEnum):
    """How often the team is in contact with a client, derived from the interaction history."""

    NONE = "none"
    ONE_OFF = "one_off"
    RARE = "rare"
    REGULAR = "regular"


def contact_frequency(moments: Sequence[datetime], now: datetime) -> Frequency:
    """One-off, rare or regular, by the interactions of the last 180 days and their spacing.

    No history at all is NONE; a single interaction ever is ONE_OFF; at least three in the last
    180 days with a median spacing of at most 60 days, the last one within 60 days, is REGULAR;
    anything else is RARE.
    """
    if not moments:
        return Frequency.NONE
    if len(moments) == 1:
        return Frequency.ONE_OFF
    since = now - timedelta(days=FREQUENCY_WINDOW_DAYS)
    recent = sorted(moment for moment in moments if since <= moment <= now)
    if len(recent) < REGULAR_MIN_COUNT:
        return Frequency.RARE
    if (now - recent[-1]).days > REGULAR_MAX_GAP_DAYS:
        return Frequency.RARE
    gaps = [(later - earlier).days for earlier, later in itertools.pairwise(recent)]
    if statistics.median(gaps) <= REGULAR_MAX_GAP_DAYS:
        return Frequency.REGULAR
    return Frequency.RARE


def occurrence_in(year: int, day: int, month: int) -> date:
    """The date a yearly day.month falls on in `year`: 29 February is kept on 28 February."""
    if month == FEBRUARY and day == LEAP_DAY:
        try:
            return date(year, month, day)
        except ValueError:
            return date(year, FEBRUARY, LEAP_DAY - 1)
    return date(year, month, day)


def next_occurrence(day: int, month: int, today: date) -> date:
    """The next time (today included) a yearly day.month comes round."""
    this_year = occurrence_in(today.year, day, month)
    if this_year >= today:
        return this_year
    return occurrence_in(today.year + 1, day, month)


def years_at(year: int | None, on: date) -> int | None:
    """How many years `on` marks since `year` (an age, an anniversary), when the year is known."""
    if year is None or year >= on.year:
        return None
    return on.year - year


def is_stale(confirmed_at: datetime, reverify_days: int, now: datetime) -> bool:
    """Whether the data were confirmed longer ago than the category's re-verification period."""
    return now - confirmed_at > timedelta(days=reverify_days)


def window_in_zone(
    start: time, end: time, client_zone: ZoneInfo, member_zone: ZoneInfo, on: date
) -> tuple[time, time]:
    """A client's calling window, given in the client's zone, as clock times in the member's."""
    begin = datetime.combine(on, start, tzinfo=client_zone).astimezone(member_zone)
    finish = datetime.combine(on, end, tzinfo=client_zone).astimezone(member_zone)
    return begin.timetz().replace(tzinfo=None), finish.timetz().replace(tzinfo=None)


def same_offset(first: ZoneInfo, second: ZoneInfo, now: datetime) -> bool:
    """Whether two zones show the same clock time at `now`."""
    return now.astimezone(first).utcoffset() == now.astimezone(second).utcoffset()


def clip(text: str, limit: int) -> tuple[str, bool]:
    """`text` cut to at most `limit` characters with «…», and whether it was cut."""
    if len(text) <= limit:
        return text, False
    return text[: max(limit - 1, 0)].rstrip() + "…", True


def _safe_cut(text: str, cut: int) -> int:
    """Move a cut back so that it does not fall inside an HTML entity such as «&amp;»."""
    amp = text.rfind("&", max(cut - _LONGEST_ENTITY, 0), cut)
    if amp != -1 and text.find(";", amp, cut) == -1:
        return amp
    return cut


def _cut_point(text: str, size: int) -> int:
    """Where to break `text` to keep at most `size` characters: a line end, a word end, or
    (for one unbroken word) just before `size`, never inside an HTML entity."""
    cut = text.rfind("\n", 0, size)
    if cut < size // 2:
        cut = text.rfind(" ", 0, size)
    if cut < size // 2:
        cut = _safe_cut(text, size)
    return cut if cut > 0 else size


def split_pages(text: str, size: int) -> list[str]:
    """Escaped plain text in pieces of at most `size` characters, broken at line or word ends
    and never inside an HTML entity."""
    pages: list[str] = []
    rest = text
    while len(rest) > size:
        cut = _cut_point(rest, size)
        pages.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    pages.append(rest)
    return pages


def paginate_lines(lines: Sequence[str], size: int) -> list[str]:
    """Lines joined into pages of at most `size` characters each.

    Each line must be valid HTML on its own (tags opened and closed within it); a line longer
    than a page must be plain escaped text: it fills the rest of the current page and goes on
    over the next ones, split between words.
    """
    pages: list[str] = []
    current: list[str] = []
    length = 0
    for line in lines:
        rest = line
        while True:
            room = size - length - (1 if current else 0)
            if len(rest) <= room:
                if current or rest:  # a blank separator never opens a page
                    current.append(rest)
                    length += len(rest) + (1 if len(current) > 1 else 0)
                break
            if len(rest) > size and room >= size // 4:
                cut = _cut_point(rest, room)
                current.append(rest[:cut].rstrip())
                rest = rest[cut:].lstrip()
            pages.append("\n".join(current).rstrip("\n"))
            current, length = [], 0
    if current or not pages:
        pages.append("\n".join(current).rstrip("\n"))
    return pages


def page_bounds(total: int, page: int, per_page: int) -> tuple[int, int, int]:
    """(first index, end index, page clamped into range) of one page of `total` items."""
    pages = page_count(total, per_page)
    page = min(max(page, 0), pages - 1)
    return page * per_page, min((page + 1) * per_page, total), page


def page_count(total: int, per_page: int) -> int:
    """How many pages `total` items take (at least one)."""
    return max((total + per_page - 1) // per_page, 1)
