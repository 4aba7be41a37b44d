"""What people type, checked and normalised: times, windows, days, dates, phones, e-mails, INN.

Every failure is a `ValidationError` with a code from the `errors` catalog and its parameters, so
a handler answers `tr(f"errors.{error.code}", **error.params)` and saves nothing.
"""

from __future__ import annotations

import re
from datetime import date, time
from functools import lru_cache
from typing import Any

import phonenumbers

# A leap year, so that 29 February is a valid day without a year.
_LEAP_YEAR = 2024
_INN_LEGAL_LENGTH = 10
_INN_PERSON_LENGTH = 12
_INN_10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN_12_FIRST = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN_12_SECOND = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_MAX_HOUR = 23
_MAX_MINUTE = 59
_MIN_YEAR = 1900

_TIME = re.compile(r"^\s*(?P<h>\d{1,2})(?:\s*[:.\-h ]\s*(?P<m>\d{2}))?\s*$")
_WINDOW = re.compile(
    r"^\s*(?:с\s+|from\s+)?(?P<start>\d{1,2}(?:[:.]\d{2})?)\s*(?:[-–—]|до|to|till)\s*"
    r"(?P<end>\d{1,2}(?:[:.]\d{2})?)\s*$"
)
_EMAIL = re.compile(r"^[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)*\.[a-zа-я]{2,}$", re.IGNORECASE)
_DAY_MONTH = re.compile(r"^\s*(?P<d>\d{1,2})[./\-](?P<m>\d{1,2})(?:[./\-](?P<y>\d{2,4}))?\s*$")

