"""The morning digest and the plan on demand: what a member has to do today, and this week.

`build_digest` gathers today's open touches (with the client's calling window shown in the
member's time, the preferred channel and the phone), the overdue ones (an agreed time first,
then key and VIP clients, then the oldest), the occasions from today to the member's next
working day (tomorrow, or over a week-end or holidays: a line the working day before), stale
records and, for a head, the team members with overdue work; `render_digest` turns it into
Telegram messages of at most 4096 characters, split between items and never inside one, each
part carrying one row of buttons per touch or stale record. Overdue touches and stale records
are cut to the few most important, the rest counted and paged by `render_overdue` (/overdue),
so a backlog of weeks stays one readable message. `build_week` and `render_week` do the same
for `/week`. `render_reminder` is the text of a single touch's reminder.

No aiogram here: buttons come from a callable the caller passes in (the keyboards module), and
texts from the translation catalogs.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import LANGUAGES, Translator, translator
from models import Client, Contact, KeyDate, Member, Outbox, Touch
from models.enums import Category, Channel, Role, TouchReason, TouchStatus
from services import access, occasions, parsing, person_names, stats, validation, windows
from services.client_card import occurrence_in
from services.periods import Period, PeriodKind
from services.planner import EVENT_CANCELLED, yearly_dates_condition
from services.touches import OPEN_STATUSES, Policy, all_policies
from services.windows import Schedule

TELEGRAM_LIMIT = 4096
# Telegram shows at most about a hundred inline buttons under one message; three per item.
MAX_ITEMS_PER_PART = 30
GOAL_LIMIT = 300
DRAFT_LIMIT = 1500
# The digest and /today show this many overdue touches and stale records in full, the most
# important first; the rest is one line pointing to /overdue, which pages through them all.
# A manager back after weeks away gets a morning's worth, not a hundred items of three buttons.
OVERDUE_SHOWN = 5
STALE_SHOWN = 5
# Items (or stale records) per /overdue page; a page also stays within Telegram's length.
OVERDUE_PAGE_ITEMS = 8
# Room an /overdue page keeps for its title and page line.
PAGE_TITLE_ROOM = 200
# Team members in a head's morning block; the rest is a count and /team.
TEAM_SHOWN = 10
# Categories whose clients come first among overdue touches and stale records.
PRIORITY_CATEGORIES = frozenset({Category.KEY, Category.VIP})
WEEK_DAYS = 7
FOLDED_LOOKBACK = timedelta(days=3)
ONE_DAY = timedelta(days=1)
# The longest run of days off the «Поводы» section looks over (the New Year holidays).
OCCASION_LOOKAHEAD = 14
OCCASION_EMOJI = {"birthday": "🎂", "anniversary": "💍", "professional": "🏅", "other": "📅"}

Button = dict[str, str]
ItemRow = Callable[[int, "DigestItem", Translator], list[Button]]
StaleRow = Callable[["StaleLine", Translator], list[Button]]


# ---------------------------------------------------------------------------------------------
# Open touches as plans read them: plain rows, not ORM objects


@dataclass(frozen=True, slots=True)
class ContactView:
    """The columns of a contact that a plan, a reminder or the calendar shows."""

    id: int
    full_name: str
    position: str | None
    phone: str | None
    is_primary: bool
    window_start: time | None
    window_end: time | None
    window_days: str | None
    preferred_channel: Channel | None
    channel_schedule: list[dict[str, Any]]

    @classmethod
    def of(cls, contact: Contact) -> ContactView:
        return cls(*(getattr(contact, name) for name in _CONTACT_FIELDS))


@dataclass(frozen=True, slots=True)
class ClientView:
    """The columns of a client that a plan needs, its contacts first: name, owner, calling
    window, data age."""

    contacts: tuple[ContactView, ...]
    id: int
    name: str
    owner_id: int
    timezone: str
    window_start: time
    window_end: time
    window_days: str
    observe_holidays: bool
    data_confirmed_at: datetime
    category: Category

    @classmethod
    def of(cls, client: Client) -> ClientView:
        """A loaded client (contacts included) as a view."""
        contacts = tuple(ContactView.of(contact) for contact in client.contacts)
        return cls(contacts, *(getattr(client, name) for name in _CLIENT_FIELDS))


@dataclass(frozen=True, slots=True)
class TouchView:
    """The columns of an open touch that a plan and its reminder need."""

    id: int
    client_id: int
    contact_id: int | None
    due_on: date
    reason: TouchReason
    goal: str
    draft_text: str | None
    snoozed_until: datetime | None
    due_at: datetime | None

    @classmethod
    def of(cls, touch: Touch) -> TouchView:
        return cls(*(getattr(touch, name) for name in _TOUCH_FIELDS))


_CONTACT_FIELDS = tuple(ContactView.__dataclass_fields__)
_CLIENT_FIELDS = tuple(name for name in ClientView.__dataclass_fields__ if name != "contacts")
_TOUCH_FIELDS = tuple(TouchView.__dataclass_fields__)
# Client ids per query for their contacts: well under any engine's limit on parameters.
_CONTACTS_CHUNK = 1000


# ---------------------------------------------------------------------------------------------
# Schedules of clients and members


def member_schedule(member: Member) -> Schedule:
    """The member's working hours and days, in their zone; Russian holidays are days off."""
    return Schedule(
        zone=ZoneInfo(member.timezone),
        start=member.work_start,
        end=member.work_end,
        weekdays=member.weekdays,
        observe_holidays=True,
    )


def client_schedule(client: ClientView, contact: ContactView | None = None) -> Schedule:
    """The client's calling window, or the contact's own window when it has one."""
    start, end, days = client.window_start, client.window_end, client.window_days
    if contact is not None and contact.window_start is not None and contact.window_end is not None:
        start, end = contact.window_start, contact.window_end
    if contact is not None and contact.window_days:
        days = contact.window_days
    return Schedule(
        zone=ZoneInfo(client.timezone),
        start=start,
        end=end,
        weekdays=frozenset(int(day) for day in days),
        observe_holidays=client.observe_holidays,
    )


def local_today(member: Member, now: datetime) -> date:
    """The member's calendar date at `now`."""
    return now.astimezone(ZoneInfo(member.timezone)).date()


def occasion_days(member: Member, today: date) -> list[date]:
    """The days whose occasions the digest lists: today up to the member's next working day —
    tomorrow on an ordinary day; on a Friday, or before holidays, every day off until work
    resumes (a Sunday birthday is seen on Friday, not missed on Monday)."""
    schedule = member_schedule(member)
    days = [today, today + ONE_DAY]
    while not windows.is_working_day(days[-1], schedule) and len(days) <= OCCASION_LOOKAHEAD:
        days.append(days[-1] + ONE_DAY)
    return days


def missed_working_days(due_on: date, today: date, schedule: Schedule) -> int:
    """The schedule's working days from `due_on` up to (not including) `today`: the days a
    touch could have been done and was not. A Friday touch on Monday has missed one, a
    Saturday one none — a week-end is not neglect."""
    return _working_days(due_on, today, schedule.weekdays, schedule.observe_holidays)


@lru_cache(maxsize=4096)
def _working_days(first: date, last: date, weekdays: frozenset[int], holidays: bool) -> int:
    """Working days in [first, last); remembered: a digest's overdue touches share due dates."""
    count = 0
    day = first
    while day < last:
        if day.weekday() in weekdays and not (holidays and windows.is_russian_holiday(day)):
            count += 1
        day += ONE_DAY
    return count


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC start and end of a local calendar day."""
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def touch_contact(touch: TouchView, client: ClientView) -> ContactView | None:
    """The contact a touch is about: its own, else the client's primary, else the first one."""
    if touch.contact_id is not None:
        for contact in client.contacts:
            if contact.id == touch.contact_id:
                return contact
    for contact in client.contacts:
        if contact.is_primary:
            return contact
    return client.contacts[0] if client.contacts else None


