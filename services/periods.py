"""Periods typed after /team and /stats, read into runs of calendar days, in Russian or English.

A period is one of:
- a moving window up to today: nothing or «неделя» / «week» (Monday to today), «месяц»,
  «квартал», «год» (the 1st of the month / quarter / year to today), «с начала года»;
- a previous whole one: «прошлая неделя», «прошлый месяц», «прошлый квартал», «прошлый год»
  («last week», «last quarter»…);
- the last days: «последние 30 дней», «30 дней», «2 недели», «3 месяца», «last 30 days», «30d»;
- a day: «сегодня», «вчера», «позавчера», «15.11», «15.11.2026», «2026-11-15», «15 ноября»,
  «Nov 15»;
- a month, a quarter, a year: «ноябрь», «за ноябрь», «ноябрь 2025», «2026-11», «Q4», «4 квартал»,
  «IV квартал 2025», «2026»;
- a range of those: «01.11–15.11», «с 1 по 15 ноября», «1-15 ноября», «1–15 Nov», «октябрь-ноябрь»,
  «с 01.11 по 15.11», «from Nov 1 to Nov 15»; or an open one: «с 1 ноября», «since Nov 1».

Without a year, a date, a month or a quarter is the latest one that has begun: «4.12» typed on
3 December 2026 is 4 December 2025, «ноябрь» typed in March is last November. A period whose end
is still ahead is clipped to today; one that has not begun is an error, as is one longer than
MAX_PERIOD_DAYS.

Why not `services.parsing.read_day`: it reads when the *next* touch is due, so a date without a
year is the coming one; a period looks back. The grammar here is small and token-based instead.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from services.validation import ValidationError

MAX_PERIOD_DAYS = 366
_MIN_YEAR = 2000
_MAX_WRAP_DAYS = 92
_MAX_COUNT = 999
_LAST_MONTH = 12
_LAST_DAY = 31
_CENTURY = 2000
_TWO_DIGITS = 100


class PeriodKind(StrEnum):
    """How a period was named: a day, a week, a month, a quarter, a year or a range of dates."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    RANGE = "range"