WEEKDAY_NAMES = {
    "ru": ("пн", "вт", "ср", "чт", "пт", "сб", "вс"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_WEEKDAY_ALIASES: dict[str, int] = {}
for _index, _names in enumerate(
    (
        ("пн", "пон", "понедельник", "mon", "monday", "mo"),
        ("вт", "вто", "вторник", "tue", "tuesday", "tu"),
        ("ср", "сре", "среда", "wed", "wednesday", "we"),
        ("чт", "чет", "четверг", "thu", "thursday", "th"),
        ("пт", "пят", "пятница", "fri", "friday", "fr"),
        ("сб", "суб", "суббота", "sat", "saturday", "sa"),
        ("вс", "вос", "воскресенье", "sun", "sunday", "su"),
    )
):
    for _name in _names:
        _WEEKDAY_ALIASES[_name] = _index

MONTHS_RU = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip
_MONTH_WORDS: dict[str, int] = {}
for _number, _word in enumerate(MONTHS_RU, start=1):
    _MONTH_WORDS[_word[:3]] = _number
for _number, _word in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
):
    _MONTH_WORDS[_word] = _number
_DAY_MONTH_WORDS = re.compile(r"^\s*(?P<d>\d{1,2})\s+(?P<m>[a-zа-яё]+)\.?(?:\s+(?P<y>\d{4}))?\s*$")


class ValidationError(ValueError):
    """A typed value that can't be accepted; `code` names the message in the errors catalog."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def parse_time(text: str) -> time:
    """«9», «9:30», «8.30», «18-00» → a time of day."""
    match = _TIME.match(text.replace("—", "-"))
    if match is None:
        raise ValidationError("time_invalid", text=text.strip()[:40])
    hour, minute = int(match["h"]), int(match["m"] or 0)
    if hour > _MAX_HOUR or minute > _MAX_MINUTE:
        raise ValidationError("time_invalid", text=text.strip()[:40])
    return time(hour, minute)


def parse_time_window(text: str) -> tuple[time, time]:
    """«9:00–18:00», «10-19», «с 10 до 14» → (start, end); the end must come after the start."""
    match = _WINDOW.match(text.casefold())
    if match is None:
        raise ValidationError("window_invalid", text=text.strip()[:40])
    start, end = parse_time(match["start"]), parse_time(match["end"])
    if end <= start:
        raise ValidationError(
            "window_reversed", start=start.strftime("%H:%M"), end=end.strftime("%H:%M")
        )
    return start, end


def parse_weekdays(text: str) -> frozenset[int]:
    """«пн-пт», «пн, ср, пт», «Mon–Sat», «ежедневно» → week days, Monday = 0."""
    cleaned = text.casefold().replace("—", "-").replace("–", "-")
    if cleaned.strip() in {"ежедневно", "каждый день", "все", "daily", "every day", "all"}:
        return frozenset(range(7))
    cleaned = re.sub(r"\s*-\s*", "-", cleaned)
    days: set[int] = set()
    for part in re.split(r"[,;\s]+", cleaned):
        bounds = [bound.strip().strip(".") for bound in part.split("-")]
        if not any(bounds):
            continue
        try:
            numbers = [_WEEKDAY_ALIASES[bound] for bound in bounds if bound]
        except KeyError:
            raise ValidationError("days_invalid", text=text.strip()[:40]) from None
        if len(numbers) == 1:
            days.add(numbers[0])
        elif len(numbers) == 2:
            first, last = numbers
            span = (
                range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)]
            )
            days.update(span)
        else:
            raise ValidationError("days_invalid", text=text.strip()[:40])
    if not days:
        raise ValidationError("days_invalid", text=text.strip()[:40])
    return frozenset(days)


def days_code(days: frozenset[int]) -> str:
    """Week days as stored on clients and contacts: «01234» for Monday to Friday."""
    return "".join(str(day) for day in sorted(days))


def format_weekdays(days: frozenset[int] | str, language: str) -> str:
    """Week days as people write them: «пн–пт», «пн, ср, пт», «ежедневно»."""
    numbers = sorted({int(day) for day in days})
    names = WEEKDAY_NAMES.get(language, WEEKDAY_NAMES["en"])
    if len(numbers) == 7:
        return "ежедневно" if language == "ru" else "every day"
    if len(numbers) >= 3 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{names[numbers[0]]}–{names[numbers[-1]]}"
    return ", ".join(names[number] for number in numbers)


def parse_day_month(text: str) -> tuple[int, int, int | None]:
    """«15.03», «29.02», «15.03.1980», «15 марта» → (day, month, year or None).

    A date without a year must exist in some year (29 February does); with a year, in that year.
    """
    cleaned = text.casefold().replace("ё", "е")
    match = _DAY_MONTH.match(cleaned)
    if match is not None:
        day, month = int(match["d"]), int(match["m"])
        year_text = match["y"]
    else:
        words = _DAY_MONTH_WORDS.match(cleaned)
        month_number = _MONTH_WORDS.get(words["m"][:3]) if words else None
        if words is None or month_number is None:
            raise ValidationError("date_invalid", text=text.strip()[:40])
        day, month, year_text = int(words["d"]), month_number, words["y"]
    year: int | None = None
    if year_text:
        year = int(year_text)
        if year < 100:
            year += 1900 if year > 30 else 2000
    try:
        date(year or _LEAP_YEAR, month, day)
    except ValueError:
        raise ValidationError("date_impossible", text=text.strip()[:40]) from None
    if year is not None and year < _MIN_YEAR:
        raise ValidationError("date_impossible", text=text.strip()[:40])
    return day, month, year


# Remembered per distinct text: an import checks its file on arrival and again on
# confirmation, 20,000 phones through phonenumbers each time (half of the check's time).
@lru_cache(maxsize=32_768)
def normalize_phone(text: str, region: str = "RU") -> str:
    """A phone in E.164; «8 912 …» and «+7 912 …» are the same number."""
    cleaned = text.strip()
    digits = re.sub(r"\D", "", cleaned)
    if region == "RU" and len(digits) == 11 and digits[0] == "8":
        cleaned = "+7" + digits[1:]
    try:
        number = phonenumbers.parse(cleaned, region)
    except phonenumbers.NumberParseException:
        raise ValidationError("phone_invalid", text=text.strip()[:40]) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError("phone_invalid", text=text.strip()[:40])
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# A Russian mobile number in E.164: the bulk of a sales base, all with one layout.
_RU_MOBILE = re.compile(r"\+79\d{9}")


@lru_cache(maxsize=8192)
def format_phone(e164: str) -> str:
    """A stored phone for reading: «+7 912 345-67-89» (remembered: a morning's digests and
    reminders format the same numbers)."""
    if _RU_MOBILE.fullmatch(e164):
        # What phonenumbers answers for every one of them, at a hundredth of its cost.
        return f"{e164[:2]} {e164[2:5]} {e164[5:8]}-{e164[8:10]}-{e164[10:]}"
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalize_email(text: str) -> str:
    """A plausible e-mail address, lower-cased."""
    cleaned = text.strip().lower()
    if len(cleaned) > 254 or not _EMAIL.match(cleaned):
        raise ValidationError("email_invalid", text=text.strip()[:60])
    return cleaned


def validate_inn(text: str) -> str:
    """A Russian INN: 10 digits for a company, 12 for a person, with valid check digits."""
    digits = re.sub(r"\s", "", text)
    if not digits.isdigit() or len(digits) not in {_INN_LEGAL_LENGTH, _INN_PERSON_LENGTH}:
        raise ValidationError("inn_invalid", text=text.strip()[:20])
    values = [int(char) for char in digits]

    def check(weights: tuple[int, ...]) -> int:
        return sum(w * v for w, v in zip(weights, values, strict=False)) % 11 % 10

    if len(values) == _INN_LEGAL_LENGTH:
        valid = check(_INN_10_WEIGHTS) == values[9]
    else:
        valid = check(_INN_12_FIRST) == values[10] and check(_INN_12_SECOND) == values[11]
    if not valid:
        raise ValidationError("inn_invalid", text=digits)
    return digits


_QUOTES = '"«»“”„'
_OPENING_AFTER = "([{"
_CYRILLIC = re.compile(r"[а-яёА-ЯЁ]")
# Russian corporate forms, whose name is written in quotes: ООО «Вектор». A sole trader's is
# not (ИП Иванов И. И.).
_QUOTED_FORMS = frozenset(
    {"ооо", "оао", "зао", "пао", "ао", "нко", "ано", "гуп", "муп", "фгуп", "тоо"}
)
_UNQUOTED_COMPANY = re.compile(
    r"^(?P<form>[а-яё]{2,4})\.?\s+(?P<rest>[^,()\[\]]+)$", re.IGNORECASE
)


def client_name(text: str | None, *, max_length: int) -> str:
    """A client's name as typed, with its quotes made whole: `ООО "Вектор"` and «ООО «Вектор»»
    (the whole name quoted) become ООО «Вектор», a stray «ООО «Вектор»»» loses its extra
    quote and «ООО «Вектор» gets its missing one; ООО Вектор typed without quotes gets them.
    Names without Cyrillic keep their quotes."""
    name = clean_text(text, max_length=max_length)
    if not any(char.isalnum() for char in name):
        # «???» or «—» would be a client nobody can find, name or tell apart in a list.
        raise ValidationError("name_no_letters", text=name[:40])
    if not _CYRILLIC.search(name):
        return name
    if not any(char in _QUOTES for char in name):
        return _quoted_company(name, max_length)
    opening: list[int] = []
    pairs: dict[int, int] = {}  # opening index → closing index
    stray: set[int] = set()
    opened_last: bool | None = None  # whether the quote right before this one opened
    for number, char in enumerate(name):
        if char not in _QUOTES:
            opened_last = None
            continue
        before = name[number - 1] if number else " "
        if char in "«„":
            opens = True
        elif char == "»":
            opens = False
        elif opened_last is not None:  # `""Вектор""`: a quote goes the way of the one before
            opens = opened_last
        else:
            opens = before.isspace() or before in _OPENING_AFTER
        opened_last = opens
        if opens:
            opening.append(number)
        elif opening:
            pairs[opening.pop()] = number
        else:
            stray.add(number)
    end = len(name)
    for number in reversed(opening):  # «ООО «Вектор: closed at the end of the name
        pairs[number] = end
        end += 1
    closing_at = {close: start for start, close in pairs.items()}
    dropped = set(stray)
    for start, close in pairs.items():
        # «ООО «Вектор»» quoted as a whole, or ««Вектор»» doubled: the outer pair goes.
        whole = start == 0 and close == end - 1
        doubled = pairs.get(start + 1) == close - 1
        empty = close == start + 1
        if whole or doubled or empty:
            dropped.update({start, close})
    built = []
    for number in range(end):
        if number in dropped:
            continue
        if number in pairs:
            built.append("«")
        elif number in closing_at:
            built.append("»")
        else:
            built.append(name[number])
    fixed = "".join(built)
    fixed = re.sub(r"«\s+", "«", re.sub(r"\s+»", "»", fixed)).strip()
    return fixed or name


def _quoted_company(name: str, max_length: int) -> str:
    """«ООО Вектор Плюс» typed without quotes → ООО «Вектор Плюс», as Russian companies are
    written; other names, and names already quoted, are left as typed."""
    found = _UNQUOTED_COMPANY.match(name)
    if found is None or found["form"].casefold() not in _QUOTED_FORMS:
        return name
    quoted = f"{found['form'].upper()} «{' '.join(found['rest'].split())}»"
    return quoted if len(quoted) <= max_length else name


def clean_text(text: str | None, *, max_length: int) -> str:
    """Typed free text without control characters, trimmed; empty or too long is refused."""
    cleaned = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", text or "").strip()
    if not cleaned:
        raise ValidationError("text_empty")
    if len(cleaned) > max_length:
        raise ValidationError("text_too_long", limit=max_length, length=len(cleaned))
    return cleaned