def channel_at(
    contact: ContactView | None, moment: datetime | None, zone: ZoneInfo
) -> Channel | None:
    """The contact's preferred channel, by time of day when the contact has a schedule."""
    if contact is None:
        return None
    chosen = contact.preferred_channel
    if moment is None or not contact.channel_schedule:
        return chosen
    local = moment.astimezone(zone).time()
    best: time | None = None
    for entry in contact.channel_schedule:
        try:
            since = validation.parse_time(str(entry.get("from", "")))
            channel = Channel(str(entry.get("channel")))
        except ValueError:
            continue
        if since <= local and (best is None or since > best):
            best, chosen = since, channel
    return chosen


# ---------------------------------------------------------------------------------------------
# The digest as data


@dataclass(frozen=True)
class DigestItem:
    """One open touch as the digest, /today and a reminder show it."""

    touch_id: int
    client_id: int
    client_name: str
    contact_name: str | None
    goal: str
    reason: TouchReason
    due_on: date
    overdue_days: int
    # The client's window on the member's clock; `reachable` when it ever meets their hours.
    window_opens: time
    window_closes: time
    reachable: bool
    # When the client can be called on the member's day (UTC), None when not today.
    call_from: datetime | None
    call_until: datetime | None
    # The next moment it can be called when not today (a day off for the client).
    next_call: datetime | None
    channel: Channel | None
    phone: str | None
    draft_text: str | None = None
    folded: bool = False
    # Days since the client's data were confirmed, when this touch also carries the client's
    # «проверить данные» check (`fold_data_checks`).
    data_age_days: int | None = None
    # The time agreed with the client (UTC), when there is one.
    due_at: datetime | None = None
    category: Category | None = None
    # The member's working days the touch has been overdue (`missed_working_days`).
    missed_days: int = 0

    @property
    def order_key(self) -> tuple[int, int, str]:
        """Window opening on the member's clock, then name: the digest's order."""
        minutes = self.window_opens.hour * 60 + self.window_opens.minute
        return (0 if self.reachable else 1, minutes, self.client_name.casefold())

    @property
    def overdue_rank(self) -> tuple[int, date, int, int, str]:
        """The overdue list's order: a time agreed with the client first (someone is waiting
        on a promise), then key and VIP clients, then the rest; within each, the oldest
        first, so a backlog shrinks from its old end instead of the old items never showing."""
        if self.due_at is not None:
            tier = 0
        elif self.category in PRIORITY_CATEGORIES:
            tier = 1
        else:
            tier = 2
        return (tier, self.due_on, *self.order_key)


@dataclass(frozen=True)
class AgreedLine:
    """A contact agreed with the client for a time on one of the member's coming days off:
    the digest before them says so, or the Saturday call would come as a surprise."""

    at: datetime
    client_name: str
    goal: str


@dataclass(frozen=True)
class OccasionLine:
    """A key date of today or tomorrow: a reason to call, or to prepare.

    Whose it is: the contact's own (`contact` only), a relative's (`relative` and/or
    `relation`, of `contact`), or the client's when no contact is named.
    """

    on: date
    kind: str
    title: str
    client_name: str
    client_id: int
    contact: str | None = None
    relative: str | None = None
    relation: str | None = None


@dataclass(frozen=True)
class HolidayLine:
    """A national holiday, or a professional one of the member's clients' industries."""

    on: date
    title: str
    professional: bool
    clients: int = 0


@dataclass(frozen=True)
class StaleLine:
    """A client whose data were confirmed longer ago than the category allows."""

    client_id: int
    client_name: str
    days: int
    category: Category

    @property
    def rank(self) -> tuple[int, int, str]:
        """Key and VIP clients first, then the oldest data."""
        return (
            0 if self.category in PRIORITY_CATEGORIES else 1,
            -self.days,
            self.client_name.casefold(),
        )


@dataclass(frozen=True)
class TeamLine:
    """A team member with something for the head to hear about in the morning."""

    member_id: int
    name: str
    overdue: int
    stale: int
    key_untouched: int
    active: bool = True

    @property
    def rank(self) -> tuple[int, int, int, str]:
        """Worst first: overdue touches, then key clients left alone, then stale records."""
        return (-self.overdue, -self.key_untouched, -self.stale, self.name.casefold())


@dataclass
class Digest:
    """The morning digest of one member for one local date."""

    member_id: int
    local_date: date
    zone: str
    today: list[DigestItem] = field(default_factory=list)
    overdue: list[DigestItem] = field(default_factory=list)
    occasions: list[OccasionLine] = field(default_factory=list)
    holidays: list[HolidayLine] = field(default_factory=list)
    # Every stale record, the most important first (the digest shows STALE_SHOWN of them).
    stale: list[StaleLine] = field(default_factory=list)
    # The last day whose occasions are listed: tomorrow, or the member's next working day
    # after a week-end or a run of holidays.
    occasions_until: date | None = None
    # A head's digest: the team members with something to report, worst first.
    team: list[TeamLine] = field(default_factory=list)
    # Times agreed with clients on the days off before the next working day.
    agreed_off: list[AgreedLine] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """Nothing to do and nothing to know today."""
        return not (
            self.today
            or self.overdue
            or self.occasions
            or self.holidays
            or self.stale
            or self.team
            or self.agreed_off
        )


@dataclass(frozen=True)
class RenderedPart:
    """One Telegram message of a digest: HTML text and its buttons in the outbox format."""

    text: str
    buttons: list[list[Button]]
    touch_ids: tuple[int, ...] = ()

    def payload(self) -> dict[str, Any]:
        """The outbox payload of this part."""
        return {"text": self.text, "buttons": self.buttons}


@lru_cache(maxsize=1024)
def _overlaps_ever(client: Schedule, member: Schedule) -> bool:
    """`windows.overlaps_ever`, remembered: a digest asks it for every touch."""
    return windows.overlaps_ever(client, member)


def describe_touch(
    touch: TouchView,
    client: ClientView,
    member: Member,
    now: datetime,
    *,
    folded: bool = False,
    check_data: bool = False,
) -> DigestItem:
    """A touch with everything the member needs to call: window in their time, channel, phone;
    with `check_data`, how old the client's data are, to check them on the same call."""
    zone = ZoneInfo(member.timezone)
    today = local_today(member, now)
    contact = touch_contact(touch, client)
    client_sched = client_schedule(client, contact)
    own = member_schedule(member)
    noon = datetime.combine(today, time(12), tzinfo=zone)
    client_day = noon.astimezone(client_sched.zone).date()
    opens, closes, _ = windows.window_in_zone(client_sched, zone, client_day)
    reachable = _overlaps_ever(client_sched, own)
    interval = windows.common_interval(today, client_sched, own) if reachable else None
    next_call = None
    if reachable and interval is None:
        next_call = windows.first_common_moment(
            max(now, day_bounds(today, zone)[1]), client_sched, own
        )
    phone = contact.phone if contact is not None else None
    return DigestItem(
        touch_id=touch.id,
        client_id=client.id,
        client_name=client.name,
        contact_name=contact.full_name if contact is not None else None,
        goal=touch.goal,
        reason=touch.reason,
        due_on=touch.due_on,
        overdue_days=max(0, (today - touch.due_on).days),
        window_opens=opens,
        window_closes=closes,
        reachable=reachable,
        call_from=interval[0] if interval else None,
        call_until=interval[1] if interval else None,
        next_call=next_call,
        channel=channel_at(contact, interval[0] if interval else None, client_sched.zone),
        phone=validation.format_phone(phone) if phone else None,
        draft_text=touch.draft_text,
        folded=folded,
        data_age_days=_days_since(client.data_confirmed_at, today, zone) if check_data else None,
        due_at=touch.due_at,
        category=client.category,
        missed_days=missed_working_days(touch.due_on, today, own) if touch.due_on < today else 0,
    )