@dataclass(frozen=True)
class Period:
    """A run of calendar days, both ends included."""

    first: date
    last: date
    kind: PeriodKind = PeriodKind.RANGE

    @property
    def days(self) -> int:
        """How many calendar days the period spans."""
        return (self.last - self.first).days + 1

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The period in UTC as seen from a zone: its first midnight, and the one after it."""
        start = datetime.combine(self.first, time(0), tzinfo=zone).astimezone(UTC)
        end = datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=zone)
        return start, end.astimezone(UTC)


class PeriodError(ValidationError):
    """A period that can't be read; `code` is a key of the `stats` catalog.

    A period that has not begun yet carries it in `period`, so the answer can name its dates.
    """

    def __init__(self, code: str, period: Period | None = None, **params: object) -> None:
        super().__init__(code, **params)
        self.period = period


# ---------------------------------------------------------------------------------------------
# Words

_FILLER = frozenset(
    {"за", "в", "во", "на", "this", "the", "for", "in", "of", "эта", "эту", "этот", "этой",
     "этом", "текущая", "текущую", "текущий", "текущем", "current", "весь", "всю", "whole", "г"}
)  # fmt: skip
# A year word after a year number is filler («2026 год»); alone, «год» is a period.
_YEAR_AFTER_NUMBER = frozenset({"г", "год", "года", "году", "year"})
_SINCE = frozenset({"с", "со", "since", "from"})
_UNTIL = frozenset({"-", "по", "до", "to", "till", "until", "through", "thru"})
_PREVIOUS = frozenset(
    {"прошлая", "прошлую", "прошлый", "прошлой", "прошлом", "предыдущая", "предыдущую",
     "предыдущий", "предыдущем", "last", "previous", "prev"}
)  # fmt: skip
_RECENT = frozenset(
    {"последние", "последних", "последний", "последнюю", "последняя", "last", "past"}
)  # fmt: skip
_START = frozenset({"начала", "начало", "start", "beginning"})
_UNITS: dict[str, PeriodKind] = {
    **dict.fromkeys(("день", "дня", "дней", "дн", "д", "day", "days", "d"), PeriodKind.DAY),
    **dict.fromkeys(
        ("неделя", "неделю", "неделе", "недели", "недель", "нед", "week", "weeks", "w"),
        PeriodKind.WEEK,
    ),
    **dict.fromkeys(
        ("месяц", "месяца", "месяце", "месяцев", "мес", "month", "months", "m"), PeriodKind.MONTH
    ),
    **dict.fromkeys(
        ("квартал", "квартала", "квартале", "кварталы", "кв", "quarter", "qtr", "q"),
        PeriodKind.QUARTER,
    ),
    **dict.fromkeys(("год", "года", "году", "year", "y"), PeriodKind.YEAR),
}
_TODAY = frozenset({"сегодня", "today"})
_YESTERDAY = frozenset({"вчера", "yesterday"})
_BEFORE_YESTERDAY = frozenset({"позавчера"})
_QUARTER_NUMBERS = {
    "1": 1, "2": 2, "3": 3, "4": 4, "i": 1, "ii": 2, "iii": 3, "iv": 4, "первый": 1,
    "первого": 1, "второй": 2, "второго": 2, "третий": 3, "третьего": 3, "четвертый": 4,
    "четвертого": 4, "first": 1, "second": 2, "third": 3, "fourth": 4,
}  # fmt: skip
_MONTH_FORMS: dict[str, int] = {}
for _number, (_stem, _endings, _short) in enumerate(
    (
        ("январ", "ьяе", "янв jan january"),
        ("феврал", "ьяе", "фев feb february"),
        ("март", " ае", "мар mar march"),
        ("апрел", "ьяе", "апр apr april"),
        ("ма", "йяе", "may"),
        ("июн", "ьяе", "jun june"),
        ("июл", "ьяе", "jul july"),
        ("август", " ае", "авг aug august"),
        ("сентябр", "ьяе", "сен сент sep sept september"),
        ("октябр", "ьяе", "окт oct october"),
        ("ноябр", "ьяе", "ноя нояб nov november"),
        ("декабр", "ьяе", "дек dec december"),
    ),
    start=1,
):
    for _ending in _endings:
        _MONTH_FORMS[(_stem + _ending).strip()] = _number
    for _word in _short.split():
        _MONTH_FORMS[_word] = _number

# Words that only a period uses: with one of them, text that isn't a period was meant as one.
PERIOD_WORDS = frozenset(
    {*_UNITS, *_TODAY, *_YESTERDAY, *_BEFORE_YESTERDAY, *_PREVIOUS, *_RECENT, *_MONTH_FORMS}
    - {"d", "m", "w", "y", "q", "д", "may"}
)

_ISO = re.compile(r"(?<!\d)(?<!\d\.)(\d{4})-(\d{1,2})(?:-(\d{1,2}))?(?!\d|\.\d)")
_ORDINAL = re.compile(r"(\d)-?(?:го|й|ий|ый|ой|ым|st|nd|rd|th)(?![a-zа-я])")
_NUMBER_THEN_WORD = re.compile(r"(\d)([a-zа-я])")
_DASH = re.compile(r"\.\.|[-–—]")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})(?:\.(\d{2}|\d{4}))?$")
_ISO_DAY = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$")
_ISO_MONTH = re.compile(r"^(\d{4})/(\d{1,2})$")
_YEAR = re.compile(r"^\d{4}$")
_DAY = re.compile(r"^\d{1,2}$")
_COUNT = re.compile(r"^\d{1,3}$")
_Q = re.compile(r"^q([1-4])$")


def _tokens(text: str | None) -> list[str]:
    """Lower-case words with ISO dates kept whole and every dash a word of its own."""
    cleaned = (text or "").casefold().replace("ё", "е").replace(",", " ")
    cleaned = _ISO.sub(lambda m: "/".join(part for part in m.groups() if part), cleaned)
    cleaned = _ORDINAL.sub(r"\1", cleaned)
    cleaned = _NUMBER_THEN_WORD.sub(r"\1 \2", cleaned)
    cleaned = _DASH.sub(" - ", cleaned)
    words = [word.rstrip(".") for word in cleaned.split()]
    kept: list[str] = []
    for word in words:
        if word in _YEAR_AFTER_NUMBER and kept and _YEAR.match(kept[-1]):
            continue
        if word in _FILLER and word not in _UNITS:
            continue
        kept.append(word)
    return [word for word in kept if word]


# ---------------------------------------------------------------------------------------------
# A date expression whose year may still be open


@dataclass(frozen=True)
class _Spec:
    """A day, a month, a quarter or a year as typed; `year` None until the context decides.

    A bare day («1» of «1–15 ноября») has month 0 and borrows the month from the other end.
    """

    kind: PeriodKind
    year: int | None
    month: int = 1
    day: int = 1

    @property
    def bare(self) -> bool:
        """A day number without its month."""
        return self.kind is PeriodKind.DAY and self.month == 0

    def span(self, year: int) -> tuple[date, date]:
        """The first and the last day of the expression in a given year."""
        if not _MIN_YEAR <= year < date.max.year:
            raise PeriodError("period_bad_date")
        try:
            if self.kind is PeriodKind.DAY:
                day = date(year, self.month, self.day)
                return day, day
            if self.kind is PeriodKind.MONTH:
                return date(year, self.month, 1), _month_end(year, self.month)
            if self.kind is PeriodKind.QUARTER:
                return date(year, self.month, 1), _month_end(year, self.month + 2)
        except ValueError:
            raise PeriodError("period_bad_date") from None
        return date(year, 1, 1), date(year, 12, 31)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _full_year(text: str) -> int:
    """«26» of «15.11.26» is 2026."""
    year = int(text)
    return year + _CENTURY if year < _TWO_DIGITS else year


def _day(day: int, month: int, year: int | None) -> _Spec:
    if not (1 <= month <= _LAST_MONTH and 1 <= day <= _LAST_DAY):
        raise PeriodError("period_bad_date")
    return _Spec(PeriodKind.DAY, year, month, day)


def _month(month: int, year: int | None) -> _Spec:
    if not 1 <= month <= _LAST_MONTH:
        raise PeriodError("period_bad_date")
    return _Spec(PeriodKind.MONTH, year, month)


def _quarter(number: int, year: int | None) -> _Spec:
    return _Spec(PeriodKind.QUARTER, year, 3 * number - 2)


def _one_word(word: str) -> _Spec | None:
    if match := _DOTTED.match(word):
        year = _full_year(match[3]) if match[3] else None
        return _day(int(match[1]), int(match[2]), year)
    if match := _ISO_DAY.match(word):
        return _day(int(match[3]), int(match[2]), int(match[1]))
    if match := _ISO_MONTH.match(word):
        return _month(int(match[2]), int(match[1]))
    if _YEAR.match(word):
        return _Spec(PeriodKind.YEAR, int(word))
    if _DAY.match(word) and 1 <= int(word) <= _LAST_DAY:
        return _Spec(PeriodKind.DAY, None, 0, int(word))
    if word in _MONTH_FORMS:
        return _month(_MONTH_FORMS[word], None)
    if match := _Q.match(word):
        return _quarter(int(match[1]), None)
    return None


def _spec(words: list[str]) -> _Spec | None:
    """The date expression the words are, or None: «15.11», «1 ноября 2025», «Q4 2025»…"""
    year: int | None = None
    if len(words) > 1 and _YEAR.match(words[-1]):
        year, words = int(words[-1]), words[:-1]
    elif len(words) > 1 and _YEAR.match(words[0]):  # «2025 Q4», «2026 ноябрь»
        year, words = int(words[0]), words[1:]
    if len(words) == 1:
        spec = _one_word(words[0])
        if spec is None or (year is not None and spec.year is not None):
            return None
        if year is None:
            return spec
        if spec.kind is PeriodKind.YEAR or spec.bare:
            return None
        return replace(spec, year=year)
    if len(words) != 2:
        return None
    first, second = words
    if _DAY.match(first) and second in _MONTH_FORMS:
        return _day(int(first), _MONTH_FORMS[second], year)
    if first in _MONTH_FORMS and _DAY.match(second):
        return _day(int(second), _MONTH_FORMS[first], year)
    if first in _QUARTER_NUMBERS and _UNITS.get(second) is PeriodKind.QUARTER:
        return _quarter(_QUARTER_NUMBERS[first], year)
    if _UNITS.get(first) is PeriodKind.QUARTER and second in _QUARTER_NUMBERS:
        return _quarter(_QUARTER_NUMBERS[second], year)
    return None


def _latest(spec: _Spec, today: date) -> tuple[date, date]:
    """The expression's days; without a year, the latest such that has begun."""
    if spec.year is not None:
        return spec.span(spec.year)
    first, last = spec.span(today.year)
    if first > today:
        first, last = spec.span(today.year - 1)
    return first, last


