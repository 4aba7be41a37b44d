"""The planner: which touches exist and when they are due (cadence, follow-ups, occasions,
stale data, company events).

The rule it keeps is «each active client always has one next planned touch»: a cadence touch
(last contact + the category's cadence, never in the past, never above the category's yearly
ceiling, on the client's working day; for a client nobody has contacted yet, a first touch
today or on the next working day) unless a cadence or follow-up touch is already open. On
top of it come occasion touches (key dates, Russian national holidays, professional holidays of
the client's industry) on the occasion's day or the last working day before it, «проверить
данные» touches for stale records and invitation touches for company events.

Dates are computed in the client's time zone; "now" is injected; every touch has a dedupe key,
so any sweep may run twice (or be interrupted and rerun) without planning anything twice.
`plan_all` works in chunks with a handful of batched queries per chunk, not per client.
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy import Select, and_, case, false, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased
from sqlalchemy.sql.elements import ColumnElement

from models import Client, Contact, Event, Interaction, KeyDate, Member, Touch
from models.enums import Category, Direction, Outcome, TouchReason, TouchStatus
from services import access, audit, geo, occasions
from services.names import morph_analyzer
from services.touches import (
    OPEN_STATUSES,
    Policy,
    all_policies,
    close_touch,
    outgoing_touches_in_year,
    plan_touch,
    policy_for,
    too_soon,
)
from services.windows import (
    Schedule,
    common_intervals_between,
    is_working_day,
    is_working_moment,
    overlaps_ever,
)

# Touches that fulfil «one next touch»; occasions, events and stale checks come on top.
NEXT_TOUCH_REASONS = (TouchReason.CADENCE, TouchReason.FOLLOW_UP)
CLOSED_STATUSES = (TouchStatus.DONE, TouchStatus.SKIPPED)
# The skip reason of a touch superseded by a newer plan (statistics can leave these out).
REPLACED = "replaced"
# The skip reason of a greeting not made in time: «повод прошёл».
OCCASION_PASSED = "occasion_passed"
# A greeting still makes sense this many calendar days after its occasion («с прошедшим днём
# рождения»); later it is closed. Calendar days: a belated greeting's age is the occasion's,
# whatever the week-end (overdue reminders count the member's working days instead).
GREETING_GRACE_DAYS = 3
DEFAULT_HORIZON_DAYS = 7
YEAR = timedelta(days=365)
FEBRUARY = 2
LEAP_DAY = 29
# Beyond this a schedule with no working day at all stops the search.
_MAX_SHIFT_DAYS = 400
# How many days before its occasion a greeting may come: the longest run of days off is the
# New Year holidays (31 December to 8 January, and a week-end either side).
GREETING_LEAD_DAYS = 14
_CHUNK = 500
_IN_LIMIT = 900
_LANGUAGES = ("ru", "en")
_DEFAULT_WORK_DAYS = frozenset(range(5))

CADENCE_GOALS: dict[str, dict[Category, str]] = {
    "ru": {
        Category.KEY: "Плановое касание ключевого клиента: узнать, как дела, актуальны ли "
        "потребности, нет ли новых задач",
        Category.VIP: "Плановое касание: узнать, как дела, актуальны ли потребности, "
        "предложить новинки",
        Category.REGULAR: "Плановое касание: узнать, как дела, актуальны ли потребности",
        Category.OCCASIONAL: "Напомнить о себе: узнать, актуальны ли потребности",
        Category.NEW: "Знакомство: выяснить потребности и кто принимает решение",
    },
    "en": {
        Category.KEY: "Planned touch with a key client: ask how things are going, whether "
        "their needs have changed, whether they have new tasks",
        Category.VIP: "Planned touch: ask how things are going and whether their needs have "
        "changed, offer what's new",
        Category.REGULAR: "Planned touch: ask how things are going and whether their needs have "
        "changed",
        Category.OCCASIONAL: "Keep in touch: ask whether their needs have changed",
        Category.NEW: "Get acquainted: find out what they need and who makes the decision",
    },
}
# The goal of a client's first touch, whatever its category: nobody has spoken to them yet.
FIRST_CONTACT_GOALS = {
    "ru": "Первый контакт: познакомиться и выяснить потребность",
    "en": "First contact: introduce yourself and find out what they need",
}
# The dedupe key of a client's first touch: one per client, so a re-sweep never doubles it.
FIRST_TOUCH_KEY = "first:{client_id}"
# A first touch is due today only when this much calling time is left today.
FIRST_TOUCH_MIN_LEFT = timedelta(hours=1)
STALE_GOALS = {
    "ru": "Проверить данные: телефоны, e-mail, должности контактов, окно для звонков",
    "en": "Check the data: phone numbers, e-mails, contacts' positions, calling window",
}
EVENT_GOALS = {
    "ru": "Пригласить на «{title}» {date}",
    "en": "Invite to “{title}” on {date}",
}
EVENT_TIMES = {"ru": " в {time}", "en": " at {time}"}
# Quotes inside «…»: the typographic „…“ (bot.i18n nests a message's fields the same way).
NESTED_GUILLEMETS = str.maketrans("«»", "„“")
# The start on the event's clock and on the owner's, when they differ: «в 11:00 по Москве, у вас
# 15:00», the owner's date too when it is another day.
EVENT_TIMES_ZONED = {
    "ru": " в {time} {zone}, у вас {local}",
    "en": " at {time} {zone}, {local} your time",
}
EVENT_LOCAL_DAY = {"ru": "{date} в {time}", "en": "{date} at {time}"}
_OCCASION_GOALS = {
    "ru": {
        "birthday": "Поздравить {name} с днём рождения",
        "family": "Поздравить {name} с днём рождения {relation} {person}",
        "anniversary": "Поздравить {name} с годовщиной: {title}",
        "holiday": "Поздравить {name} {phrase}",
    },
    # {their}: «his», «her» as the name shows, «their» when it doesn't.
    "en": {
        "birthday": "Congratulate {name} on {their} birthday",
        "family": "Congratulate {name} on the birthday of {their} {relation} {person}",
        # A family member without a name, of a relation the dictionary knows.
        "family_unnamed": "Congratulate {name} on {their} {relation}'s birthday",
        "anniversary": "Congratulate {name} on the anniversary: {title}",
        "holiday": "Wish {name} {phrase}",
    },
}
# The English wordings before they were made to read naturally: goals planned with them are
# still the planner's own text, reworded on a handover or a language change like the rest.
_RETIRED_OCCASION_GOALS_EN = {
    "birthday": "Congratulate {name} on the birthday",
    "family": "Congratulate {name}: birthday of {typed_relation} {person}",
    "anniversary": "Congratulate {name} on the anniversary: {title}",
    "holiday": "Congratulate {name} on {title}",
}
_RETIRED_GOALS_EN = {
    "Planned touch with a key client: ask how things are, whether the needs still stand, "
    "whether there are new tasks": CADENCE_GOALS["en"][Category.KEY],
    "Planned touch: ask how things are, whether the needs still stand, offer what's new": (
        CADENCE_GOALS["en"][Category.VIP]
    ),
    "Planned touch: ask how things are and whether the needs still stand": (
        CADENCE_GOALS["en"][Category.REGULAR]
    ),
    "Keep in touch: ask whether the needs still stand": CADENCE_GOALS["en"][Category.OCCASIONAL],
    "Get acquainted: find out the needs and who decides": CADENCE_GOALS["en"][Category.NEW],
    "First contact: introduce yourself and find out the need": FIRST_CONTACT_GOALS["en"],
    "Check the data: phones, e-mails, contacts' positions, calling window": STALE_GOALS["en"],
}
_POSSESSIVES_EN = {"male": "his", "female": "her"}
# Holidays whose names don't turn into «с …» by the rule below.
_HOLIDAY_PHRASES_RU = {
    "new_year": "с Новым годом",
    "womens_day": "с 8 Марта",
    "spring_labour_day": "с Праздником Весны и Труда",
}
_FAMILY_GENITIVE = {
    "жена": "жены",
    "муж": "мужа",
    "сын": "сына",
    "дочь": "дочери",
    "мать": "матери",
    "мама": "мамы",
    "отец": "отца",
    "папа": "папы",
    "брат": "брата",
    "сестра": "сестры",
    "внук": "внука",
    "внучка": "внучки",
}


def _language(language: str | None) -> str:
    return language if language in _LANGUAGES else _LANGUAGES[0]


# Pure date rules.


def client_schedule(client: Client | ClientFacts) -> Schedule:
    """The client's calling window as a `windows.Schedule` (client's zone)."""
    return _schedule(
        client.timezone,
        client.window_start,
        client.window_end,
        client.window_days,
        client.observe_holidays,
    )


# Clients share a handful of windows: an import's 20,000 clients or a morning's sweep build
# the same few schedules over and over.
@lru_cache(maxsize=1024)
def _schedule(zone: str, start: time, end: time, days: str, observe_holidays: bool) -> Schedule:
    return Schedule(
        zone=ZoneInfo(zone),
        start=start,
        end=end,
        weekdays=frozenset(int(day) for day in days),
        observe_holidays=observe_holidays,
    )


def local_today(now: datetime, timezone: str) -> date:
    """The date it is now in a zone."""
    return now.astimezone(ZoneInfo(timezone)).date()


def next_working_day(day: date, *schedules: Schedule) -> date:
    """`day` itself when it is a working day of every schedule (the client's calendar, and its
    owner's when given), else the next such day (`day` when there is none)."""
    candidate = day
    for _ in range(_MAX_SHIFT_DAYS):
        if all(is_working_day(candidate, schedule) for schedule in schedules):
            return candidate
        candidate += timedelta(days=1)
    return day


def greeting_day(occasion_day: date, today: date, schedules: Iterable[Schedule]) -> date:
    """When to greet for an occasion: its own day when that is a working day of every schedule
    (the client's calendar and the owner's), else the last such day before it — New Year on
    30 December, a Sunday birthday on Friday. Never before today; the occasion day itself when
    no common working day lies between today and it (or within GREETING_LEAD_DAYS)."""
    schedules = tuple(schedules)
    first = max(today, occasion_day - timedelta(days=GREETING_LEAD_DAYS))
    day = occasion_day
    while day >= first:
        if all(is_working_day(day, schedule) for schedule in schedules):
            return day
        day -= timedelta(days=1)
    return occasion_day


def _counted_day(moment: datetime) -> date:
    """The day an interaction counts on, as `touches.outgoing_touches_in_year` counts it."""
    return moment.astimezone(UTC).date()


def ceiling_release(due: date, counted: Iterable[date], ceiling: int) -> date:
    """The first date on or after `due` when fewer than `ceiling` counted contacts lie in the
    365 days before it: `due` itself, or the day after the oldest blocking contact leaves."""
    window = sorted(day for day in counted if day >= due - YEAR)
    ceiling = max(ceiling, 1)
    if len(window) < ceiling:
        return due
    return window[len(window) - ceiling] + YEAR + timedelta(days=1)


def cadence_due(
    *,
    today: date,
    anchor: date,
    policy: Policy,
    counted: Iterable[date],
    schedule: Schedule,
) -> date:
    """When the next cadence touch is due: anchor + cadence, not before today, within the
    yearly ceiling, on the client's working day."""
    due = max(anchor + timedelta(days=policy.cadence_days), today)
    due = ceiling_release(due, counted, policy.max_touches_year)
    return next_working_day(due, schedule)


def first_touch_day(now: datetime, client: Schedule, owner: Schedule) -> date:
    """When a client nobody has contacted yet is first due (the client's date): today when at
    least FIRST_TOUCH_MIN_LEFT of today's calling time is left — the client's window inside the
    owner's working hours, or the window alone when the two never meet (the digest then gives
    the window in the owner's time) — else the next working day of both."""
    today = now.astimezone(client.zone).date()
    day_end = datetime.combine(today + timedelta(days=1), time(0), tzinfo=client.zone)
    if overlaps_ever(client, owner, on=today):
        left = common_intervals_between(now, day_end, client, owner)
    elif is_working_day(now.astimezone(owner.zone).date(), owner):
        left = common_intervals_between(now, day_end, client, client)
    else:
        left = []
    if sum((end - start for start, end in left), timedelta()) >= FIRST_TOUCH_MIN_LEFT:
        return today
    return next_working_day(today + timedelta(days=1), client, owner)


def first_touch_key(client_id: int) -> str:
    """The dedupe key of the client's first touch."""
    return FIRST_TOUCH_KEY.format(client_id=client_id)


def is_first_touch(touch: Touch) -> bool:
    """Whether a touch is a client's first touch (a cadence touch with the first-contact goal,
    planned before anybody contacted the client)."""
    key = first_touch_key(touch.client_id)
    # A first touch planned beside a replaced one carries the sweep's moment after its key.
    return touch.reason is TouchReason.CADENCE and (
        touch.dedupe_key == key or touch.dedupe_key.startswith(f"{key}:")
    )


def yearly_dates_condition(
    month: InstrumentedAttribute[int], day: InstrumentedAttribute[int], days: Iterable[date]
) -> ColumnElement[bool]:
    """SQL for «a yearly day.month that falls on one of `days`» (29 February counts on
    28 February in short years, as `occasions.yearly_date` has it)."""
    by_month: dict[int, set[int]] = defaultdict(set)
    for on in days:
        by_month[on.month].add(on.day)
        if on.month == FEBRUARY and on.day == LEAP_DAY - 1 and not calendar.isleap(on.year):
            by_month[FEBRUARY].add(LEAP_DAY)
    if not by_month:
        return false()
    return or_(
        *(
            and_(month == number, day.in_(sorted(numbers)))
            for number, numbers in sorted(by_month.items())
        )
    )


def is_stale(confirmed_at: datetime, reverify_days: int, now: datetime) -> bool:
    """Whether the data were confirmed longer ago than the re-verification period allows."""
    return now - confirmed_at > timedelta(days=reverify_days)


# Names in goals.


@lru_cache(maxsize=4096)
def _inflect(word: str, case: str) -> str:
    """A Russian name word in a grammatical case («Иван» → «Ивана»), unchanged when unknown."""
    if not re.fullmatch(r"[А-Яа-яЁё-]+", word):
        return word
    parses = morph_analyzer().parse(word)
    preferred = [
        p for p in parses if "nomn" in p.tag and ({"Name", "Patr", "Surn"} & p.tag.grammemes)
    ]
    parse = (preferred or [p for p in parses if "nomn" in p.tag] or parses)[0]
    inflected = parse.inflect({case})
    if inflected is None:
        return word
    result: str = inflected.word
    return result[:1].upper() + result[1:] if word[:1].isupper() else result


def addressed_name(first: str | None, patronymic: str | None, language: str) -> str:
    """How a goal names the person to congratulate: «Ивана Сергеевича» / «Ivan Sergeevich»."""
    words = [word for word in (first, patronymic) if word]
    if language == "ru":
        return " ".join(_inflect(word, "accs") for word in words)
    return " ".join(words)


def _genitive_relation(relation: str) -> str:
    lowered = relation.strip().casefold()
    return _FAMILY_GENITIVE.get(lowered) or _inflect(lowered, "gent")


def holiday_phrase(title: str | None, language: str, key: str | None = None) -> str:
    """«с Днём строителя» from «День строителя»; «a happy Builder's Day» in English."""
    title = (title or "").strip()
    if language != "ru":
        return f"a happy {title}" if title else "a happy holiday"
    if key in _HOLIDAY_PHRASES_RU:
        return _HOLIDAY_PHRASES_RU[key]
    for prefix, replacement in (("день ", "Днём "), ("праздник ", "Праздником ")):
        if title.casefold().startswith(prefix):
            return "с " + replacement + title[len(prefix) :]
    return f"с праздником: {title}" if title else "с праздником"


def occasion_goal(
    kind: str,
    *,
    language: str,
    first_name: str | None,
    patronymic: str | None,
    fallback_name: str,
    title: str | None = None,
    relation: str | None = None,
    person: str | None = None,
    key: str | None = None,
) -> str:
    """The ready goal of an occasion touch: «Поздравить Ивана Сергеевича с днём рождения»,
    «Congratulate Екатерина Сергеевна on her birthday».

    `kind` is "birthday" (with `relation` and `person` for a family member), "anniversary" or
    "holiday" (national, professional or any other titled date).
    """
    language = _language(language)
    return _occasion_goal(
        _OCCASION_GOALS[language],
        kind,
        language=language,
        first_name=first_name,
        patronymic=patronymic,
        fallback_name=fallback_name,
        title=title,
        relation=relation,
        person=person,
        key=key,
    )


def _possessive_en(first_name: str | None, patronymic: str | None) -> str:
    """«his» or «her» as the first name or patronymic shows, «their» when they don't (or there
    is none: the fallback may be a company's name)."""
    name = " ".join(word for word in (first_name, patronymic) if word)
    gender = occasions.guess_gender(name) if name else None
    return _POSSESSIVES_EN.get(gender or "", "their")


def _occasion_goal(
    goals: dict[str, str],
    kind: str,
    *,
    language: str,
    first_name: str | None,
    patronymic: str | None,
    fallback_name: str,
    title: str | None,
    relation: str | None,
    person: str | None,
    key: str | None,
) -> str:
    name = addressed_name(first_name, patronymic, language) or fallback_name
    their = _possessive_en(first_name, patronymic) if language == "en" else ""
    if kind == "birthday" and relation:
        if language == "ru":
            relation_text = _genitive_relation(relation)
            person_text = _inflect(person, "gent") if person else ""
        else:
            relation_text, person_text = occasions.relation_in_english(relation), person or ""
        template = goals["family"]
        if (
            not person_text
            and relation_text.casefold() in occasions.RELATIONS_EN
            and "family_unnamed" in goals
        ):
            template = goals["family_unnamed"]
        text = template.format(
            name=name,
            their=their,
            relation=relation_text,
            typed_relation=relation,
            person=person_text,
        )
        return " ".join(text.split())
    if kind == "birthday":
        return goals["birthday"].format(name=name, their=their)
    if kind == "anniversary":
        return goals["anniversary"].format(name=name, title=title or "").rstrip(": ")
    return goals["holiday"].format(
        name=name, title=title or "", phrase=holiday_phrase(title, language, key)
    )


def cadence_goal(category: Category, language: str) -> str:
    """The default goal of a cadence touch in the owner's language."""
    return CADENCE_GOALS[_language(language)][category]


def first_contact_goal(language: str | None) -> str:
    """The goal of a client's first touch in the owner's language."""
    return FIRST_CONTACT_GOALS[_language(language)]


def is_first_contact_goal(goal: str) -> bool:
    """Whether a goal is the planner's first-contact goal, in any language or wording."""
    return _RETIRED_GOALS_EN.get(goal, goal) in FIRST_CONTACT_GOALS.values()


def event_goal(
    title: str,
    day: date,
    language: str,
    starts_at: time | None = None,
    zone: str | None = None,
    reader_zone: str | None = None,
) -> str:
    """«Пригласить на «Вебинар» 5 декабря», «… 5 декабря в 11:00» when the time is known, and
    «… в 11:00 по Москве, у вас 15:00» for an owner (`reader_zone`) whose clock differs from
    the event's `zone`. A title with its own quotes nests them: «Выставка „Иннопром“»."""
    language = _language(language)
    if language == "ru":
        title = title.translate(NESTED_GUILLEMETS)
    when = format_date(day, "d MMMM", locale=language)
    if starts_at is None:
        return EVENT_GOALS[language].format(title=title, date=when)
    clock = starts_at.strftime("%H:%M")
    if zone is None or reader_zone is None:
        return EVENT_GOALS[language].format(title=title, date=when + _at(language, clock))
    moment = geo.zoned_time(day, starts_at, zone, reader_zone)
    if not moment.differs:
        return EVENT_GOALS[language].format(title=title, date=when + _at(language, clock))
    local = moment.local.strftime("%H:%M")
    if moment.local.date() != day:
        local_day = format_date(moment.local.date(), "d MMMM", locale=language)
        local = EVENT_LOCAL_DAY[language].format(date=local_day, time=local)
    when += EVENT_TIMES_ZONED[language].format(
        time=clock, zone=geo.zone_phrase(zone, language, moment.own), local=local
    )
    return EVENT_GOALS[language].format(title=title, date=when)


def invitation_goal(event: Event, owner: Member) -> str:
    """The goal of an invitation to `event` as its owner reads it: in their language, the
    start on their clock too."""
    return event_goal(
        event.title,
        event.happens_on,
        owner.language,
        event.starts_at,
        event.timezone,
        owner.timezone,
    )


def _at(language: str, clock: str) -> str:
    return EVENT_TIMES[language].format(time=clock)


# Facts the sweep needs about a client, loaded as plain rows for the batch.


@dataclass(frozen=True)
class ClientFacts:
    """The columns of a client the planner reads."""

    id: int
    name: str
    owner_id: int
    timezone: str
    category: Category
    industry: str | None
    window_start: time
    window_end: time
    window_days: str
    observe_holidays: bool
    data_confirmed_at: datetime
    created_at: datetime

    @classmethod
    def of(cls, client: Client) -> ClientFacts:
        """The facts of a loaded client."""
        return cls(**{name: getattr(client, name) for name in _FACT_NAMES})


_FACT_NAMES = tuple(ClientFacts.__dataclass_fields__)
_FACT_COLUMNS = tuple(getattr(Client, name) for name in _FACT_NAMES)


@dataclass
class PlanReport:
    """What a sweep did: clients looked at and touches planned, by reason."""

    clients: int = 0
    cadence: int = 0
    occasions: int = 0
    stale: int = 0

    @property
    def planned(self) -> int:
        """Touches planned in all."""
        return self.cadence + self.occasions + self.stale

    def add(self, other: PlanReport) -> None:
        """Fold another report into this one."""
        self.clients += other.clients
        self.cadence += other.cadence
        self.occasions += other.occasions
        self.stale += other.stale


# Where an agreed time falls outside the owner's working time (PlannedFollowUp.off_duty).
OFF_DAY = "day_off"
OFF_HOURS = "hours"


@dataclass(frozen=True)
class PlannedFollowUp:
    """A planned follow-up and the warnings for the manager."""

    touch: Touch
    too_soon: bool
    over_ceiling: bool
    # The date agreed when it was a day off (of the client or the owner): the touch moved on.
    agreed_on: date | None = None
    # Where the agreed time falls when it is not the owner's working time: OFF_DAY (their day
    # off) or OFF_HOURS (outside their hours). It is reminded all the same.
    off_duty: str | None = None


@dataclass(frozen=True)
class _Person:
    contact_id: int | None
    full_name: str
    is_primary: bool


@dataclass(frozen=True)
class _KeyDateFacts:
    """The columns of a key date the planner reads."""

    id: int
    client_id: int
    contact_id: int | None
    kind: str
    relation: str | None
    person_name: str | None
    title: str | None
    day: int
    month: int


_KEY_DATE_COLUMNS = tuple(getattr(KeyDate, name) for name in _KeyDateFacts.__dataclass_fields__)


@dataclass
class _ChunkData:
    """Everything a chunk of clients needs, loaded in a few queries."""

    open_reasons: dict[int, set[TouchReason]] = field(default_factory=lambda: defaultdict(set))
    # Due days of the client's open occasion and event touches: any of them due by the
    # cadence date stands for the cadence touch. («Проверить данные» checks don't: they ride
    # along with the client's other touch in the digest and reminders, `fold_data_checks`.)
    busy_days: dict[int, set[date]] = field(default_factory=lambda: defaultdict(set))
    last_interaction: dict[int, datetime] = field(default_factory=dict)
    last_closed: dict[int, datetime] = field(default_factory=dict)
    counted: dict[int, list[date]] = field(default_factory=lambda: defaultdict(list))
    key_dates: dict[int, list[tuple[_KeyDateFacts, str | None]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # (key date, occasion day) of the chunk's key-date touches due lately or later.
    key_dated_touches: set[tuple[int, date]] = field(default_factory=set)
    people: dict[int, list[_Person]] = field(default_factory=lambda: defaultdict(list))


# Next touches the manager closed (done, or skipped by decision), which the cadence counts from.
# A touch replaced by a newer plan is left out: the contact that replaced it is the anchor —
# the same moment when a log replaces it, an earlier one when an import brings the contact in.
_CLOSED_BY_MEMBER = (
    Touch.reason.in_(NEXT_TOUCH_REASONS),
    Touch.status.in_(CLOSED_STATUSES),
    Touch.closed_at.is_not(None),
    or_(Touch.skip_reason.is_(None), Touch.skip_reason != REPLACED),
)


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _aware(moment: datetime) -> datetime:
    """SQLite hands datetimes back naive; they are stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class _Sweep:
    """Plans touches for batches of clients: the engine of `replan_client` and `plan_all`."""

    def __init__(self, session: AsyncSession, now: datetime, horizon_days: int) -> None:
        self.session = session
        self.now = now
        self.horizon_days = horizon_days
        self.policies: dict[Category, Policy] = {}
        self.languages: dict[int, str] = {}
        # The owners' working week days (Russian holidays are always their days off).
        self.owner_days: dict[int, frozenset[int]] = {}
        # The owners' working hours, for a first touch: today only while there is time left.
        self.owner_schedules: dict[int, Schedule] = {}
        self._today: dict[str, date] = {}
        self._first_days: dict[tuple[Schedule, int], date] = {}

    async def prepare(self, owner_ids: Iterable[int] | None = None) -> None:
        """Load the policies and the owners' languages and schedules once per sweep."""
        self.policies = await all_policies(self.session)
        query = select(
            Member.id,
            Member.language,
            Member.work_days,
            Member.timezone,
            Member.work_start,
            Member.work_end,
        )
        if owner_ids is not None:
            query = query.where(Member.id.in_(list(set(owner_ids))))
        rows = (await self.session.execute(query)).all()
        self.languages = {row.id: row.language for row in rows}
        self.owner_days = {row.id: frozenset(int(day) for day in row.work_days) for row in rows}
        self.owner_schedules = {
            row.id: Schedule(
                zone=ZoneInfo(row.timezone),
                start=row.work_start,
                end=row.work_end,
                weekdays=self.owner_days[row.id],
                observe_holidays=True,
            )
            for row in rows
        }

    def first_touch_day(self, client: ClientFacts, schedule: Schedule) -> date:
        """`first_touch_day` of the client, remembered per calling window and owner (an
        import's clients mostly share both)."""
        key = (schedule, client.owner_id)
        day = self._first_days.get(key)
        if day is None:
            day = self._first_days[key] = first_touch_day(
                self.now, schedule, self.owner_schedule(client)
            )
        return day

    def owner_schedule(self, client: ClientFacts) -> Schedule:
        """The owner's working hours (the client's zone and window hours when unknown)."""
        found = self.owner_schedules.get(client.owner_id)
        if found is None:
            found = replace(client_schedule(client), weekdays=_DEFAULT_WORK_DAYS)
        return found

    def today_in(self, timezone: str) -> date:
        """The date it is now in a zone (asked for every client: remembered per zone)."""
        today = self._today.get(timezone)
        if today is None:
            today = self._today[timezone] = local_today(self.now, timezone)
        return today

    def language_of(self, owner_id: int) -> str:
        return _language(self.languages.get(owner_id))

    def greeting_day(self, client: ClientFacts, occasion_day: date) -> date:
        """The day to greet for an occasion: a working day of the client and of its owner."""
        own = client_schedule(client)
        owner = replace(
            own,
            weekdays=self.owner_days.get(client.owner_id, _DEFAULT_WORK_DAYS),
            observe_holidays=True,
        )
        return greeting_day(occasion_day, self.today_in(client.timezone), (own, owner))

    # Loading.

    async def _load(
        self, clients: Sequence[ClientFacts], greeted: Iterable[int] = ()
    ) -> _ChunkData:
        """The chunk's open touches, contact history and key dates; `greeted` are the clients
        with a holiday in the horizon (their contacts and yearly counts are needed too)."""
        data = _ChunkData()
        ids = [client.id for client in clients]
        session = self.session
        open_rows = await session.execute(
            select(Touch.client_id, Touch.reason, Touch.due_on).where(
                Touch.client_id.in_(ids), Touch.status.in_(OPEN_STATUSES)
            )
        )
        for client_id, reason, due_on in open_rows:
            data.open_reasons[client_id].add(reason)
            if reason not in (*NEXT_TOUCH_REASONS, TouchReason.STALE_DATA):
                data.busy_days[client_id].add(due_on)
        # In a steady state almost every client has its next touch: read history only for
        # those that need a new one.
        need = [i for i in ids if not data.open_reasons[i] & set(NEXT_TOUCH_REASONS)]
        greeted = list(greeted)
        counted_ids = list({*need, *greeted})
        for client_id, happened in await session.execute(
            select(Interaction.client_id, func.max(Interaction.happened_at))
            .where(Interaction.client_id.in_(need))
            .group_by(Interaction.client_id)
        ):
            data.last_interaction[client_id] = _aware(happened)
        for client_id, closed in await session.execute(
            select(Touch.client_id, func.max(Touch.closed_at))
            .where(Touch.client_id.in_(need), *_CLOSED_BY_MEMBER)
            .group_by(Touch.client_id)
        ):
            if closed is not None:
                data.last_closed[client_id] = _aware(closed)
        since = datetime.combine(
            self.now.astimezone(UTC).date() - YEAR - timedelta(days=2), time(0), tzinfo=UTC
        )
        for client_id, happened in await session.execute(
            select(Interaction.client_id, Interaction.happened_at).where(
                Interaction.client_id.in_(counted_ids),
                Interaction.direction == Direction.OUTGOING,
                Interaction.happened_at >= since,
            )
        ):
            data.counted[client_id].append(_counted_day(_aware(happened)))
        todays = {self.today_in(client.timezone) for client in clients}
        earliest = min(todays)
        # A greeting may come up to GREETING_LEAD_DAYS before its occasion.
        last = max(todays) + timedelta(days=self.horizon_days + GREETING_LEAD_DAYS)
        horizon = [earliest + timedelta(days=n) for n in range((last - earliest).days + 1)]
        # Only the key dates that fall within the horizon: a week is ~2% of a year's rows.
        key_dates = select(*_KEY_DATE_COLUMNS, Contact.full_name).outerjoin(
            Contact, Contact.id == KeyDate.contact_id
        )
        if len(horizon) < 366:
            in_horizon = yearly_dates_condition(KeyDate.month, KeyDate.day, horizon)
            key_dates = key_dates.where(in_horizon)
        for row in await session.execute(key_dates.where(KeyDate.client_id.in_(ids))):
            *columns, full_name = row
            key_date = _KeyDateFacts(*columns)
            data.key_dates[key_date.client_id].append((key_date, full_name))
        for key_date_id, occasion_on, due_on in await session.execute(
            select(Touch.key_date_id, Touch.occasion_on, Touch.due_on).where(
                Touch.client_id.in_(ids),
                Touch.key_date_id.is_not(None),
                Touch.due_on >= earliest - timedelta(days=GREETING_LEAD_DAYS + 1),
            )
        ):
            if key_date_id is not None:
                data.key_dated_touches.add((key_date_id, occasion_on or due_on))
        for client_id, contact_id, full_name, is_primary in await session.execute(
            select(Contact.client_id, Contact.id, Contact.full_name, Contact.is_primary)
            .where(Contact.client_id.in_(greeted))
            .order_by(Contact.client_id, Contact.is_primary.desc(), Contact.id)
        ):
            data.people[client_id].append(_Person(contact_id, full_name, bool(is_primary)))
        return data

    # Candidates.

    def _row(
        self,
        client: ClientFacts,
        *,
        due_on: date,
        reason: TouchReason,
        goal: str,
        dedupe_key: str,
        contact_id: int | None = None,
        draft_text: str | None = None,
        occasion_key: str | None = None,
        occasion_on: date | None = None,
        key_date_id: int | None = None,
    ) -> dict[str, Any]:
        return {
            "client_id": client.id,
            "member_id": client.owner_id,
            "contact_id": contact_id,
            "due_on": due_on,
            "reason": reason,
            "status": TouchStatus.PLANNED,
            "goal": goal,
            "draft_text": draft_text,
            "occasion_key": occasion_key,
            "occasion_on": occasion_on,
            "key_date_id": key_date_id,
            "event_id": None,
            "dedupe_key": dedupe_key,
            "created_at": self.now,
        }

    def _cadence(self, client: ClientFacts, data: _ChunkData) -> dict[str, Any] | None:
        if data.open_reasons[client.id] & set(NEXT_TOUCH_REASONS):
            return None
        zone = ZoneInfo(client.timezone)
        moments = [
            moment
            for moment in (data.last_interaction.get(client.id), data.last_closed.get(client.id))
            if moment is not None
        ]
        anchor_moment = max(moments) if moments else _aware(client.created_at)
        policy = self.policies[client.category]
        schedule = client_schedule(client)
        due = cadence_due(
            today=self.now.astimezone(zone).date(),
            anchor=anchor_moment.astimezone(zone).date(),
            policy=policy,
            counted=data.counted.get(client.id, ()),
            schedule=schedule,
        )
        first = not moments
        if first:
            # Nobody has contacted the client yet: soon, not a whole cadence after it was
            # added — and never later than the cadence would have had it (a client added
            # long ago is due today, as it was).
            due = min(due, self.first_touch_day(client, schedule))
        if any(day <= due for day in data.busy_days[client.id]):
            # An open birthday call or invitation due by then — overdue ones included — is
            # the contact: one call, not two items (and two reminders at the same minute).
            # Logging it re-bases the cadence; closed without a log (skipped, or its occasion
            # passed), the next sweep plans the cadence touch.
            return None
        language = self.language_of(client.owner_id)
        if first:
            return self._row(
                client,
                due_on=due,
                reason=TouchReason.CADENCE,
                goal=first_contact_goal(language),
                dedupe_key=first_touch_key(client.id),
            )
        return self._row(
            client,
            due_on=due,
            reason=TouchReason.CADENCE,
            goal=cadence_goal(client.category, language),
            dedupe_key=f"cadence:{client.id}:{due.isoformat()}",
        )

    def _stale(self, client: ClientFacts, data: _ChunkData) -> dict[str, Any] | None:
        policy = self.policies[client.category]
        confirmed = _aware(client.data_confirmed_at)
        if not is_stale(confirmed, policy.reverify_days, self.now):
            return None
        if TouchReason.STALE_DATA in data.open_reasons[client.id]:
            return None
        due = next_working_day(self.today_in(client.timezone), client_schedule(client))
        return self._row(
            client,
            due_on=due,
            reason=TouchReason.STALE_DATA,
            goal=STALE_GOALS[self.language_of(client.owner_id)],
            dedupe_key=f"stale:{client.id}:{confirmed.astimezone(UTC).date().isoformat()}",
        )

    def _key_date_rows(self, client: ClientFacts, data: _ChunkData) -> list[dict[str, Any]]:
        if client.id not in data.key_dates:
            return []
        today = self.today_in(client.timezone)
        last_day = today + timedelta(days=self.horizon_days)
        language = self.language_of(client.owner_id)
        rows = []
        for key_date, full_name in data.key_dates.get(client.id, ()):
            on = occasions.next_yearly(key_date.day, key_date.month, today)
            if (key_date.id, on) in data.key_dated_touches:
                continue
            due = self.greeting_day(client, on)
            if due > last_day:
                continue
            _, first, patronymic = occasions.split_name(full_name or "")
            goal_kind, greeting_kind = _key_date_kinds(key_date)
            title = key_date.title
            rows.append(
                self._row(
                    client,
                    due_on=due,
                    reason=TouchReason.OCCASION,
                    goal=occasion_goal(
                        goal_kind,
                        language=language,
                        first_name=first,
                        patronymic=patronymic,
                        fallback_name=full_name or client.name,
                        title=title,
                        relation=key_date.relation,
                        person=key_date.person_name,
                    ),
                    draft_text=occasions.greeting(
                        greeting_kind,
                        first_name=first,
                        patronymic=patronymic,
                        language=language,
                        title=title,
                        relation=key_date.relation,
                    ),
                    dedupe_key=f"occasion:{client.id}:kd{key_date.id}:{on.year}",
                    occasion_key=f"kd{key_date.id}",
                    occasion_on=on,
                    key_date_id=key_date.id,
                    contact_id=key_date.contact_id,
                )
            )
        return rows

    def holidays_of(
        self, client: ClientFacts, calendar: _Calendar
    ) -> list[tuple[occasions.Occasion, date]]:
        """National and professional holidays of the client whose greeting day (see
        `greeting_day`) falls within the horizon, with that day."""
        today = self.today_in(client.timezone)
        last_day = today + timedelta(days=self.horizon_days)
        found = calendar.within(
            today, last_day + timedelta(days=GREETING_LEAD_DAYS), client.industry
        )
        return [
            (occasion, due)
            for occasion in found
            if (due := self.greeting_day(client, occasion.day)) <= last_day
        ]

    def _holiday_rows(
        self,
        client: ClientFacts,
        data: _ChunkData,
        candidates: Sequence[tuple[occasions.Occasion, date]],
    ) -> list[dict[str, Any]]:
        if not candidates:
            return []
        policy = self.policies[client.category]
        language = self.language_of(client.owner_id)
        rows = []
        for occasion, due in candidates:
            # Holidays are courtesy touches: they yield to the yearly ceiling, birthdays don't.
            if ceiling_release(due, data.counted.get(client.id, ()),
                               policy.max_touches_year) != due:  # fmt: skip
                continue
            person = _addressee(data.people.get(client.id, []), occasion.audience)
            if person is None and (occasion.audience or data.people.get(client.id)):
                continue
            full_name = person.full_name if person else ""
            _, first, patronymic = occasions.split_name(full_name)
            rows.append(
                self._row(
                    client,
                    due_on=due,
                    reason=TouchReason.OCCASION,
                    goal=occasion_goal(
                        "holiday",
                        language=language,
                        first_name=first,
                        patronymic=patronymic,
                        fallback_name=client.name,
                        title=occasion.title(language),
                        key=occasion.key,
                    ),
                    draft_text=occasions.greeting_for(
                        occasion, first_name=first, patronymic=patronymic, language=language
                    ),
                    dedupe_key=_holiday_key(client.id, occasion),
                    occasion_key=occasion.key,
                    occasion_on=occasion.day,
                    contact_id=person.contact_id if person else None,
                )
            )
        return rows

    async def plan(self, clients: Sequence[ClientFacts], calendar: _Calendar) -> PlanReport:
        """Plan what is missing for these clients; returns the counts and keeps the keys."""
        report = PlanReport(clients=len(clients))
        if not clients:
            return report
        holidays = {client.id: self.holidays_of(client, calendar) for client in clients}
        # A holiday stays in the horizon for a week: skip the ones planned on earlier days
        # before building their greetings (name analysis is the sweep's costliest step).
        taken = await existing_keys(
            self.session,
            [_holiday_key(i, occasion) for i, found in holidays.items() for occasion, _ in found],
        )
        holidays = {
            i: [pair for pair in found if _holiday_key(i, pair[0]) not in taken]
            for i, found in holidays.items()
        }
        data = await self._load(clients, [i for i, found in holidays.items() if found])
        cadence_rows: list[dict[str, Any]] = []
        other_rows: list[dict[str, Any]] = []
        for client in clients:
            stale = self._stale(client, data)
            if stale is not None:
                other_rows.append(stale)
            rows = self._key_date_rows(client, data)
            rows.extend(self._holiday_rows(client, data, holidays[client.id]))
            other_rows.extend(rows)
            # Greetings this sweep plans count as open for the cadence rule too.
            data.busy_days[client.id].update(row["due_on"] for row in rows)
            cadence = self._cadence(client, data)
            if cadence is not None:
                cadence_rows.append(cadence)
        existing = await existing_keys(
            self.session, [row["dedupe_key"] for row in cadence_rows + other_rows]
        )
        for row in cadence_rows:
            # The client has no open next touch, so a taken key belongs to a closed touch
            # (skipped or replaced on the same date): plan a fresh one beside it.
            if row["dedupe_key"] in existing:
                row["dedupe_key"] += f":{self.now.strftime('%Y%m%dT%H%M%S')}"
        new_rows = cadence_rows + [row for row in other_rows if row["dedupe_key"] not in existing]
        await insert_touches(self.session, new_rows)
        self.planned_keys.extend(row["dedupe_key"] for row in new_rows)
        for row in new_rows:
            if row["reason"] is TouchReason.CADENCE:
                report.cadence += 1
            elif row["reason"] is TouchReason.STALE_DATA:
                report.stale += 1
            else:
                report.occasions += 1
        return report

    planned_keys: list[str]


def _holiday_key(client_id: int, occasion: occasions.Occasion) -> str:
    """The dedupe key of a holiday touch: one per client, holiday and year."""
    return f"occasion:{client_id}:{occasion.key}:{occasion.day.year}"


def _key_date_kinds(key_date: _KeyDateFacts | KeyDate) -> tuple[str, str]:
    """The goal kind and the greeting kind of a key date."""
    if key_date.kind == "birthday":
        return "birthday", occasions.FAMILY_BIRTHDAY if key_date.relation else occasions.BIRTHDAY
    if key_date.kind == "professional":
        return "holiday", occasions.PROFESSIONAL_HOLIDAY
    return "anniversary", occasions.ANNIVERSARY


def _addressee(people: list[_Person], audience: str | None) -> _Person | None:
    """Whom a holiday greeting goes to: the primary contact, or the first of the audience."""
    if not people:
        return None
    if audience is None:
        return people[0]
    for person in people:
        if occasions.guess_gender(person.full_name) == audience:
            return person
    return None


class _Calendar:
    """National and professional holidays, computed once per year and industry for a sweep."""

    def __init__(self) -> None:
        self._national: dict[int, list[occasions.Occasion]] = {}
        self._professional: dict[tuple[int, str], list[occasions.Occasion]] = {}
        self._industries: dict[str, str | None] = {}
        self._within: dict[tuple[date, date, str | None], list[occasions.Occasion]] = {}

    def within(
        self, first: date, last: date, industry_text: str | None
    ) -> list[occasions.Occasion]:
        """National holidays and the industry's professional days in [first, last]; the
        same list for every client of that day and industry (callers don't change it)."""
        key = (first, last, industry_text)
        found = self._within.get(key)
        if found is None:
            found = self._within[key] = self.national(first, last) + self.professional(
                first, last, industry_text
            )
        return found

    def _years(self, first: date, last: date) -> range:
        return range(first.year, last.year + 1)

    def national(self, first: date, last: date) -> list[occasions.Occasion]:
        found: list[occasions.Occasion] = []
        for year in self._years(first, last):
            if year not in self._national:
                self._national[year] = occasions.national_holidays(year)
            found.extend(o for o in self._national[year] if first <= o.day <= last)
        return found

    def professional(
        self, first: date, last: date, industry_text: str | None
    ) -> list[occasions.Occasion]:
        if not industry_text:
            return []
        if industry_text not in self._industries:
            self._industries[industry_text] = occasions.match_industry(industry_text)
        industry = self._industries[industry_text]
        if industry is None:
            return []
        found: list[occasions.Occasion] = []
        for year in self._years(first, last):
            if (year, industry) not in self._professional:
                self._professional[year, industry] = occasions.professional_days(year, industry)
            found.extend(o for o in self._professional[year, industry] if first <= o.day <= last)
        return found


# Storage helpers.


async def existing_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    """Which of these dedupe keys are already taken."""
    found: set[str] = set()
    for part in _chunks(list(dict.fromkeys(keys)), _IN_LIMIT):
        found.update(
            await session.scalars(select(Touch.dedupe_key).where(Touch.dedupe_key.in_(part)))
        )
    return found


async def insert_touches(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert touch rows in bulk; a key taken meanwhile (a concurrent sweep) is skipped."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    statement: Any
    if dialect == "postgresql":
        statement = postgresql_insert(Touch).on_conflict_do_nothing(index_elements=["dedupe_key"])
    elif dialect == "sqlite":
        statement = sqlite_insert(Touch).on_conflict_do_nothing(index_elements=["dedupe_key"])
    else:
        statement = insert(Touch)
    for part in _chunks(list(rows), _CHUNK):
        await session.execute(statement, list(part))


async def _touches_by_keys(session: AsyncSession, keys: Sequence[str]) -> list[Touch]:
    touches: list[Touch] = []
    for part in _chunks(list(keys), _IN_LIMIT):
        touches.extend(
            await session.scalars(
                select(Touch).where(Touch.dedupe_key.in_(part)).order_by(Touch.due_on, Touch.id)
            )
        )
    return touches


# Public API.


async def replan_client(
    session: AsyncSession,
    client: Client,
    now: datetime,
    *,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> list[Touch]:
    """Plan what this client is missing: the next cadence touch (unless a cadence or follow-up
    touch is open), occasions within the horizon, a stale-data check. Returns the new touches."""
    if not client.is_active or client.forgotten_at is not None:
        return []
    sweep = _Sweep(session, now, horizon_days)
    sweep.planned_keys = []
    await sweep.prepare([client.owner_id])
    await session.flush()
    await sweep.plan([ClientFacts.of(client)], _Calendar())
    return await _touches_by_keys(session, sweep.planned_keys)


async def plan_occasions(
    session: AsyncSession, client: Client, now: datetime, horizon_days: int = DEFAULT_HORIZON_DAYS
) -> list[Touch]:
    """Occasion touches of one client due within the horizon (key dates and holidays)."""
    sweep = _Sweep(session, now, horizon_days)
    sweep.planned_keys = []
    await sweep.prepare([client.owner_id])
    await session.flush()
    facts = ClientFacts.of(client)
    holidays = sweep.holidays_of(facts, _Calendar())
    data = await sweep._load([facts], [facts.id] if holidays else [])
    rows = sweep._key_date_rows(facts, data) + sweep._holiday_rows(facts, data, holidays)
    taken = await existing_keys(session, [row["dedupe_key"] for row in rows])
    rows = [row for row in rows if row["dedupe_key"] not in taken]
    await insert_touches(session, rows)
    return await _touches_by_keys(session, [row["dedupe_key"] for row in rows])


def _active_clients() -> Select[Any]:
    return select(*_FACT_COLUMNS).where(Client.is_active.is_(True), Client.forgotten_at.is_(None))


async def client_facts(session: AsyncSession, client_ids: Iterable[int]) -> list[ClientFacts]:
    """The planner's facts of these clients that are active, in id order."""
    found: list[ClientFacts] = []
    for part in _chunks(sorted(set(client_ids)), _IN_LIMIT):
        rows = await session.execute(_active_clients().where(Client.id.in_(part)))
        # The columns are selected in the dataclass's field order.
        found.extend(ClientFacts(*row) for row in rows)
    found.sort(key=lambda facts: facts.id)
    return found


async def plan_all(
    session: AsyncSession,
    now: datetime,
    *,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    chunk_size: int = _CHUNK,
) -> PlanReport:
    """The nightly (and at-start) sweep over every active client; idempotent.

    Each touch goes to the client's owner. Clients are read in id order, a chunk at a time,
    with a fixed number of queries per chunk.
    """
    sweep = _Sweep(session, now, horizon_days)
    sweep.planned_keys = []
    await sweep.prepare()
    await session.flush()
    await settle_passed_occasions(session, now)
    calendar = _Calendar()
    report = PlanReport()
    last_id = 0
    while True:
        rows = (
            await session.execute(
                _active_clients().where(Client.id > last_id).order_by(Client.id).limit(chunk_size)
            )
        ).all()
        if not rows:
            break
        # The columns are selected in the dataclass's field order.
        facts = [ClientFacts(*row) for row in rows]
        report.add(await sweep.plan(facts, calendar))
        sweep.planned_keys.clear()
        last_id = facts[-1].id
    return report


async def settle_passed_occasions(session: AsyncSession, now: datetime) -> int:
    """Greetings whose occasion has passed, by the owner's calendar: within
    GREETING_GRACE_DAYS the draft becomes belated («с прошедшим днём рождения»); later the
    touch is closed as skipped, OCCASION_PASSED — a greeting weeks late is pointless. Part of
    the sweep; idempotent. Returns how many were closed."""
    # No zone is more than a day ahead of UTC: these are all the candidates.
    latest = now.astimezone(UTC).date() + timedelta(days=1)
    rows = (
        await session.execute(
            select(Touch, Member.timezone, Member.language, KeyDate, Contact.full_name)
            .join(Client, Client.id == Touch.client_id)
            .join(Member, Member.id == Client.owner_id)
            .outerjoin(KeyDate, KeyDate.id == Touch.key_date_id)
            .outerjoin(Contact, Contact.id == Touch.contact_id)
            .where(
                Touch.reason == TouchReason.OCCASION,
                Touch.status.in_(OPEN_STATUSES),
                Touch.occasion_on < latest,
            )
        )
    ).all()
    closed = 0
    for touch, timezone, language, key_date, full_name in rows:
        today = local_today(now, timezone)
        occasion_on = touch.occasion_on
        if occasion_on is None or occasion_on >= today:
            continue
        if (today - occasion_on).days > GREETING_GRACE_DAYS:
            close_touch(touch, TouchStatus.SKIPPED, now, OCCASION_PASSED)
            closed += 1
        elif touch.draft_text:
            draft = _belated_draft(touch, _language(language), key_date, full_name)
            if draft is not None and draft != touch.draft_text:
                touch.draft_text = draft
    await session.flush()
    return closed


def _belated_draft(
    touch: Touch, language: str, key_date: KeyDate | None, full_name: str | None
) -> str | None:
    """The draft of an occasion touch, as said a few days after the occasion."""
    _, first, patronymic = occasions.split_name(full_name or "")
    if key_date is not None:
        _, kind = _key_date_kinds(key_date)
        title, relation = key_date.title, key_date.relation
    else:
        found = occasions.holiday_greeting_kind(touch.occasion_key or "")
        if found is None:
            return None
        kind, title, relation = found, touch.occasion_key, None
    return occasions.greeting(
        kind,
        first_name=first,
        patronymic=patronymic,
        language=language,
        title=title,
        relation=relation,
        belated=True,
    )


async def _supersede_next_touches(
    session: AsyncSession, client_id: int, now: datetime, *, keep: int | None = None,
    reasons: Sequence[TouchReason] = NEXT_TOUCH_REASONS,
) -> None:  # fmt: skip
    await session.execute(
        update(Touch)
        .where(
            Touch.client_id == client_id,
            Touch.reason.in_(list(reasons)),
            Touch.status.in_(OPEN_STATUSES),
            Touch.id != (keep or 0),
            # A meeting or call agreed for a time stays: the next call doesn't cancel it.
            Touch.due_at.is_(None),
        )
        .values(status=TouchStatus.SKIPPED, closed_at=now, skip_reason=REPLACED)
        .execution_options(synchronize_session="fetch")
    )


async def _contact_before(session: AsyncSession, interaction: Interaction) -> date | None:
    """The last interaction that reached the client before this one (an unanswered call is not
    a contact)."""
    moment = await session.scalar(
        select(func.max(Interaction.happened_at)).where(
            Interaction.client_id == interaction.client_id,
            Interaction.id != interaction.id,
            Interaction.outcome != Outcome.NO_CONTACT,
        )
    )
    return _aware(moment).date() if moment is not None else None


async def plan_follow_up(
    session: AsyncSession,
    client: Client,
    interaction: Interaction,
    now: datetime,
    at: datetime | None = None,
) -> PlannedFollowUp | None:
    """After a logged interaction: its next step becomes the client's one next touch.

    With `next_touch_on` set, a follow-up touch on that date (goal = the next step) replaces the
    open cadence and follow-up touches; `too_soon` warns when the contact before this one is also
    less than a cadence before it — a third touch within one cadence period (the next step agreed
    on this very call is what the client asked for, not a nuisance), `over_ceiling` when the yearly
    ceiling is already reached. Without a date, the open cadence touch is re-based on this
    interaction. A date without a time that is a day off (the client's or the owner's) moves to
    the first common working day. `at`: the time agreed for that date, kept on the touch and on
    its day even when that is a day off or outside the owner's hours — the client was promised
    it, so it is reminded shortly before all the same (`off_duty` tells the owner so); touches
    with an agreed time are never replaced.
    """
    await session.flush()
    due_on = interaction.next_touch_on
    if due_on is None:
        await _supersede_next_touches(session, client.id, now, reasons=(TouchReason.CADENCE,))
        await replan_client(session, client, now)
        # An open greeting or invitation due before the cadence date is the next contact:
        # the sweep plans no cadence touch beside it.
        touch = await soonest_open_touch(session, client.id, NEXT_TOUCH_REASONS)
        if touch is None:
            touch = await soonest_open_touch(session, client.id)
        if touch is None:
            return None
        return PlannedFollowUp(touch=touch, too_soon=False, over_ceiling=False)
    owner = await session.get(Member, client.owner_id)
    language = _language(owner.language if owner is not None else None)
    goal = (interaction.next_step or "").strip() or cadence_goal(client.category, language)
    return await _plan_next_touch(
        session,
        client,
        due_on,
        at,
        goal=goal,
        dedupe_key=f"follow_up:{interaction.id}",
        contact_id=interaction.contact_id,
        last_contact=await _contact_before(session, interaction),
        now=now,
    )


async def plan_agreed_touch(
    session: AsyncSession,
    client: Client,
    day: date,
    at: datetime | None,
    *,
    goal: str,
    dedupe_key: str,
    contact_id: int | None,
    now: datetime,
) -> PlannedFollowUp:
    """A contact the manager plans without logging one («Встреча с Морозовым завтра в 15:00,
    обсудить каталог»): the client's next touch on that day, at that time, with that goal, as
    a follow-up agreed on a call would be — with the same warnings. `too_soon` here is any
    contact that reached the client less than a cadence before the day."""
    await session.flush()
    last = await session.scalar(
        select(func.max(Interaction.happened_at)).where(
            Interaction.client_id == client.id, Interaction.outcome != Outcome.NO_CONTACT
        )
    )
    return await _plan_next_touch(
        session,
        client,
        day,
        at,
        goal=goal,
        dedupe_key=dedupe_key,
        contact_id=contact_id,
        last_contact=_aware(last).date() if last is not None else None,
        now=now,
    )


async def _plan_next_touch(
    session: AsyncSession,
    client: Client,
    due_on: date,
    at: datetime | None,
    *,
    goal: str,
    dedupe_key: str,
    contact_id: int | None,
    last_contact: date | None,
    now: datetime,
) -> PlannedFollowUp:
    """The client's one next touch on `due_on` (moved to a working day of both the client and
    its owner; the time `at` kept unless moved), replacing the open cadence and follow-up
    touches without an agreed time."""
    policy = await policy_for(session, client.category)
    owner = await session.get(Member, client.owner_id)
    agreed_on = due_on
    if owner is not None and at is None:
        due_on = next_working_day(due_on, client_schedule(client), _member_schedule(owner))
    touch = await plan_touch(
        session,
        client=client,
        due_on=due_on,
        reason=TouchReason.FOLLOW_UP,
        goal=goal,
        dedupe_key=dedupe_key,
        now=now,
        contact_id=contact_id,
    )
    if at is not None:
        touch.due_at = at
    await _supersede_next_touches(session, client.id, now, keep=touch.id)
    count = await outgoing_touches_in_year(session, client.id, due_on)
    return PlannedFollowUp(
        touch=touch,
        too_soon=too_soon(last_contact, due_on, policy.cadence_days),
        over_ceiling=count >= policy.max_touches_year,
        agreed_on=agreed_on if agreed_on != due_on else None,
        off_duty=_off_duty(at, owner) if at is not None and owner is not None else None,
    )


def _off_duty(at: datetime, owner: Member) -> str | None:
    """OFF_DAY when `at` falls on the owner's day off, OFF_HOURS when outside their hours."""
    schedule = _member_schedule(owner)
    if not is_working_day(at.astimezone(schedule.zone).date(), schedule):
        return OFF_DAY
    return None if is_working_moment(at, schedule) else OFF_HOURS


@dataclass(frozen=True)
class ImportedContact:
    """A client's latest contact among those an import brought into its history."""

    client_id: int
    interaction_id: int
    happened_at: datetime
    next_touch_on: date | None
    next_step: str | None
    contact_id: int | None


async def follow_imported_history(
    session: AsyncSession, contacts: Sequence[ImportedContact], now: datetime
) -> int:
    """Plan as if each client's latest imported contact had been logged when it happened.

    Only where it is still the client's latest contact: no later interaction, no next touch
    closed by the manager since. A next date agreed then and still ahead becomes the follow-up
    touch, replacing the open cadence and follow-up touches, as `plan_follow_up` does; without
    one the open cadence touch is replaced, and the sweep that follows (`plan_all`) plans it
    anew from this contact by the client's rhythm — due today when that is overdue. Touches
    agreed for a time stay. Returns how many follow-ups were planned.
    """
    await session.flush()
    latest = {contact.client_id: contact for contact in contacts}
    superseded: list[int] = []
    follow_ups: list[ImportedContact] = []
    for part in _chunks(list(latest), _IN_LIMIT):
        newer: set[int] = set()
        for query in (
            select(Interaction.client_id, func.max(Interaction.happened_at))
            .where(Interaction.client_id.in_(part))
            .group_by(Interaction.client_id),
            select(Touch.client_id, func.max(Touch.closed_at))
            .where(Touch.client_id.in_(part), *_CLOSED_BY_MEMBER)
            .group_by(Touch.client_id),
        ):
            for client_id, moment in await session.execute(query):
                if moment is not None and _aware(moment) > latest[client_id].happened_at:
                    newer.add(client_id)
        rows = (await session.execute(_active_clients().where(Client.id.in_(part)))).all()
        for facts in (ClientFacts(*row) for row in rows):
            if facts.id in newer:
                continue
            contact = latest[facts.id]
            agreed = contact.next_touch_on
            if agreed is not None and agreed >= local_today(now, facts.timezone):
                follow_ups.append(contact)
            else:
                superseded.append(facts.id)
    for part in _chunks(superseded, _IN_LIMIT):
        await _supersede_open(session, part, (TouchReason.CADENCE,), now)
    for part in _chunks([contact.client_id for contact in follow_ups], _IN_LIMIT):
        await _supersede_open(session, part, NEXT_TOUCH_REASONS, now)
    await insert_touches(session, await _follow_up_rows(session, follow_ups, now))
    return len(follow_ups)


async def _supersede_open(
    session: AsyncSession, client_ids: Sequence[int], reasons: Sequence[TouchReason], now: datetime
) -> None:
    """`_supersede_next_touches` for many clients in one statement."""
    await session.execute(
        update(Touch)
        .where(
            Touch.client_id.in_(list(client_ids)),
            Touch.reason.in_(list(reasons)),
            Touch.status.in_(OPEN_STATUSES),
            Touch.due_at.is_(None),
        )
        .values(status=TouchStatus.SKIPPED, closed_at=now, skip_reason=REPLACED)
        .execution_options(synchronize_session=False)
    )


async def _follow_up_rows(
    session: AsyncSession, contacts: Sequence[ImportedContact], now: datetime
) -> list[dict[str, Any]]:
    """The follow-up touches of imported contacts, as `plan_follow_up` plans one: on the agreed
    day or the next working day of the client and its owner, the next step as the goal."""
    if not contacts:
        return []
    sweep = _Sweep(session, now, DEFAULT_HORIZON_DAYS)
    facts: dict[int, ClientFacts] = {}
    for part in _chunks([contact.client_id for contact in contacts], _IN_LIMIT):
        rows = (await session.execute(_active_clients().where(Client.id.in_(part)))).all()
        facts.update((row.id, ClientFacts(*row)) for row in rows)
    owners = {
        member.id: member
        for member in await session.scalars(
            select(Member).where(Member.id.in_({item.owner_id for item in facts.values()}))
        )
    }
    found = []
    for contact in contacts:
        client = facts[contact.client_id]
        owner = owners[client.owner_id]
        assert contact.next_touch_on is not None
        due = next_working_day(
            contact.next_touch_on, client_schedule(client), _member_schedule(owner)
        )
        goal = (contact.next_step or "").strip() or cadence_goal(
            client.category, _language(owner.language)
        )
        found.append(
            sweep._row(
                client,
                due_on=due,
                reason=TouchReason.FOLLOW_UP,
                goal=goal,
                dedupe_key=f"follow_up:{contact.interaction_id}",
                contact_id=contact.contact_id,
            )
        )
    return found


async def soonest_open_touch(
    session: AsyncSession,
    client_id: int,
    reasons: Sequence[TouchReason] | None = None,
    *,
    due_by: date | None = None,
) -> Touch | None:
    """The client's soonest open touch (of `reasons`, due by `due_by`, when given): its next
    contact, and what the manager most likely called about when the bot asks for the goal."""
    query = select(Touch).where(Touch.client_id == client_id, Touch.status.in_(OPEN_STATUSES))
    if reasons is not None:
        query = query.where(Touch.reason.in_(reasons))
    if due_by is not None:
        query = query.where(Touch.due_on <= due_by)
    return await session.scalar(query.order_by(Touch.due_on, Touch.id).limit(1))


async def confirm_data(
    session: AsyncSession, client: Client, member: Member, now: datetime
) -> list[Touch]:
    """The client's data are confirmed now: open «проверить данные» touches are done.

    Returns the touches closed. (The card's «Данные актуальны» logs the change; this is the
    planner's half, callable from it or from the reminder buttons.) Raises
    `access.AccessDeniedError` for somebody else's client.
    """
    if not access.can_see(member, client):
        raise access.AccessDeniedError(client.id)
    client.data_confirmed_at = now
    closed = list(
        await session.scalars(
            select(Touch).where(
                Touch.client_id == client.id,
                Touch.reason == TouchReason.STALE_DATA,
                Touch.status.in_(OPEN_STATUSES),
            )
        )
    )
    for touch in closed:
        close_touch(touch, TouchStatus.DONE, now)
    await session.flush()
    return closed


# Company events.


@dataclass(frozen=True)
class Audience:
    """Whom an event is for; an empty list means no restriction on that dimension."""

    categories: tuple[Category, ...] = ()
    industries: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    @classmethod
    def of(cls, stored: dict[str, Any] | None) -> Audience:
        """The audience stored on an `Event`."""
        stored = stored or {}
        return cls(
            categories=tuple(Category(value) for value in stored.get("categories") or ()),
            industries=tuple(stored.get("industries") or ()),
            tags=tuple(stored.get("tags") or ()),
        )

    def as_json(self) -> dict[str, list[str]]:
        """The form kept in `Event.audience`."""
        return {
            "categories": [category.value for category in self.categories],
            "industries": list(self.industries),
            "tags": list(self.tags),
        }


@dataclass(frozen=True)
class _Invitee:
    client_id: int
    owner_id: int
    category: Category


# Invitations start at most three weeks before the event (earlier, clients forget; a sales head
# announces a webinar two or three weeks ahead) and end two days before it, so the last invited
# still have a day to put it in their calendar.
INVITATION_LEAD_DAYS = 21
INVITATION_LAST_GAP_DAYS = 2
# More event invitations than this on one manager's day, on top of their usual touches, is
# worth a warning in the preview.
DAILY_INVITATIONS_LIMIT = 10


@dataclass(frozen=True)
class Overload:
    """A manager whose busiest invitation day is above `DAILY_INVITATIONS_LIMIT`."""

    member_id: int
    name: str
    per_day: int
    day: date


@dataclass(frozen=True)
class WaitingOwner:
    """A deactivated member whose clients are in the audience: their invitations are planned
    (open touches follow a client's handover) but nobody makes them until the clients move."""

    member_id: int
    name: str
    clients: int


@dataclass
class EventPlan:
    """The audience of an event and how its invitations are (or would be) spread."""

    clients: int = 0
    managers: int = 0
    at_ceiling: int = 0
    planned: int = 0
    first_day: date | None = None
    last_day: date | None = None
    # The busiest day of any one manager: what «nobody gets 40 on one day» is checked by.
    max_per_day: int = 0
    # Invitations made on a call already planned for that day: one call, not two.
    on_calls: int = 0
    per_member: dict[int, int] = field(default_factory=dict)
    overloaded: list[Overload] = field(default_factory=list)
    waiting: list[WaitingOwner] = field(default_factory=list)


# Key clients are invited (and, after an import, first contacted) first, occasional ones last.
CATEGORY_ORDER = {
    Category.KEY: 0,
    Category.VIP: 1,
    Category.REGULAR: 2,
    Category.NEW: 3,
    Category.OCCASIONAL: 4,
}


async def audience_clients(session: AsyncSession, audience: Audience) -> list[_Invitee]:
    """The active clients an audience covers, in invitation order."""
    query = select(Client.id, Client.owner_id, Client.category, Client.tags).where(
        Client.is_active.is_(True), Client.forgotten_at.is_(None)
    )
    if audience.categories:
        query = query.where(Client.category.in_(list(audience.categories)))
    if audience.industries:
        query = query.where(Client.industry.in_(list(audience.industries)))
    wanted_tags = {tag.casefold() for tag in audience.tags}
    invitees = [
        _Invitee(row.id, row.owner_id, row.category)
        for row in await session.execute(query)
        if not wanted_tags or wanted_tags & {str(tag).casefold() for tag in row.tags or ()}
    ]
    invitees.sort(key=lambda invitee: (CATEGORY_ORDER[invitee.category], invitee.client_id))
    return invitees


async def industries_in_base(session: AsyncSession, limit: int = 12) -> list[str]:
    """The most common industries of active clients, for the audience buttons."""
    count = func.count().label("count")
    rows = await session.execute(
        select(Client.industry, count)
        .where(
            Client.is_active.is_(True), Client.forgotten_at.is_(None), Client.industry.is_not(None)
        )
        .group_by(Client.industry)
        .order_by(count.desc(), Client.industry)
        .limit(limit)
    )
    return [row.industry for row in rows if row.industry]


async def tags_in_base(session: AsyncSession, limit: int = 12) -> list[str]:
    """The most common markers of active clients, for the audience buttons.

    Markers are a JSON list per client, which SQLite and PostgreSQL unnest differently: one
    column is read and counted here (case aside, the most frequent spelling shown)."""
    counts: dict[str, int] = defaultdict(int)
    spellings: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for tags in await session.scalars(
        select(Client.tags).where(
            Client.is_active.is_(True), Client.forgotten_at.is_(None), Client.tags.is_not(None)
        )
    ):
        for tag in {str(tag).strip() for tag in tags or () if str(tag).strip()}:
            counts[tag.casefold()] += 1
            spellings[tag.casefold()][tag] += 1
    ranked = sorted(counts, key=lambda key: (-counts[key], key))[:limit]
    return [max(spellings[key], key=lambda tag: (spellings[key][tag], tag)) for key in ranked]


def _member_schedule(member: Member) -> Schedule:
    return Schedule(
        zone=ZoneInfo(member.timezone),
        start=member.work_start,
        end=member.work_end,
        weekdays=member.weekdays,
        observe_holidays=True,
    )


def invitation_days(happens_on: date, today: date, schedule: Schedule) -> list[date]:
    """The owner's working days from three weeks before the event (tomorrow at the earliest)
    to two days before it; up to the day before when that leaves none; today when even that is
    empty — an event tomorrow can only be announced today."""
    first = max(today + timedelta(days=1), happens_on - timedelta(days=INVITATION_LEAD_DAYS))
    for gap in (INVITATION_LAST_GAP_DAYS, 1):
        last = happens_on - timedelta(days=gap)
        days = []
        day = first
        while day <= last:
            if is_working_day(day, schedule):
                days.append(day)
            day += timedelta(days=1)
        if days:
            return days
    return [today]


async def _at_ceiling(
    session: AsyncSession,
    invitees: Sequence[_Invitee],
    now: datetime,
    policies: dict[Category, Policy],
) -> set[int]:
    """Clients whose outgoing contacts of the last 365 days already reach the ceiling."""
    since = datetime.combine(now.astimezone(UTC).date() - YEAR, time(0), tzinfo=UTC)
    categories = {invitee.client_id: invitee.category for invitee in invitees}
    full: set[int] = set()
    for part in _chunks(list(categories), _IN_LIMIT):
        for client_id, count in await session.execute(
            select(Interaction.client_id, func.count())
            .where(
                Interaction.client_id.in_(part),
                Interaction.direction == Direction.OUTGOING,
                Interaction.happened_at >= since,
            )
            .group_by(Interaction.client_id)
        ):
            if count >= policies[categories[client_id]].max_touches_year:
                full.add(client_id)
    return full


async def _spread(
    session: AsyncSession, audience: Audience, happens_on: date, now: datetime
) -> tuple[EventPlan, list[tuple[_Invitee, date]], dict[int, Member]]:
    """Who is invited on which day: round-robin over each owner's working days."""
    invitees = await audience_clients(session, audience)
    policies = await all_policies(session)
    full = await _at_ceiling(session, invitees, now, policies)
    owners = {
        member.id: member
        for member in await session.scalars(
            select(Member).where(Member.id.in_({invitee.owner_id for invitee in invitees}))
        )
    }
    plan = EventPlan(
        clients=len(invitees),
        managers=len(owners),
        at_ceiling=sum(1 for invitee in invitees if invitee.client_id in full),
    )
    by_owner: dict[int, list[_Invitee]] = defaultdict(list)
    for invitee in invitees:
        if invitee.client_id not in full:
            by_owner[invitee.owner_id].append(invitee)
    contacts = await _contact_days(session, [invitee.client_id for invitee in invitees])
    assignments: list[tuple[_Invitee, date]] = []
    for owner_id, owned in by_owner.items():
        owner = owners[owner_id]
        days = invitation_days(
            happens_on, local_today(now, owner.timezone), _member_schedule(owner)
        )
        per_day: dict[date, int] = defaultdict(int)
        spread = 0
        open_days = set(days)
        for invitee in owned:
            # A client already to be called on one of these days is invited on that call.
            on_call = next(
                (day for day in contacts.get(invitee.client_id, ()) if day in open_days), None
            )
            if on_call is not None:
                day = on_call
                plan.on_calls += 1
            else:
                day = days[spread % len(days)]
                spread += 1
            per_day[day] += 1
            assignments.append((invitee, day))
        plan.per_member[owner_id] = len(owned)
        if not owner.is_active:
            plan.waiting.append(WaitingOwner(owner_id, owner.full_name, len(owned)))
        plan.max_per_day = max(plan.max_per_day, *per_day.values())
        busiest = max(per_day, key=lambda day: (per_day[day], -day.toordinal()))
        if per_day[busiest] > DAILY_INVITATIONS_LIMIT:
            plan.overloaded.append(Overload(owner_id, owner.full_name, per_day[busiest], busiest))
    if assignments:
        plan.first_day = min(day for _, day in assignments)
        plan.last_day = max(day for _, day in assignments)
    return plan, assignments, owners


async def _contact_days(session: AsyncSession, client_ids: Sequence[int]) -> dict[int, list[date]]:
    """The days each client is already to be called, soonest first: its routine call (a time
    agreed with the client included), an agreed next step, an invitation to another event. An
    invitation goes on one of them, so that one call does both (a routine call without an
    agreed time is then replaced by it)."""
    days: dict[int, list[date]] = defaultdict(list)
    for part in _chunks(list(client_ids), _IN_LIMIT):
        rows = await session.execute(
            select(Touch.client_id, Touch.due_on)
            .where(
                Touch.client_id.in_(part),
                Touch.status.in_(OPEN_STATUSES),
                Touch.reason.in_((TouchReason.CADENCE, TouchReason.FOLLOW_UP, TouchReason.EVENT)),
                # A first contact is a call of its own: getting acquainted, not inviting.
                ~Touch.dedupe_key.startswith(FIRST_TOUCH_KEY.format(client_id="")),
            )
            .distinct()
            .order_by(Touch.client_id, Touch.due_on)
        )
        for client_id, day in rows.all():
            days[client_id].append(day)
    return days


def _replaceable_call(*conditions: ColumnElement[bool]) -> tuple[ColumnElement[bool], ...]:
    """An open cadence touch without a time agreed: the routine call an invitation makes. Not
    a client's first contact: getting acquainted is a call of its own."""
    return (
        *conditions,
        Touch.reason == TouchReason.CADENCE,
        Touch.status.in_(OPEN_STATUSES),
        Touch.due_at.is_(None),
        ~Touch.dedupe_key.startswith(FIRST_TOUCH_KEY.format(client_id="")),
    )


def _replaced_by(event_id: int) -> str:
    """The suffix a call replaced by the event's invitation adds to its key (and keeps if it
    comes back): the key is free for the sweep to plan the call again, and `cancel_event`
    finds the call to bring back."""
    return f":e{event_id}"


async def _replace_calls_by_invitations(
    session: AsyncSession, event_id: int, invited: Sequence[tuple[int, date]], now: datetime
) -> None:
    """The invitation is the client's next contact: a routine cadence call due on its day or
    later is replaced, as the sweep plans none beside an invitation due first (`_cadence`).
    Logging the invitation re-bases the cadence; the invitation skipped or its event
    cancelled, the call comes back (`_restore_replaced_calls`)."""
    by_day: dict[date, list[int]] = defaultdict(list)
    for client_id, day in invited:
        by_day[day].append(client_id)
    for day, client_ids in by_day.items():
        for part in _chunks(client_ids, _IN_LIMIT):
            await session.execute(
                update(Touch)
                .where(*_replaceable_call(Touch.client_id.in_(part), Touch.due_on >= day))
                .values(
                    status=TouchStatus.SKIPPED,
                    closed_at=now,
                    skip_reason=REPLACED,
                    dedupe_key=Touch.dedupe_key + _replaced_by(event_id),
                )
                .execution_options(synchronize_session="fetch")
            )


async def _restore_replaced_calls(
    session: AsyncSession, event_id: int, client_id: int | None = None
) -> None:
    """The calls the event's invitations replaced (of one client, when given), planned again
    as they were — unless the client has another next touch by now (a contact logged
    meanwhile planned one)."""
    suffix = _replaced_by(event_id)
    other = aliased(Touch)
    has_next = (
        select(other.id)
        .where(
            other.client_id == Touch.client_id,
            other.reason.in_(NEXT_TOUCH_REASONS),
            other.status.in_(OPEN_STATUSES),
        )
        .exists()
    )
    replaced = list(
        await session.scalars(
            select(Touch).where(
                Touch.status == TouchStatus.SKIPPED,
                Touch.skip_reason == REPLACED,
                Touch.dedupe_key.endswith(suffix, autoescape=True),
                ~has_next,
                *([Touch.client_id == client_id] if client_id is not None else []),
            )
        )
    )
    for touch in replaced:
        touch.status = TouchStatus.PLANNED
        touch.closed_at = None
        touch.skip_reason = None
    await session.flush()


async def skip_touch(
    session: AsyncSession, touch: Touch, reason: str, now: datetime
) -> Touch | None:
    """The manager skips a touch; returns the client's next touch, planned at once.

    The client keeps a next touch without waiting for the night's sweep: a skipped invitation
    gives back the routine call it had replaced, as it was planned; otherwise the client is
    planned as the sweep would (a skipped routine call counts from now, a skipped greeting
    lets the routine call it stood in for come back)."""
    close_touch(touch, TouchStatus.SKIPPED, now, reason)
    await session.flush()
    if touch.reason is TouchReason.EVENT and touch.event_id is not None:
        await _restore_replaced_calls(session, touch.event_id, touch.client_id)
    client = await session.get(Client, touch.client_id)
    if client is not None:
        await replan_client(session, client, now)
    return await soonest_open_touch(session, touch.client_id)


async def preview_event(
    session: AsyncSession, audience: Audience, happens_on: date, now: datetime
) -> EventPlan:
    """What saving an event would plan: audience size, managers, clients at the ceiling."""
    plan, _, _ = await _spread(session, audience, happens_on, now)
    return plan


async def plan_event_invitations(session: AsyncSession, event: Event, now: datetime) -> EventPlan:
    """Invitation touches for an event's audience, spread over each owner's working days
    (`invitation_days`); clients at their yearly ceiling are left out (and counted).
    Idempotent per event and client."""
    await session.flush()
    plan, assignments, owners = await _spread(
        session, Audience.of(event.audience), event.happens_on, now
    )
    # One goal per owner: in their language, the start on their clock too.
    goals = {owner_id: invitation_goal(event, owner) for owner_id, owner in owners.items()}
    rows: list[dict[str, Any]] = [
        {
            "client_id": invitee.client_id,
            "member_id": invitee.owner_id,
            "contact_id": None,
            "due_on": day,
            "reason": TouchReason.EVENT,
            "status": TouchStatus.PLANNED,
            "goal": goals[invitee.owner_id],
            "draft_text": None,
            "occasion_key": f"event{event.id}",
            "key_date_id": None,
            "event_id": event.id,
            "dedupe_key": f"event:{event.id}:{invitee.client_id}",
            "created_at": now,
        }
        for invitee, day in assignments
    ]
    taken = await existing_keys(session, [row["dedupe_key"] for row in rows])
    rows = [row for row in rows if row["dedupe_key"] not in taken]
    await insert_touches(session, rows)
    await _replace_calls_by_invitations(
        session, event.id, [(row["client_id"], row["due_on"]) for row in rows], now
    )
    plan.planned = len(rows)
    return plan


async def reword_invitations(
    session: AsyncSession, owner: Member, touch_ids: Sequence[int] | None = None
) -> int:
    """Word the owner's open invitation touches (only `touch_ids`, when given) for the owner
    as they are now: the start on their clock, in their language. Returns how many changed.

    An invitation's goal is written for the owner it was planned for («…в 11:00 по Москве, у
    вас 15:00»); once the client is handed over, or the owner moves to another zone or
    language, that text would speak of somebody else's clock.
    """
    query = (
        select(Touch, Event)
        .join(Event, Event.id == Touch.event_id)
        .where(
            Touch.member_id == owner.id,
            Touch.reason == TouchReason.EVENT,
            Touch.status.in_(OPEN_STATUSES),
        )
    )
    if touch_ids is not None:
        query = query.where(Touch.id.in_(list(touch_ids)))
    changed = 0
    for touch, event in (await session.execute(query)).all():
        goal = invitation_goal(event, owner)
        if touch.goal != goal:
            touch.goal = goal
            changed += 1
    await session.flush()
    return changed


# The reasons whose goal the planner writes itself: a follow-up without an agreed next step
# gets the cadence goal too.
_WORDED_REASONS = (
    TouchReason.CADENCE,
    TouchReason.FOLLOW_UP,
    TouchReason.STALE_DATA,
    TouchReason.OCCASION,
)
_CADENCE_CATEGORY = {
    text: category for goals in CADENCE_GOALS.values() for category, text in goals.items()
}


def _occasion_goal_in(
    language: str,
    touch: Touch,
    client_name: str,
    key_date: KeyDate | None,
    full_name: str | None,
    *,
    retired: bool = False,
) -> str | None:
    """The goal the sweep would have written for this occasion touch in `language` (with the
    retired English wording when `retired`)."""
    goals = _RETIRED_OCCASION_GOALS_EN if retired else _OCCASION_GOALS[language]
    _, first, patronymic = occasions.split_name(full_name or "")
    if key_date is not None:
        kind, _ = _key_date_kinds(key_date)
        return _occasion_goal(
            goals,
            kind,
            language=language,
            first_name=first,
            patronymic=patronymic,
            fallback_name=full_name or client_name,
            title=key_date.title,
            relation=key_date.relation,
            person=key_date.person_name,
            key=None,
        )
    titles = occasions.holiday_titles(touch.occasion_key or "")
    if titles is None:
        return None
    return _occasion_goal(
        goals,
        "holiday",
        language=language,
        first_name=first,
        patronymic=patronymic,
        fallback_name=client_name,
        title=titles[1] if language == "en" else titles[0],
        relation=None,
        person=None,
        key=touch.occasion_key,
    )


async def reword_generated_goals(
    session: AsyncSession, owner: Member, touch_ids: Sequence[int] | None = None
) -> int:
    """Word the goals the planner wrote for the owner's open cadence, follow-up, data-check and
    occasion touches (only `touch_ids`, when given) in the owner's language. Returns how many
    changed.

    Those goals are written in the language of the owner they were planned for; after a
    handover or a language change they would stay in the old one. Only a goal that is still,
    word for word, the generated text in another language is replaced: a goal a manager typed
    or an agreed next step is the manager's words and stays as it is.
    """
    language = _language(owner.language)
    others = [other for other in _LANGUAGES if other != language]
    query = (
        select(Touch, Client.name, KeyDate, Contact.full_name)
        .join(Client, Client.id == Touch.client_id)
        .outerjoin(KeyDate, KeyDate.id == Touch.key_date_id)
        # The person greeted: a key date's contact, or a holiday's addressee.
        .outerjoin(Contact, Contact.id == Touch.contact_id)
        .where(
            Touch.member_id == owner.id,
            Touch.reason.in_(_WORDED_REASONS),
            Touch.status.in_(OPEN_STATUSES),
        )
    )
    if touch_ids is not None:
        query = query.where(Touch.id.in_(list(touch_ids)))
    changed = 0
    for touch, client_name, key_date, full_name in (await session.execute(query)).all():
        goal: str | None = None
        current = _RETIRED_GOALS_EN.get(touch.goal, touch.goal)
        if touch.reason is TouchReason.STALE_DATA:
            if current in (STALE_GOALS[other] for other in others):
                goal = STALE_GOALS[language]
        elif touch.reason is TouchReason.OCCASION:
            written = [
                _occasion_goal_in(other, touch, client_name, key_date, full_name)
                for other in others
            ]
            if language != "en":
                written.append(
                    _occasion_goal_in("en", touch, client_name, key_date, full_name, retired=True)
                )
            if touch.goal in written:
                goal = _occasion_goal_in(language, touch, client_name, key_date, full_name)
        elif (category := _CADENCE_CATEGORY.get(current)) is not None:
            goal = cadence_goal(category, language)
        elif current in (FIRST_CONTACT_GOALS[other] for other in others):
            goal = first_contact_goal(language)
        if goal is not None and goal != touch.goal:
            touch.goal = goal
            changed += 1
    await session.flush()
    return changed


class DuplicateEventError(Exception):
    """An event with the same title on the same day is already planned: its clients are
    invited once."""

    def __init__(self, event: Event) -> None:
        super().__init__(f"event {event.id} already exists")
        self.event = event


class EventGoneError(Exception):
    """The event to cancel does not exist, is cancelled already or is over."""


def _title_key(title: str) -> str:
    # «Вебинар:  новая коллекция» and «вебинар: Новая коллекция» are one event; so are ё and е.
    return " ".join(title.split()).casefold().replace("ё", "е")


async def same_event(session: AsyncSession, title: str, happens_on: date) -> Event | None:
    """The event (not cancelled) with this title on this day, if any."""
    key = _title_key(title)
    candidates = await session.scalars(
        select(Event)
        .where(Event.happens_on == happens_on, Event.cancelled_at.is_(None))
        .order_by(Event.id)
    )
    return next((event for event in candidates if _title_key(event.title) == key), None)


@dataclass(frozen=True)
class UpcomingEvent:
    """An event that has not happened yet, with its invitations: all of them and still open."""

    event: Event
    invited: int
    open: int


async def invitation_counts(
    session: AsyncSession, event_ids: Sequence[int]
) -> dict[int, tuple[int, int]]:
    """Event id → (invitations planned, still open), in one query."""
    if not event_ids:
        return {}
    still_open = func.sum(case((Touch.status.in_(OPEN_STATUSES), 1), else_=0))
    rows = await session.execute(
        select(Touch.event_id, func.count(), still_open)
        .where(Touch.event_id.in_(list(event_ids)))
        .group_by(Touch.event_id)
    )
    return {int(event_id): (int(total), int(opened or 0)) for event_id, total, opened in rows}


async def upcoming_events(
    session: AsyncSession, today: date, limit: int = 10
) -> list[UpcomingEvent]:
    """Events from today on that are not cancelled, soonest first."""
    events = list(
        await session.scalars(
            select(Event)
            .where(Event.happens_on >= today, Event.cancelled_at.is_(None))
            .order_by(Event.happens_on, Event.id)
            .limit(limit)
        )
    )
    counts = await invitation_counts(session, [event.id for event in events])
    return [UpcomingEvent(event, *counts.get(event.id, (0, 0))) for event in events]


async def upcoming_event(session: AsyncSession, event_id: int, today: date) -> UpcomingEvent:
    """One event that may still be cancelled; `EventGoneError` otherwise."""
    event = await session.get(Event, event_id)
    if event is None or event.cancelled_at is not None or event.happens_on < today:
        raise EventGoneError
    invited, still_open = (await invitation_counts(session, [event.id])).get(event.id, (0, 0))
    return UpcomingEvent(event, invited, still_open)


# The skip reason of invitations closed because their event was cancelled.
EVENT_CANCELLED = "event_cancelled"


@dataclass(frozen=True)
class EventCancelled:
    """A cancelled event and the invitations closed with it, per member who had them."""

    event: Event
    closed: int
    per_member: dict[int, int]
    # The members those invitations were closed for, active or not.
    members: list[Member]


async def cancel_event(
    session: AsyncSession, *, by: Member, event_id: int, today: date, now: datetime
) -> EventCancelled:
    """Cancel an upcoming event: its open invitation touches are skipped and their pending
    reminders cancelled, and the routine calls they had replaced are back in the plan (for
    clients with no other next touch meanwhile); done invitations stay in the history. The
    audit log records who did it."""
    from scheduler.jobs import cancel_reminders_of  # noqa: PLC0415 - the scheduler imports services

    event = (await upcoming_event(session, event_id, today)).event
    event.cancelled_at = now
    touches = list(
        await session.scalars(
            select(Touch)
            .where(Touch.event_id == event.id, Touch.status.in_(OPEN_STATUSES))
            .order_by(Touch.id)
        )
    )
    per_member: dict[int, int] = defaultdict(int)
    for touch in touches:
        close_touch(touch, TouchStatus.SKIPPED, now, EVENT_CANCELLED)
        per_member[touch.member_id] += 1
    await cancel_reminders_of(session, [touch.id for touch in touches])
    await session.flush()
    await _restore_replaced_calls(session, event.id)
    await audit.record(
        session,
        member=by,
        action="event_cancelled",
        now=now,
        event_id=event.id,
        invitations=len(touches),
    )
    members = list(
        await session.scalars(
            select(Member).where(Member.id.in_(list(per_member))).order_by(Member.id)
        )
    )
    return EventCancelled(event, len(touches), dict(per_member), members)


async def create_event(
    session: AsyncSession,
    *,
    by: Member,
    title: str,
    happens_on: date,
    audience: Audience,
    now: datetime,
    starts_at: time | None = None,
    description: str | None = None,
) -> tuple[Event, EventPlan]:
    """Save a company event and plan its invitations (recorded in the audit log);
    `DuplicateEventError` when the same event (title and day) is already planned, so nobody is
    invited twice."""
    existing = await same_event(session, title, happens_on)
    if existing is not None:
        raise DuplicateEventError(existing)
    event = Event(
        title=title,
        happens_on=happens_on,
        starts_at=starts_at,
        description=description,
        timezone=by.timezone,
        audience=audience.as_json(),
        created_by_id=by.id,
        created_at=now,
    )
    session.add(event)
    await session.flush()
    plan = await plan_event_invitations(session, event, now)
    await audit.record(
        session,
        member=by,
        action="event_created",
        now=now,
        event_id=event.id,
        invitations=plan.planned,
    )
    return event, plan