def _days_since(moment: datetime, today: date, zone: ZoneInfo) -> int:
    """Calendar days from `moment` to `today` on the member's clock: a reminder rendered
    after midnight says what the morning digest says."""
    # SQLite hands datetimes back naive; they are stored in UTC.
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return max(0, (today - aware.astimezone(zone).date()).days)


def fold_data_checks(
    pairs: Sequence[tuple[TouchView, ClientView]],
) -> tuple[list[tuple[TouchView, ClientView]], set[int]]:
    """A client's «проверить данные» touch rides along with another touch of that client in the
    same list: one call that also checks the data, not two items for the same person.

    Returns the pairs without those data checks, and the ids of the touches that now carry one
    (each such client's soonest other touch). The data check stays open until the data are
    confirmed; it shows on its own again once nothing else of the client is in the list.
    """
    carriers: dict[int, TouchView] = {}
    for touch, _ in pairs:
        if touch.reason is TouchReason.STALE_DATA:
            continue
        carrier = carriers.get(touch.client_id)
        if carrier is None or (touch.due_on, touch.id) < (carrier.due_on, carrier.id):
            carriers[touch.client_id] = touch
    checked = {
        touch.client_id
        for touch, _ in pairs
        if touch.reason is TouchReason.STALE_DATA and touch.client_id in carriers
    }
    kept = [
        (touch, client)
        for touch, client in pairs
        if not (touch.reason is TouchReason.STALE_DATA and touch.client_id in checked)
    ]
    return kept, {carriers[client_id].id for client_id in checked}


async def open_touches_by_owner(
    session: AsyncSession,
    owner_ids: Collection[int],
    *,
    due_until: date,
    due_from: date | None = None,
    agreed_only: bool = False,
) -> dict[int, list[tuple[TouchView, ClientView]]]:
    """Open touches of active clients due up to `due_until`, with their clients and contacts,
    per current owner (soonest first): two queries for a whole morning's chunk of members.
    `agreed_only`: only the touches with a time agreed with the client.

    Rows become plain views, not ORM objects: a morning reads some 50,000 of them, and building
    ORM objects took half the digests' time.
    """
    query = (
        select(
            *(getattr(Touch, name) for name in _TOUCH_FIELDS),
            *(getattr(Client, name) for name in _CLIENT_FIELDS),
        )
        .join(Client, Client.id == Touch.client_id)
        .where(
            # The client's current owner, even if the touch was planned before a handover.
            Client.owner_id.in_(list(owner_ids)),
            Touch.status.in_(OPEN_STATUSES),
            Touch.due_on <= due_until,
            Client.is_active.is_(True),
            Client.forgotten_at.is_(None),
        )
        .order_by(Touch.due_on, Touch.id)
    )
    if due_from is not None:
        query = query.where(Touch.due_on >= due_from)
    if agreed_only:
        query = query.where(Touch.due_at.is_not(None))
    rows = (await session.execute(query)).all()
    split = len(_TOUCH_FIELDS)
    client_rows = {row[split]: row[split:] for row in rows}
    contacts = await _contacts_of(session, list(client_rows))
    clients = {
        client_id: ClientView(tuple(contacts.get(client_id, ())), *columns)
        for client_id, columns in client_rows.items()
    }
    by_owner: dict[int, list[tuple[TouchView, ClientView]]] = {
        owner_id: [] for owner_id in owner_ids
    }
    for row in rows:
        client = clients[row[split]]
        by_owner[client.owner_id].append((TouchView(*row[:split]), client))
    return by_owner


async def _contacts_of(
    session: AsyncSession, client_ids: Sequence[int]
) -> dict[int, list[ContactView]]:
    """The clients' contacts in the order of `Client.contacts` (by id)."""
    contacts: dict[int, list[ContactView]] = {}
    for start in range(0, len(client_ids), _CONTACTS_CHUNK):
        result = await session.execute(
            select(Contact.client_id, *(getattr(Contact, name) for name in _CONTACT_FIELDS))
            .where(Contact.client_id.in_(client_ids[start : start + _CONTACTS_CHUNK]))
            .order_by(Contact.client_id, Contact.id)
        )
        for client_id, *columns in result.all():
            contacts.setdefault(client_id, []).append(ContactView(*columns))
    return contacts


async def open_touches_of(
    session: AsyncSession, member: Member, *, due_until: date, due_from: date | None = None
) -> list[tuple[TouchView, ClientView]]:
    """The member's open touches of active clients due up to `due_until`, with their clients."""
    by_owner = await open_touches_by_owner(
        session, [member.id], due_until=due_until, due_from=due_from
    )
    return by_owner[member.id]


async def folded_touch_ids(
    session: AsyncSession, touch_ids: Sequence[int], now: datetime
) -> set[int]:
    """Touches whose reminder folded (its window closed while the bot was down) lately."""
    if not touch_ids:
        return set()
    result = await session.scalars(
        select(Outbox.touch_id).where(
            Outbox.kind == "reminder",
            Outbox.status == "folded",
            Outbox.touch_id.in_(touch_ids),
            Outbox.not_before >= now - FOLDED_LOOKBACK,
        )
    )
    return {touch_id for touch_id in result if touch_id is not None}


async def occasions_by_owner(
    session: AsyncSession, owner_ids: Collection[int], days: Sequence[date]
) -> dict[int, list[OccasionLine]]:
    """Key dates of the owners' clients' people (and families) falling on `days`, per owner."""
    by_owner: dict[int, list[OccasionLine]] = {owner_id: [] for owner_id in owner_ids}
    if not days:
        return by_owner
    # Only the rows of these days (29 February counts on 28 February in short years).
    result = await session.execute(
        select(KeyDate, Client, Contact)
        .join(Client, Client.id == KeyDate.client_id)
        .outerjoin(Contact, Contact.id == KeyDate.contact_id)
        .where(
            Client.owner_id.in_(list(owner_ids)),
            Client.is_active.is_(True),
            Client.forgotten_at.is_(None),
            yearly_dates_condition(KeyDate.month, KeyDate.day, days),
        )
    )
    wanted = set(days)
    for key_date, client, contact in result.all():
        for day in days:
            if occurrence_in(day.year, key_date.day, key_date.month) != day or day not in wanted:
                continue
            by_owner[client.owner_id].append(
                OccasionLine(
                    on=day,
                    kind=key_date.kind,
                    title=key_date.title or "",
                    client_name=client.name,
                    client_id=client.id,
                    contact=contact.full_name if contact is not None else None,
                    relative=(key_date.person_name or "").strip() or None,
                    relation=(key_date.relation or "").strip() or None,
                )
            )
    for lines in by_owner.values():
        lines.sort(
            key=lambda line: (
                line.on,
                line.client_name.casefold(),
                line.contact or "",
                line.relative or "",
                line.relation or "",
            )
        )
    return by_owner


async def occasions_of(
    session: AsyncSession, member: Member, days: Sequence[date]
) -> list[OccasionLine]:
    """Key dates of the member's clients' people (and families) falling on `days`."""
    return (await occasions_by_owner(session, [member.id], days))[member.id]