def _range(left: _Spec, right: _Spec, today: date) -> Period:
    """From the start of one expression to the end of the other, years settled together."""
    if left.bare and right.bare:
        raise PeriodError("period_bad")
    if left.bare:  # «1–15 ноября»
        if right.kind is not PeriodKind.DAY:
            raise PeriodError("period_bad")
        left = _day(left.day, right.month, right.year)
    elif right.bare:  # «Nov 1–15»
        if left.kind is not PeriodKind.DAY:
            raise PeriodError("period_bad")
        right = _day(right.day, left.month, left.year)
    if left.year is not None and right.year is not None:
        first, last = left.span(left.year)[0], right.span(right.year)[1]
    elif left.year is None and right.year is None:
        year = today.year
        first, last = left.span(year)[0], right.span(year)[1]
        if last < first:
            # «28.12–05.01» crosses New Year; «15.11–01.11» is simply the wrong way round.
            last = right.span(year + 1)[1]
            if (last - first).days > _MAX_WRAP_DAYS:
                raise PeriodError("period_reversed")
        if first > today:
            first, last = left.span(year - 1)[0], right.span(last.year - 1)[1]
    elif right.year is not None:  # «01.11–15.11.2026»: the year of the end.
        last = right.span(right.year)[1]
        first = left.span(right.year)[0]
        if first > last:
            first = left.span(right.year - 1)[0]
    else:
        assert left.year is not None
        first = left.span(left.year)[0]
        last = right.span(left.year)[1]
        if last < first:
            last = right.span(left.year + 1)[1]
    if last < first:
        raise PeriodError("period_reversed")
    return Period(first, last, PeriodKind.RANGE)