async def industries_by_owner(
    session: AsyncSession, owner_ids: Collection[int]
) -> dict[int, list[tuple[str, int]]]:
    """How many active clients each owner has per industry."""
    result = await session.execute(
        select(Client.owner_id, Client.industry, func.count())
        .where(
            Client.owner_id.in_(list(owner_ids)),
            Client.is_active.is_(True),
            Client.forgotten_at.is_(None),
            Client.industry.is_not(None),
        )
        .group_by(Client.owner_id, Client.industry)
    )
    by_owner: dict[int, list[tuple[str, int]]] = {owner_id: [] for owner_id in owner_ids}
    for owner_id, industry, count in result.all():
        if industry is not None:
            by_owner[owner_id].append((industry, count))
    return by_owner


def holiday_lines(
    first: date, last: date, language: str, industries: Iterable[tuple[str, int]]
) -> list[HolidayLine]:
    """National holidays in [first, last], and professional days of these industries."""
    clients_by_holiday: dict[tuple[date, str], int] = {}
    lines: dict[tuple[date, str], HolidayLine] = {}
    for occasion in _occasions_between(first, last, None):
        lines[(occasion.day, occasion.key)] = HolidayLine(
            occasion.day, occasion.title(language), False
        )
    for industry, count in industries:
        for occasion in _occasions_between(first, last, industry):
            key = (occasion.day, occasion.key)
            if occasion.kind == "national":
                continue
            clients_by_holiday[key] = clients_by_holiday.get(key, 0) + count
            lines[key] = HolidayLine(
                occasion.day, occasion.title(language), True, clients_by_holiday[key]
            )
    return sorted(lines.values(), key=lambda line: (line.on, line.professional, line.title))


@lru_cache(maxsize=256)
def _occasions_between(
    first: date, last: date, industry: str | None
) -> tuple[occasions.Occasion, ...]:
    """`occasions.occasions_between`, remembered: every digest of a morning asks the same."""
    return tuple(occasions.occasions_between(first, last, industry=industry))


async def stale_by_owner(
    session: AsyncSession,
    owner_ids: Collection[int],
    now: datetime,
    policies: Mapping[Category, Policy],
) -> dict[int, list[StaleLine]]:
    """Per owner, the clients whose data are older than their category's re-verification
    period: key and VIP clients first, then the oldest."""
    conditions = [
        and_(
            Client.category == category,
            Client.data_confirmed_at < now - timedelta(days=policy.reverify_days),
        )
        for category, policy in policies.items()
    ]
    result = await session.execute(
        select(Client.owner_id, Client.id, Client.name, Client.category, Client.data_confirmed_at)
        .where(
            Client.owner_id.in_(list(owner_ids)),
            Client.is_active.is_(True),
            Client.forgotten_at.is_(None),
            or_(*conditions),
        )
        .order_by(Client.data_confirmed_at)
    )
    by_owner: dict[int, list[StaleLine]] = {owner_id: [] for owner_id in owner_ids}
    for owner_id, client_id, name, category, confirmed_at in result.all():
        confirmed = confirmed_at if confirmed_at.tzinfo else confirmed_at.replace(tzinfo=UTC)
        by_owner[owner_id].append(StaleLine(client_id, name, (now - confirmed).days, category))
    for lines in by_owner.values():
        lines.sort(key=lambda line: line.rank)
    return by_owner


async def build_digests(
    session: AsyncSession,
    members: Sequence[Member],
    now: datetime,
    *,
    policies: Mapping[Category, Policy] | None = None,
) -> dict[int, Digest]:
    """Today's plan of each member: due and overdue touches, occasions, stale records.

    Six queries for all of them, not six per member: a morning builds hundreds of digests.
    Each member's «today» is their own zone's; the reads cover the latest of those days and
    each digest keeps its own.
    """
    if not members:
        return {}
    if policies is None:
        policies = await all_policies(session)
    ids = [member.id for member in members]
    todays = {member.id: local_today(member, now) for member in members}
    touches = await open_touches_by_owner(session, ids, due_until=max(todays.values()))
    pairs = {
        member.id: [(t, c) for t, c in touches[member.id] if t.due_on <= todays[member.id]]
        for member in members
    }
    folded = await folded_touch_ids(
        session, [touch.id for member_pairs in pairs.values() for touch, _ in member_pairs], now
    )
    lookahead = {member.id: occasion_days(member, todays[member.id]) for member in members}
    days = sorted({day for member_days in lookahead.values() for day in member_days})
    agreed = await open_touches_by_owner(
        session, ids, due_from=min(todays.values()) + ONE_DAY, due_until=days[-1], agreed_only=True
    )
    occasions_by = await occasions_by_owner(session, ids, days)
    industries = await industries_by_owner(session, ids)
    stale_by = await stale_by_owner(session, ids, now, policies)
    team_by = await _team_lines_of_heads(session, members, todays, now)
    digests = {}
    for member in members:
        today = todays[member.id]
        until = lookahead[member.id][-1]
        member_pairs = pairs[member.id]
        shown, checking_data = fold_data_checks(member_pairs)
        items = [
            describe_touch(
                touch,
                client,
                member,
                now,
                folded=touch.id in folded,
                check_data=touch.id in checking_data,
            )
            for touch, client in shown
        ]
        digest = Digest(member_id=member.id, local_date=today, zone=member.timezone)
        digest.today = sorted((item for item in items if item.overdue_days == 0), key=_order)
        digest.overdue = sorted(
            (item for item in items if item.overdue_days > 0), key=_overdue_order
        )
        digest.occasions = [line for line in occasions_by[member.id] if today <= line.on <= until]
        digest.holidays = holiday_lines(today, until, member.language, industries[member.id])
        digest.occasions_until = until
        # A client already carrying a «проверить данные» touch is in the touch lists.
        checking = {
            touch.client_id for touch, _ in member_pairs if touch.reason is TouchReason.STALE_DATA
        }
        digest.stale = [line for line in stale_by[member.id] if line.client_id not in checking]
        digest.team = team_by.get(member.id, [])
        digest.agreed_off = agreed_on_days_off(member, today, until, agreed[member.id])
        digests[member.id] = digest
    return digests


def agreed_on_days_off(
    member: Member, today: date, until: date, pairs: Iterable[tuple[TouchView, ClientView]]
) -> list[AgreedLine]:
    """The touches with a time agreed that fall on the member's days off after today and
    before `until` (their next working day): «сб 05.12, 11:00 — ООО «Ромашка»»."""
    schedule = member_schedule(member)
    return [
        AgreedLine(touch.due_at, client.name, touch.goal)
        for touch, client in pairs
        if touch.due_at is not None
        and today < touch.due_on <= until
        and not windows.is_working_day(touch.due_on, schedule)
    ]


async def _team_lines_of_heads(
    session: AsyncSession, members: Sequence[Member], todays: Mapping[int, date], now: datetime
) -> dict[int, list[TeamLine]]:
    """The team block of each head among `members`: one team report per local date the heads
    are on (a morning has one or two), however many heads there are."""
    heads = [member for member in members if member.role is Role.HEAD]
    if not heads:
        return {}
    inactive = set(await session.scalars(select(Member.id).where(Member.is_active.is_(False))))
    reports: dict[date, list[TeamLine]] = {}
    lines: dict[int, list[TeamLine]] = {}
    for head in heads:
        today = todays[head.id]
        if today not in reports:
            period = Period(today, today, PeriodKind.DAY)
            report = await stats.team_report(session, head, period, now)
            reports[today] = sorted(
                (
                    TeamLine(
                        member_id=row.member_id,
                        name=row.name,
                        overdue=row.overdue,
                        stale=row.stale,
                        key_untouched=max(0, row.key_clients - row.key_covered),
                        active=row.member_id not in inactive,
                    )
                    for row in report.rows
                    if row.member_id is not None
                    and (row.overdue or row.stale or row.key_clients > row.key_covered)
                ),
                key=lambda line: line.rank,
            )
        # A head's own clients are in their own digest above: the block is about the others.
        lines[head.id] = [line for line in reports[today] if line.member_id != head.id]
    return lines


async def build_digest(session: AsyncSession, member: Member, now: datetime) -> Digest:
    """Today's plan of a member: due and overdue touches, occasions, stale records."""
    return (await build_digests(session, [member], now))[member.id]


def _order(item: DigestItem) -> tuple[int, int, str]:
    return item.order_key


def _overdue_order(item: DigestItem) -> tuple[int, date, int, int, str]:
    return item.overdue_rank


class TouchUnavailableError(Exception):
    """The touch does not exist for this member (absent, or somebody else's client)."""


async def touch_for(
    session: AsyncSession, member: Member, touch_id: int, now: datetime
) -> tuple[Touch, Client]:
    """A touch and its client (contacts loaded) if the member may act on it: their own
    client's touch, or any for a head. A refusal is recorded by the access check."""
    touch = await session.get(Touch, touch_id)
    if touch is None:
        raise TouchUnavailableError(touch_id)
    try:
        client = await access.client_for(session, member, touch.client_id, now=now)
    except access.AccessDeniedError as error:
        raise TouchUnavailableError(touch_id) from error
    await session.refresh(client, attribute_names=["contacts"])
    return touch, client


@dataclass(frozen=True, slots=True)
class ListedTouch:
    """A touch a sent plan lists, as it stands now: what its row under that plan shows.

    `status` is PLANNED for a touch that can be acted on (a snooze that is over included);
    `back_at` is when a snoozed touch comes back.
    """

    touch_id: int
    client_name: str
    status: TouchStatus
    back_at: datetime | None = None
    # A skipped invitation whose event was cancelled: nobody skipped it.
    event_cancelled: bool = False


async def listed_touches(
    session: AsyncSession, member: Member, touch_ids: Collection[int], now: datetime
) -> dict[int, ListedTouch]:
    """The touches of a sent plan the member may still see, by id, in one query."""
    if not touch_ids:
        return {}
    rows = await session.execute(
        select(Touch.id, Touch.status, Touch.snoozed_until, Touch.skip_reason, Client.name)
        .join(Client, Client.id == Touch.client_id)
        .where(Touch.id.in_(set(touch_ids)), *access.visible_filter(member))
    )
    found: dict[int, ListedTouch] = {}
    for touch_id, status, snoozed_until, skip_reason, name in rows:
        if status is TouchStatus.SNOOZED and snoozed_until is not None and snoozed_until > now:
            found[touch_id] = ListedTouch(touch_id, name, status, snoozed_until)
        else:
            shown = TouchStatus.PLANNED if status is TouchStatus.SNOOZED else status
            cancelled = status is TouchStatus.SKIPPED and skip_reason == EVENT_CANCELLED
            found[touch_id] = ListedTouch(touch_id, name, shown, event_cancelled=cancelled)
    return found


def parse_future_date(text: str, today: date, language: str) -> date:
    """A typed date for «Отложить»: «25.11», «25 ноября», «через 3 дня», «в пятницу».

    A day and month without a year mean their next occurrence after today; the result is
    always after today and within `parsing.PLAN_HORIZON_MONTHS`. Raises
    validation.ValidationError (`date_past`, `date_far`, `date_invalid`).
    """
    cleaned = text.strip()
    try:
        day, month, year = validation.parse_day_month(cleaned)
    except validation.ValidationError:
        # The log parser's phrases first («после праздников», «в конце следующей недели»),
        # then dateparser for the rest.
        read = parsing.read_day(cleaned, datetime.combine(today, time(12), tzinfo=UTC))
        if read is not None:
            chosen: date = read
        else:
            import dateparser  # noqa: PLC0415 - slow to import: only when a phrase must be read

            base = datetime.combine(today, time(12))
            parsed = dateparser.parse(
                cleaned,
                languages=["ru", "en"] if language == "ru" else ["en", "ru"],
                settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "future"},
            )
            if parsed is None:
                raise validation.ValidationError("date_invalid", text=cleaned[:40]) from None
            chosen = parsed.date()
    else:
        if year is not None:
            chosen = date(year, month, day)
        else:
            chosen = occurrence_in(today.year, day, month)
            if chosen <= today:
                chosen = occurrence_in(today.year + 1, day, month)
    if chosen <= today:
        raise validation.ValidationError("date_past", text=cleaned[:40])
    if chosen > parsing.furthest_plannable_day(today):
        raise validation.ValidationError("date_far", text=cleaned[:40])
    return chosen


def parse_future_moment(text: str, now: datetime, language: str) -> date | datetime:
    """A typed moment for «Отложить»: a time later today or on a given day («сегодня в 17»,
    «завтра в 15:00», «через 2 часа»), else a date after today as `parse_future_date` reads it.
    `now` is aware, in the member's zone. Raises validation.ValidationError."""
    moment = parsing.read_moment(text, now)
    if isinstance(moment, datetime):
        if moment <= now:
            raise validation.ValidationError("date_past", text=text.strip()[:40])
        return moment
    return parse_future_date(text, now.date(), language)


# ---------------------------------------------------------------------------------------------
# Rendering


def esc(text: str | None) -> str:
    """HTML-escape what a user typed."""
    return html.escape(text or "", quote=False)