# ---------------------------------------------------------------------------------------------
# Periods named relative to today


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _current(kind: PeriodKind, today: date) -> Period:
    """The week, month, quarter or year that today is in, up to today."""
    if kind is PeriodKind.WEEK:
        return Period(today - timedelta(days=today.weekday()), today, kind)
    if kind is PeriodKind.MONTH:
        return Period(today.replace(day=1), today, kind)
    if kind is PeriodKind.QUARTER:
        return Period(today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today, kind)
    if kind is PeriodKind.YEAR:
        return Period(date(today.year, 1, 1), today, kind)
    return Period(today, today, PeriodKind.DAY)


def _previous(kind: PeriodKind, today: date) -> Period:
    """The whole week, month, quarter or year before the current one."""
    start = _current(kind, today).first
    last = start - timedelta(days=1)
    if kind is PeriodKind.WEEK:
        return Period(last - timedelta(days=6), last, kind)
    if kind is PeriodKind.MONTH:
        return Period(last.replace(day=1), last, kind)
    if kind is PeriodKind.QUARTER:
        return Period(_add_months(start, -3), last, kind)
    if kind is PeriodKind.YEAR:
        return Period(date(last.year, 1, 1), last, kind)
    return Period(last, last, PeriodKind.DAY)


def _recent(count: int, kind: PeriodKind, today: date) -> Period | None:
    """The last `count` days, weeks or months up to today: «последние 30 дней»."""
    if not 1 <= count <= _MAX_COUNT:
        return None
    if kind is PeriodKind.DAY:
        first = today - timedelta(days=count - 1)
    elif kind is PeriodKind.WEEK:
        first = today - timedelta(days=7 * count - 1)
    elif kind is PeriodKind.MONTH:
        first = _add_months(today, -count) + timedelta(days=1)
    else:
        return None
    return Period(first, today, PeriodKind.RANGE)