def clip(text: str, limit: int) -> str:
    """A text cut to `limit` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def telegram_length(text: str) -> int:
    """The length Telegram counts (UTF-16 code units), never less than Python's."""
    return max(len(text), len(text.encode("utf-16-le")) // 2)


def window_text(item: DigestItem, tr: Translator, zone: ZoneInfo) -> str:
    """The client's window in the member's time, with a note when it can't be called."""
    span = f"{tr.fmt_time(item.window_opens)}–{tr.fmt_time(item.window_closes)}"
    if not item.reachable:
        return tr("planner.window_outside", window=span)
    if item.call_from is None:
        if item.next_call is not None:
            local = item.next_call.astimezone(zone)
            moment = f"{tr.fmt_weekday(local.date())}, {tr.fmt_time(local)}"
            return tr("planner.window_not_today", window=span, next=moment)
        return tr("planner.window_not_today_unknown", window=span)
    return tr("planner.window", window=span)


def item_lines(
    number: int | None,
    item: DigestItem,
    tr: Translator,
    zone: ZoneInfo,
    *,
    same_call: bool = False,
) -> str:
    """One touch as a block of lines: who, goal, window, channel and phone, notes. `same_call`:
    the item right above is the same client's, so one call does both — only the goal and the
    notes are shown, under «↳ в том же звонке»."""
    head = f"{number}. " if number is not None else ""
    if same_call:
        goal = f"{tr(f'planner.reason_{item.reason.value}')} {esc(clip(item.goal, GOAL_LIMIT))}"
        lines = [head + tr("planner.same_call", goal=goal)]
        if item.overdue_days:
            lines.append(overdue_text(item, tr))
        return "\n".join(lines)
    who = f"<b>{esc(item.client_name)}</b>"
    if item.contact_name and item.contact_name != item.client_name:
        who += f" — {esc(item.contact_name)}"
    reason = tr(f"planner.reason_{item.reason.value}")
    details = [window_text(item, tr, zone)]
    if item.due_at is not None:
        details.insert(0, tr("planner.agreed_at", time=tr.fmt_time(item.due_at.astimezone(zone))))
    if item.channel is not None:
        details.append(tr(f"planner.channel_{item.channel.value}"))
    if item.phone:
        details.append(esc(item.phone))
    lines = [f"{head}{who}", f"{reason} {esc(clip(item.goal, GOAL_LIMIT))}"]
    # One mark for the line: 🌙 where the window never meets the working day, not «🕐 🌙».
    lines.append(("🕐 " if item.reachable else "🌙 ") + " · ".join(details))
    if item.data_age_days is not None:
        lines.append(tr("planner.check_data_too", count=item.data_age_days))
    if item.overdue_days:
        lines.append(overdue_text(item, tr))
    if item.folded:
        lines.append(tr("planner.folded_note"))
    return "\n".join(lines)


def _same_call(previous: DigestItem | None, item: DigestItem) -> bool:
    """Whether an item is made on the call of the one listed right above it: the same client
    and person, and the same window (a time agreed with the client stays an item of its own)."""
    return (
        previous is not None
        and previous.client_id == item.client_id
        and previous.contact_name == item.contact_name
        and (previous.window_opens, previous.window_closes)
        == (item.window_opens, item.window_closes)
        and item.due_at is None
    )


def overdue_text(item: DigestItem, tr: Translator) -> str:
    """«⏳ просрочено на 1 рабочий день — срок был пт 11.12»: counted in the member's working
    days, so a Friday touch read on Monday is one day late, not three; a touch that fell on a
    day off says so instead of counting days nobody worked."""
    today = item.due_on + timedelta(days=item.overdue_days)
    due = tr.fmt_day(item.due_on, today)
    if item.missed_days == 0:
        return tr("planner.overdue_day_off", date=due)
    return tr("planner.overdue_by", count=item.missed_days, date=due)


def occasion_line(line: OccasionLine, tr: Translator, when: str | None = None) -> str:
    """«🎂 завтра — день рождения Марины, жены Жукова Михаила Владимировича (АО «Уралмет»)».

    A birthday names its person in the genitive when every name and the relation decline by a
    known rule; otherwise, and for other dates, «годовщина: …» with the names as written,
    which stays grammatical whatever they are («день рождения: Саша (сын Жукова М. В.)»).
    """
    kind_key = f"planner.key_date_{line.kind}"
    kind = tr(kind_key if tr.has(kind_key) else "planner.key_date_other")
    # A title that only repeats the kind («День рождения (жена)») adds nothing the person
    # part does not say, and reads differently from dates added in the bot — in whichever
    # language it was typed.
    title = line.title.casefold()
    custom = bool(title) and not any(
        title.startswith(translator(language)(kind_key).casefold())
        for language in LANGUAGES
        if translator(language).has(kind_key)
    )
    what = esc(line.title) if custom else kind
    # A person who is the client (a private client's own birthday) is not named twice.
    named = line.contact or line.relative or line.relation
    client = esc(line.client_name) if line.client_name != (line.contact or "") else None
    whom = _whom(line, tr) if line.kind == "birthday" and not custom else None
    if whom is not None:
        key = "planner.occasion_of" if client else "planner.occasion_of_alone"
        text = tr(key, what=what, whom=whom, client=client)
    elif named:
        key = "planner.occasion_line" if client else "planner.occasion_line_alone"
        text = tr(key, what=what, person=_who(line, tr), client=client)
    else:
        text = tr("planner.occasion_line_alone", what=what, person=client)
    emoji = OCCASION_EMOJI.get(line.kind, OCCASION_EMOJI["other"])
    return f"{emoji} {when} — {text}" if when else f"{emoji} {text}"


def _declines(tr: Translator) -> bool:
    """Whether the language puts names in cases (the catalog's `{name:gent}`)."""
    return tr.language == "ru"


def _whom(line: OccasionLine, tr: Translator) -> str | None:
    """Whose birthday, in the genitive («Марины, жены Жукова Михаила Владимировича»), or None
    when a name or the relation cannot be declined safely (or there is no contact)."""
    if line.contact is None:
        return None
    relation: str | None = None
    if _declines(tr):
        if person_names.decline_safely(line.contact, "gent") is None:
            return None
        if line.relative and person_names.decline_safely(line.relative, "gent") is None:
            return None
        if line.relation:
            relation = person_names.decline_noun(line.relation, "gent")
            if relation is None:
                return None
    elif line.relation:
        relation = occasions.relation_in_english(line.relation)
    if line.relative and line.relation:
        return tr(
            "planner.whom_relative",
            name=esc(line.relative),
            relation=esc(relation),
            contact=esc(line.contact),
        )
    if line.relation:
        return tr("planner.whom_relation", relation=esc(relation), contact=esc(line.contact))
    if line.relative:
        # A name without a relation: whose family it is stays in brackets, as written.
        return None
    return tr("planner.whom_own", contact=esc(line.contact))


def _who(line: OccasionLine, tr: Translator) -> str:
    """The person of a date as written, for the «день рождения: …» form: «Марина (жена Жукова
    М. В.)» when the contact's short name declines, else «Марина, жена — Жуков Михаил»."""
    relative = ", ".join(esc(part) for part in (line.relative, line.relation) if part)
    if line.contact is None:
        return relative or esc(line.client_name)
    if not relative:
        return esc(line.contact)
    short = person_names.initials(line.contact)
    if (
        line.relative
        and line.relation
        and (not _declines(tr) or person_names.decline_safely(short, "gent") is not None)
    ):
        relation = line.relation if _declines(tr) else occasions.relation_in_english(line.relation)
        return tr(
            "planner.who_relative",
            name=esc(line.relative),
            relation=esc(relation),
            contact=esc(short),
        )
    return tr("planner.who_plain", relative=relative, contact=esc(line.contact))


def holiday_line(line: HolidayLine, tr: Translator, when: str) -> str:
    """«🇷🇺 завтра — День народного единства», «🏅 сегодня — День энергетика · клиентов: 3»."""
    if line.professional:
        return tr(
            "planner.holiday_professional", when=when, title=esc(line.title), count=line.clients
        )
    return tr("planner.holiday_national", when=when, title=esc(line.title))


def stale_line(line: StaleLine, tr: Translator) -> str:
    """«• ООО «СтройМонтаж» — данные подтверждены 70 дней назад»."""
    return tr("planner.stale_line", client=esc(line.client_name), count=line.days)


def team_line(line: TeamLine, tr: Translator) -> str:
    """«• Дмитрий Орлов — 22 просроченных касания, 3 устаревшие записи»."""
    parts = [
        tr(f"planner.team_{name}", count=count)
        for name, count in (
            ("overdue", line.overdue),
            ("key_untouched", line.key_untouched),
            ("stale", line.stale),
        )
        if count
    ]
    name = esc(line.name)
    if not line.active:
        name += " " + tr("planner.team_inactive", gender=person_names.gender_of(line.name))
    return tr("planner.team_line", name=name, numbers=", ".join(parts))


@dataclass(frozen=True)
class _Block:
    """A piece of a message that must not be split: a heading, an item or a line."""

    text: str
    section: str | None = None
    heading: bool = False
    # Joined to the previous block by a line break rather than a blank line.
    tight: bool = False
    row: list[Button] | None = None
    touch_id: int | None = None

    @property
    def size(self) -> int:
        return telegram_length(self.text) + (1 if self.tight else 2)


def _part(blocks: Sequence[_Block]) -> RenderedPart:
    text = blocks[0].text
    for block in blocks[1:]:
        text += ("\n" if block.tight else "\n\n") + block.text
    rows = [block.row for block in blocks if block.row is not None]
    touch_ids = tuple(block.touch_id for block in blocks if block.touch_id is not None)
    return RenderedPart(text, rows, touch_ids)


def _pack(
    blocks: Sequence[_Block], continued: str, mark: str, *, limit: int = TELEGRAM_LIMIT
) -> list[RenderedPart]:
    """Blocks into messages of at most `limit` characters and MAX_ITEMS_PER_PART button rows.

    A part that starts inside a section repeats the section's heading, marked as continued; a
    heading is never left alone at the bottom of a part.
    """
    chunks = _split(blocks, mark, limit=limit, max_rows=MAX_ITEMS_PER_PART, lead=_Block(continued))
    return [_part(chunk) for chunk in chunks]


def _split(
    blocks: Sequence[_Block],
    mark: str,
    *,
    limit: int,
    max_rows: int,
    lead: _Block | None = None,
) -> list[list[_Block]]:
    """Blocks into runs of at most `limit` characters and `max_rows` button rows; every run
    after the first starts with `lead` (when given) and the heading of the section it opens
    in, marked with `mark`."""
    chunks: list[list[_Block]] = []
    current: list[_Block] = []
    length = 0
    rows = 0
    headings: dict[str, str] = {}

    def emit() -> None:
        while current and current[-1].heading:
            current.pop()
        if current:
            chunks.append(list(current))

    for block in blocks:
        if block.heading and block.section is not None:
            headings[block.section] = block.text
        too_long = length + block.size > limit
        too_many = block.row is not None and rows >= max_rows
        if current and (too_long or too_many):
            orphan = current[-1] if current[-1].heading else None
            emit()
            current = [lead] if lead is not None else []
            if orphan is not None:
                current.append(orphan)
            elif block.section is not None and not block.heading:
                title = f"{headings.get(block.section, '')} {mark}".strip()
                current.append(_Block(title, block.section, heading=True))
            length = sum(part.size for part in current)
            rows = 0
        current.append(block)
        length += block.size
        rows += block.row is not None
    emit()
    return chunks


def render_digest(
    digest: Digest,
    language: str,
    *,
    item_row: ItemRow | None = None,
    stale_row: StaleRow | None = None,
    limit: int = TELEGRAM_LIMIT,
    title_key: str = "planner.digest_title",
) -> list[RenderedPart]:
    """The digest as Telegram messages within `limit` characters, with a button row per touch.

    Today's touches are all there; overdue touches and stale records are cut to the
    OVERDUE_SHOWN / STALE_SHOWN most important, the rest counted with a pointer to /overdue;
    a head's digest opens with the team block. Parts split between items, never inside one;
    `item_row(number, item, tr)` gives the buttons of an item and `stale_row(line, tr)` those
    of a stale record (none without them).
    """
    tr = translator(language)
    zone = ZoneInfo(digest.zone)
    header = tr(title_key, date=tr.fmt_weekday(digest.local_date))
    if digest.is_empty:
        return [RenderedPart(header + "\n\n" + tr("planner.digest_empty"), [])]
    own = digest.today or digest.overdue or not digest.team
    summary = tr("planner.digest_summary", today=len(digest.today), overdue=len(digest.overdue))
    blocks = [_Block(f"{header}\n{summary}" if own else header)]
    blocks.extend(_team_blocks(digest.team, tr))
    number = 0
    shown_overdue = digest.overdue[:OVERDUE_SHOWN]
    for section, items in (("today", digest.today), ("overdue", shown_overdue)):
        if not items:
            continue
        blocks.append(_Block(tr(f"planner.section_{section}"), section, heading=True))
        previous: DigestItem | None = None
        for item in items:
            number += 1
            row = item_row(number, item, tr) if item_row is not None else None
            text = item_lines(number, item, tr, zone, same_call=_same_call(previous, item))
            blocks.append(_Block(text, section, row=row, touch_id=item.touch_id))
            previous = item
    if len(digest.overdue) > len(shown_overdue):
        more = tr("planner.overdue_more", count=len(digest.overdue) - len(shown_overdue))
        blocks.append(_Block(more, "overdue"))
    if digest.occasions or digest.holidays:
        until = digest.occasions_until
        heading = (
            tr("planner.section_occasions_until", date=tr.fmt_weekday(until))
            if until is not None and until > digest.local_date + ONE_DAY
            else tr("planner.section_occasions")
        )
        blocks.append(_Block(heading, "occasions", heading=True))
        for holiday in digest.holidays:
            when = _when(holiday.on, digest.local_date, tr)
            blocks.append(_Block(holiday_line(holiday, tr, when), "occasions", tight=True))
        for line in digest.occasions:
            when = _when(line.on, digest.local_date, tr)
            blocks.append(_Block(occasion_line(line, tr, when), "occasions", tight=True))
    if digest.agreed_off:
        blocks.append(_Block(tr("planner.section_agreed_off"), "agreed", heading=True))
        for agreed in digest.agreed_off:
            local = agreed.at.astimezone(zone)
            text = tr(
                "planner.agreed_off_line",
                when=f"{tr.fmt_weekday(local.date())}, {tr.fmt_time(local)}",
                client=esc(agreed.client_name),
                goal=esc(clip(agreed.goal, GOAL_LIMIT)),
            )
            blocks.append(_Block(text, "agreed", tight=True))
    if digest.stale:
        blocks.append(_Block(tr("planner.section_stale"), "stale", heading=True))
        blocks.extend(_stale_blocks(digest.stale[:STALE_SHOWN], tr, stale_row))
        if len(digest.stale) > STALE_SHOWN:
            more = tr("planner.stale_more", count=len(digest.stale) - STALE_SHOWN)
            blocks.append(_Block(more, "stale", tight=True))
    continued = tr("planner.continued", date=tr.fmt_date(digest.local_date))
    return _pack(blocks, continued, tr("planner.continued_mark"), limit=limit)


def _stale_blocks(
    lines: Iterable[StaleLine], tr: Translator, stale_row: StaleRow | None
) -> list[_Block]:
    return [
        _Block(
            stale_line(line, tr),
            "stale",
            tight=True,
            row=stale_row(line, tr) if stale_row is not None else None,
        )
        for line in lines
    ]


def _team_blocks(team: Sequence[TeamLine], tr: Translator) -> list[_Block]:
    """A head's block: who has overdue touches, key clients left alone or stale records."""
    if not team:
        return []
    blocks = [_Block(tr("planner.section_team"), "team", heading=True)]
    blocks.extend(_Block(team_line(line, tr), "team", tight=True) for line in team[:TEAM_SHOWN])
    if len(team) > TEAM_SHOWN:
        more = tr("planner.team_more", count=len(team) - TEAM_SHOWN)
        blocks.append(_Block(more, "team", tight=True))
    blocks.append(_Block(tr("planner.team_footer"), "team", tight=True))
    return blocks


@dataclass(frozen=True)
class OverduePage:
    """One page of /overdue: its message, which page it is and how many there are."""

    part: RenderedPart
    page: int
    pages: int


def render_overdue(
    digest: Digest,
    language: str,
    page: int = 0,
    *,
    item_row: ItemRow | None = None,
    stale_row: StaleRow | None = None,
    limit: int = TELEGRAM_LIMIT,
) -> OverduePage:
    """/overdue: every overdue touch (in the digest's order) and every stale record, a page
    of at most OVERDUE_PAGE_ITEMS of them within `limit` characters; `page` is clamped to the
    pages there are (items done meanwhile make fewer)."""
    tr = translator(language)
    zone = ZoneInfo(digest.zone)
    blocks: list[_Block] = []
    if digest.overdue:
        blocks.append(_Block(tr("planner.section_overdue"), "overdue", heading=True))
        previous: DigestItem | None = None
        for number, item in enumerate(digest.overdue, start=1):
            row = item_row(number, item, tr) if item_row is not None else None
            text = item_lines(number, item, tr, zone, same_call=_same_call(previous, item))
            blocks.append(_Block(text, "overdue", row=row, touch_id=item.touch_id))
            previous = item
    if digest.stale:
        blocks.append(_Block(tr("planner.section_stale"), "stale", heading=True))
        blocks.extend(_stale_blocks(digest.stale, tr, stale_row))
    if not blocks:
        return OverduePage(RenderedPart(tr("planner.overdue_empty"), []), 0, 1)
    chunks = _split(
        blocks,
        tr("planner.continued_mark"),
        limit=limit - PAGE_TITLE_ROOM,
        max_rows=OVERDUE_PAGE_ITEMS,
    )
    page = max(0, min(page, len(chunks) - 1))
    title = tr("planner.overdue_title", touches=len(digest.overdue), stale=len(digest.stale))
    if len(chunks) > 1:
        title += "\n" + tr("planner.overdue_page", page=page + 1, pages=len(chunks))
    part = _part([_Block(title), *chunks[page]])
    return OverduePage(part, page, len(chunks))


def _when(day: date, today: date, tr: Translator) -> str:
    """«сегодня», «завтра», or «вс, 7 марта» for a day further on."""
    if day == today:
        return tr("planner.today")
    if day == today + ONE_DAY:
        return tr("planner.tomorrow")
    return tr.fmt_weekday(day)


def render_reminder(
    item: DigestItem, language: str, zone: ZoneInfo, *, riders: Sequence[DigestItem] = ()
) -> str:
    """The text of one touch's reminder: who, goal, the client's other touches made on the
    same call (`riders`), until when to call when that is before the window closes, the
    draft."""
    tr = translator(language)
    lines = [tr("planner.reminder_title"), item_lines(None, item, tr, zone)]
    lines.extend(item_lines(None, rider, tr, zone, same_call=True) for rider in riders)
    if item.call_until is not None and item.due_at is None:
        until = item.call_until.astimezone(zone)
        # The window line above already says when the window closes; only an earlier end
        # today (the member's working day ends first) is worth a line of its own.
        if until.time() != item.window_closes:
            lines.append(tr("planner.reminder_until", time=tr.fmt_time(until)))
    if item.draft_text:
        lines.append(tr("planner.draft", text=esc(clip(item.draft_text, DRAFT_LIMIT))))
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# The week


@dataclass
class WeekPlan:
    """`/week`: overdue touches, then each of the next seven days with its touches and dates."""

    member_id: int
    first_day: date
    zone: str = "UTC"
    overdue: list[DigestItem] = field(default_factory=list)
    days: dict[date, list[DigestItem]] = field(default_factory=dict)
    occasions: dict[date, list[OccasionLine]] = field(default_factory=dict)
    # The member's days off this week: «weekend» or «holiday» (a Russian public holiday).
    days_off: dict[date, str] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        """Nothing planned this week."""
        return (
            not self.overdue and not any(self.days.values()) and not any(self.occasions.values())
        )


async def build_week(session: AsyncSession, member: Member, now: datetime) -> WeekPlan:
    """The member's plan for today and the next six days, in their time."""
    today = local_today(member, now)
    last = today + timedelta(days=WEEK_DAYS - 1)
    plan = WeekPlan(member_id=member.id, first_day=today, zone=member.timezone)
    days = [today + timedelta(days=offset) for offset in range(WEEK_DAYS)]
    plan.days = {day: [] for day in days}
    plan.occasions = {day: [] for day in days}
    schedule = member_schedule(member)
    plan.days_off = {
        day: "holiday" if windows.is_russian_holiday(day) else "weekend"
        for day in days
        if not windows.is_working_day(day, schedule)
    }
    pairs = await open_touches_of(session, member, due_until=last)
    # As in the digest: today's and overdue touches fold together, each later day on its own.
    groups: dict[date, list[tuple[TouchView, ClientView]]] = {}
    for touch, client in pairs:
        groups.setdefault(max(touch.due_on, today), []).append((touch, client))
    for group in groups.values():
        shown, checking_data = fold_data_checks(group)
        for touch, client in shown:
            item = describe_touch(touch, client, member, now, check_data=touch.id in checking_data)
            if touch.due_on < today:
                plan.overdue.append(item)
            else:
                plan.days[touch.due_on].append(item)
    for items in plan.days.values():
        items.sort(key=_order)
    plan.overdue.sort(key=_overdue_order)
    for line in await occasions_of(session, member, days):
        plan.occasions[line.on].append(line)
    return plan


def week_line(item: DigestItem, tr: Translator, zone: ZoneInfo, *, same_call: bool = False) -> str:
    """One touch of the week: client, goal, window (or the agreed time) on the member's clock;
    `same_call`: under the line above it, as made on the same call."""
    if same_call:
        return "   " + tr("planner.same_call", goal=esc(clip(item.goal, 120)))
    span = f"{tr.fmt_time(item.window_opens)}–{tr.fmt_time(item.window_closes)}"
    if item.due_at is not None:
        span = "⏰ " + tr.fmt_time(item.due_at.astimezone(zone))
    note = "" if item.reachable else " " + tr("planner.week_outside")
    if item.data_age_days is not None:
        note += " " + tr("planner.week_check_data")
    return tr(
        "planner.week_line",
        client=esc(item.client_name),
        goal=esc(clip(item.goal, 120)),
        window=span,
        note=note,
    )


def render_week(plan: WeekPlan, language: str, *, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """The week grouped by day, as messages within `limit` characters."""
    tr = translator(language)
    zone = ZoneInfo(plan.zone)
    header = tr("planner.week_title", start=tr.fmt_date(plan.first_day))
    if plan.is_empty:
        return [header + "\n\n" + tr("planner.week_empty")]
    blocks = [_Block(header)]
    if plan.overdue:
        blocks.append(_Block(tr("planner.section_overdue"), "overdue", heading=True))
        blocks.extend(
            _Block(week_line(item, tr, zone), "overdue", tight=True)
            for item in plan.overdue[:OVERDUE_SHOWN]
        )
        if len(plan.overdue) > OVERDUE_SHOWN:
            more = tr("planner.overdue_more", count=len(plan.overdue) - OVERDUE_SHOWN)
            blocks.append(_Block(more, "overdue", tight=True))
    for day, items in plan.days.items():
        occasions = plan.occasions.get(day, [])
        section = day.isoformat()
        off = plan.days_off.get(day)
        if off is not None and not items:
            title = tr(f"planner.week_{off}", day=tr.fmt_weekday(day))
        else:
            title = tr("planner.week_day", day=tr.fmt_weekday(day), count=len(items))
            if off is not None:
                title += " · " + tr(f"planner.week_{off}_mark")
        # A day off with nothing on it is one line, not a heading waiting for its items.
        blocks.append(_Block(title, section, heading=bool(items or occasions or off is None)))
        if not items and not occasions and off is None:
            blocks.append(_Block(tr("planner.week_free"), section, tight=True))
        blocks.extend(
            _Block(
                week_line(item, tr, zone, same_call=_same_call(previous, item)),
                section,
                tight=True,
            )
            for previous, item in zip([None, *items], items, strict=False)
        )
        blocks.extend(_Block(occasion_line(line, tr), section, tight=True) for line in occasions)
    continued = tr("planner.continued_week")
    parts = _pack(blocks, continued, tr("planner.continued_mark"), limit=limit)
    return [part.text for part in parts]