def _relative(words: list[str], today: date) -> Period | None:
    """Periods named by words rather than dates: «квартал», «прошлый год», «30 дней»."""
    if not words:
        return _current(PeriodKind.WEEK, today)
    if len(words) == 1:
        word = words[0]
        if word in _TODAY:
            return Period(today, today, PeriodKind.DAY)
        if word in _YESTERDAY:
            return _previous(PeriodKind.DAY, today)
        if word in _BEFORE_YESTERDAY:
            day = today - timedelta(days=2)
            return Period(day, day, PeriodKind.DAY)
        if (kind := _UNITS.get(word)) is not None and kind is not PeriodKind.DAY:
            return _current(kind, today)
        return None
    if words == ["day", "before", "yesterday"]:
        return _relative(["позавчера"], today)
    head, *rest = words
    if head in _SINCE and len(rest) == 2 and rest[0] in _START:
        kind = _UNITS.get(rest[1])
        return _current(kind, today) if kind is not None else None
    if head in _RECENT and len(rest) == 1 and _UNITS.get(rest[0]) is PeriodKind.DAY:
        return _recent(1, PeriodKind.DAY, today)
    if head in _PREVIOUS and len(rest) == 1 and (kind := _UNITS.get(rest[0])) is not None:
        return _previous(kind, today)
    if head in _RECENT and len(rest) == 1 and (kind := _UNITS.get(rest[0])) is not None:
        return _recent(1, kind, today)  # «последний месяц»: the last 30-odd days.
    if head in _RECENT:
        head, *rest = rest
    if _COUNT.match(head) and len(rest) == 1 and (kind := _UNITS.get(rest[0])) is not None:
        return _recent(int(head), kind, today)
    return None


# ---------------------------------------------------------------------------------------------
# The whole grammar


def _read(words: list[str], today: date) -> Period:
    if (period := _relative(words, today)) is not None:
        return period
    since = bool(words) and words[0] in _SINCE
    if since:
        words = words[1:]
    cut = next((i for i, word in enumerate(words) if word in _UNTIL), None)
    if cut is not None:
        left, right = _spec(words[:cut]), _spec(words[cut + 1 :])
        if left is None or right is None:
            raise PeriodError("period_bad")
        return _range(left, right, today)
    spec = _spec(words)
    if spec is None or spec.bare:
        raise PeriodError("period_bad")
    first, last = _latest(spec, today)
    if since:
        return Period(first, max(first, today), PeriodKind.RANGE)
    return Period(first, last, spec.kind)


def parse_period(text: str | None, today: date) -> Period:
    """The period a typed text names, relative to the viewer's `today`; PeriodError if none.

    The end is clipped to today; a period that has not begun, or is longer than
    MAX_PERIOD_DAYS, is an error.
    """
    period = _read(_tokens(text), today)
    if period.first > today:
        raise PeriodError("period_future", period)
    if period.last > today:
        period = replace(period, last=today)
    if period.days > MAX_PERIOD_DAYS:
        raise PeriodError("period_too_long", days=MAX_PERIOD_DAYS)
    if period.first.year < _MIN_YEAR:
        raise PeriodError("period_bad_date")
    return period


def looks_like_period(text: str) -> bool:
    """Whether a text that is not a period was still meant as one: it has a digit or a word
    that only periods use («кватрал» is a name for all we know, «2026 кватрал» is not)."""
    return any(char.isdigit() for char in text) or any(
        word in PERIOD_WORDS for word in _tokens(text)
    )
