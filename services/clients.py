"""The client base's core: create a client, spot duplicates, search, load everything a card shows,
confirm the data and set markers.

Visibility goes through services/access.py; every opened card and every refused one is recorded
in the audit trail. Editing fields, contacts, key dates and deals lives elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, String, Subquery, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    ChangeLog,
    Client,
    Contact,
    Deal,
    Interaction,
    KeyDate,
    Member,
    OwnerHistory,
    Touch,
)
from models.enums import Category, ClientKind, Stage
from services import access, audit, names, planner, protection, touches, validation
from services.client_card import (
    FREQUENCY_WINDOW_DAYS,
    Frequency,
    contact_frequency,
    is_stale,
    next_occurrence,
    years_at,
)

NAME_MAX = 200
CITY_MAX = 100
INDUSTRY_MAX = 100
POSITION_MAX = 200
MARKER_MAX = 40
MARKERS_MAX = 20
# «Ромашка» and «ООО Ромашка» are one client; «Ромашка» and «Ромашка Плюс» are not.
DUPLICATE_NAME_SCORE: Final = 90.0
SEARCH_THRESHOLD: Final = 70.0
# A hit this good, and the only one that good, opens the card without a list.
STRONG_HIT_SCORE: Final = 90.0
PHONE_QUERY_MIN_DIGITS: Final = 3
RECENT_INTERACTIONS = 3
CLOSED_DEAL_STAGES: Final = frozenset({"closed", "lost"})
PRESET_MARKERS: Final = ("Позвонить", "Поздравить", "Подарить футболку")
_PHONE_QUERY = re.compile(r"^[\d\s()+\-.–—‐‑]+$")
# «i.petrov@romashka-opt.ru», or a part of one with its «@» («petrov@», «@romashka-opt.ru»).
_EMAIL_QUERY = re.compile(r"^\S*@\S*$")


class ClientError(Exception):
    """A client-base rule was broken; `code` names the message in the clients catalog."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass
class ClientDraft:
    """What the /new flow or a shared contact collected; checked and normalised on creation."""

    kind: ClientKind
    name: str
    category: Category = Category.NEW
    city: str | None = None
    # An IANA zone; None takes the owner's zone.
    timezone: str | None = None
    industry: str | None = None
    inn: str | None = None
    # The main contact of a company; a B2C client's contact is the person and takes `name`.
    contact_name: str | None = None
    position: str | None = None
    phone: str | None = None
    email: str | None = None
    telegram: str | None = None


@dataclass(frozen=True)
class Duplicate:
    """An existing client that looks like the one being created, and why."""

    client_id: int
    name: str
    # phone, email, inn, name
    reason: str
    # False: somebody else's client — only the owner's name may be shown.
    visible: bool
    owner_name: str


@dataclass(frozen=True)
class SearchHit:
    """A client found by a query: its score and what matched (a contact name or a phone)."""

    client_id: int
    name: str
    score: float
    matched: str | None = None


@dataclass(frozen=True)
class UpcomingDate:
    """A key date on its next occurrence: when, how many days left, which anniversary."""

    key_date: KeyDate
    on: date
    days_left: int
    years: int | None
    contact_name: str | None


@dataclass
class ClientCard:
    """Everything the client card shows, loaded in one go."""

    client: Client
    owner_name: str
    contacts: list[Contact]
    deals: list[Deal]
    recent: list[Interaction]
    interaction_count: int
    frequency: Frequency
    next_touch: Touch | None
    key_dates: list[UpcomingDate]
    reverify_days: int
    confirmed_days_ago: int
    stale: bool
    contact_names: dict[int, str] = field(default_factory=dict)


def _optional(text: str | None, max_length: int) -> str | None:
    if text is None or not text.strip():
        return None
    return validation.clean_text(text, max_length=max_length)


def _optional_with(text: str | None, check: Callable[[str], str]) -> str | None:
    if text is None or not text.strip():
        return None
    return check(text)


async def create_client(
    session: AsyncSession, *, owner: Member, draft: ClientDraft, now: datetime
) -> Client:
    """Check and normalise the draft, then save the client with its main contact and its first
    planned touch.

    Raises validation.ValidationError before anything is added, so a bad draft saves nothing.
    """
    name = validation.client_name(draft.name, max_length=NAME_MAX)
    city = _optional(draft.city, CITY_MAX)
    industry = _optional(draft.industry, INDUSTRY_MAX)
    inn = _optional_with(draft.inn, validation.validate_inn)
    phone = _optional_with(draft.phone, validation.normalize_phone)
    email = _optional_with(draft.email, validation.normalize_email)
    position = _optional(draft.position, POSITION_MAX)
    telegram = _optional(draft.telegram, 64)
    if draft.kind is ClientKind.B2C:
        contact_name: str | None = name
    else:
        contact_name = _optional(draft.contact_name, NAME_MAX)
        if contact_name is None and (phone or email):
            # A company's switchboard still needs a row to hold its number.
            contact_name = name
    timezone = draft.timezone or owner.timezone
    ZoneInfo(timezone)  # an unknown zone fails here, before anything is added

    client = Client(
        kind=draft.kind,
        name=name,
        inn=inn,
        industry=industry,
        city=city,
        timezone=timezone,
        category=draft.category,
        stage=Stage.ACQUISITION,
        owner_id=owner.id,
        tags=[],
        data_confirmed_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(client)
    await session.flush()
    if contact_name is not None:
        session.add(
            Contact(
                client_id=client.id,
                full_name=contact_name,
                position=position,
                phone=phone,
                email=email,
                telegram=telegram,
                extra_phones=[],
                channel_schedule=[],
                is_primary=True,
                created_at=now,
            )
        )
    session.add(
        OwnerHistory(
            client_id=client.id,
            from_member_id=None,
            to_member_id=owner.id,
            from_stage=None,
            to_stage=client.stage,
            by_member_id=owner.id,
            at=now,
        )
    )
    await session.flush()
    # «Each active client always has one next planned touch»: the first one comes with it.
    await planner.replan_client(session, client, now)
    return client


@dataclass(frozen=True)
class ContactDraft:
    """A person to add to an existing client (from a shared Telegram contact)."""

    full_name: str
    phone: str | None = None
    telegram: str | None = None


async def add_contact(
    session: AsyncSession, member: Member, client_id: int, draft: ContactDraft, *, now: datetime
) -> Contact:
    """Add a person to a company the member may see; refuses B2C clients and repeated phones."""
    client = await access.client_for(session, member, client_id, now=now)
    full_name = validation.clean_text(draft.full_name, max_length=NAME_MAX)
    phone = _optional_with(draft.phone, validation.normalize_phone)
    if client.kind is ClientKind.B2C:
        raise ClientError("b2c_single_contact")
    if phone is not None:
        existing = await session.scalar(
            select(Contact.id).where(Contact.client_id == client.id, Contact.phone == phone)
        )
        if existing is not None:
            raise ClientError("contact_phone_exists")
    has_primary = await session.scalar(
        select(Contact.id).where(Contact.client_id == client.id, Contact.is_primary.is_(True))
    )
    contact = Contact(
        client_id=client.id,
        full_name=full_name,
        phone=phone,
        telegram=_optional(draft.telegram, 64),
        extra_phones=[],
        channel_schedule=[],
        is_primary=has_primary is None,
        created_at=now,
    )
    session.add(contact)
    await session.flush()
    session.add(
        ChangeLog(
            client_id=client.id,
            entity="contact",
            entity_id=contact.id,
            field="full_name",
            old_value=None,
            new_value=full_name,
            member_id=member.id,
            changed_at=now,
        )
    )
    client.updated_at = now
    await session.flush()
    return contact


def phone_from_shared(text: str) -> str:
    """A phone from a shared Telegram contact, which comes without «+» («79123456789»)."""
    digits = re.sub(r"\D", "", text)
    national = len(digits) <= 10 or (len(digits) == 11 and digits.startswith("8"))
    if text.strip().startswith("+") or national:
        return validation.normalize_phone(text)
    try:
        return validation.normalize_phone("+" + digits)
    except validation.ValidationError:
        return validation.normalize_phone(text)


def _phone_or_none(text: str | None) -> str | None:
    if not text:
        return None
    try:
        return validation.normalize_phone(text)
    except validation.ValidationError:
        return None


def _active_clients() -> list[ColumnElement[bool]]:
    return [Client.is_active.is_(True), Client.forgotten_at.is_(None)]


async def find_duplicates(
    session: AsyncSession,
    member: Member,
    *,
    phone: str | None = None,
    email: str | None = None,
    inn: str | None = None,
    name: str | None = None,
) -> list[Duplicate]:
    """Existing clients of the whole team with the same phone, e-mail, INN or a near-identical
    name; the member learns of a colleague's client only that it exists and whose it is."""
    reasons: dict[int, str] = {}
    phone = _phone_or_none(phone)
    if phone is not None:
        pattern = f'%"{phone}"%'
        rows = await session.scalars(
            select(Contact.client_id).where(
                or_(Contact.phone == phone, cast(Contact.extra_phones, String).like(pattern))
            )
        )
        for client_id in rows:
            reasons.setdefault(client_id, "phone")
    if email and email.strip():
        rows = await session.scalars(
            select(Contact.client_id).where(func.lower(Contact.email) == email.strip().lower())
        )
        for client_id in rows:
            reasons.setdefault(client_id, "email")
    if inn and inn.strip():
        rows = await session.scalars(select(Client.id).where(Client.inn == inn.strip()))
        for client_id in rows:
            reasons.setdefault(client_id, "inn")
    if name and names.normalize_text(name):
        everyone = await session.execute(select(Client.id, Client.name).where(*_active_clients()))
        for client_id, existing in everyone:
            if _near_identical(name, existing):
                reasons.setdefault(client_id, "name")
    if not reasons:
        return []
    found = await session.execute(
        select(Client, Member.full_name)
        .join(Member, Member.id == Client.owner_id)
        .where(Client.id.in_(reasons), *_active_clients())
        .order_by(Client.id)
    )
    return [
        Duplicate(
            client_id=client.id,
            name=client.name,
            reason=reasons[client.id],
            visible=access.can_see(member, client),
            owner_name=owner_name,
        )
        for client, owner_name in found
    ]


def _near_identical(first: str, second: str) -> bool:
    # name_similarity asks how well a query names a name; both ways makes it a likeness.
    return (
        min(names.name_similarity(first, second), names.name_similarity(second, first))
        >= DUPLICATE_NAME_SCORE
    )


def phone_query_digits(query: str) -> str | None:
    """The digits of a query that is a phone fragment («8912», «+7 912», «913 555»), else None."""
    if not _PHONE_QUERY.match(query.strip()):
        return None
    digits = re.sub(r"\D", "", query)
    return digits if len(digits) >= PHONE_QUERY_MIN_DIGITS else None


def _phone_patterns(digits: str) -> list[str]:
    patterns = [f"%{digits}%"]
    # «8 912…» is how Russians dial «+7 912…».
    if digits.startswith("8") and len(digits) > 1:
        patterns.append(f"+7{digits[1:]}%")
    return patterns


async def search_clients(
    session: AsyncSession, member: Member, query: str, *, limit: int = 8
) -> list[SearchHit]:
    """The member's clients matching a query by client name, contact name, a contact's phone
    (digits in any layout) or e-mail (whole or a part with its «@»)."""
    visible = access.visible_clients(member).subquery()
    digits = phone_query_digits(query)
    hits: dict[int, SearchHit] = {}
    email = query.strip().casefold()
    if _EMAIL_QUERY.match(email) and len(email) > 1:
        escaped = email.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = await session.execute(
            select(visible.c.id, visible.c.name, Contact.full_name, Contact.email)
            .join(Contact, Contact.client_id == visible.c.id)
            .where(func.lower(Contact.email).like(f"%{escaped}%", escape="\\"))
            .order_by(visible.c.id)
        )
        for client_id, client_name, contact_name, contact_email in rows:
            exact = (contact_email or "").casefold() == email
            hits.setdefault(
                client_id,
                SearchHit(client_id, client_name, 100.0 if exact else 95.0, contact_name),
            )
    elif digits is not None:
        full_number = _phone_or_none(query)
        conditions = []
        for pattern in _phone_patterns(digits):
            conditions.append(Contact.phone.like(pattern))
            conditions.append(cast(Contact.extra_phones, String).like(pattern))
        rows = await session.execute(
            select(visible.c.id, visible.c.name, Contact.full_name, Contact.phone)
            .join(Contact, Contact.client_id == visible.c.id)
            .where(or_(*conditions))
            .order_by(visible.c.id)
        )
        for client_id, client_name, contact_name, contact_phone in rows:
            exact = contact_phone is not None and contact_phone == full_number
            hits.setdefault(
                client_id,
                SearchHit(client_id, client_name, 100.0 if exact else 95.0, contact_name),
            )
    else:
        candidates = await _name_candidates(session, visible)
        by_id = {candidate.id: candidate for candidate in candidates}
        for client_id, score in names.rank_candidates(
            query, candidates, limit=limit, threshold=SEARCH_THRESHOLD
        ):
            candidate = by_id[client_id]
            hits[client_id] = SearchHit(
                client_id, candidate.name, score, _matched_contact(query, candidate)
            )
    return sorted(hits.values(), key=lambda hit: (-hit.score, hit.name.casefold()))[:limit]


async def _name_candidates(session: AsyncSession, visible: Subquery) -> list[names.NameCandidate]:
    clients = await session.execute(select(visible.c.id, visible.c.name).order_by(visible.c.id))
    contacts: dict[int, list[str]] = {}
    rows = await session.execute(
        select(Contact.client_id, Contact.full_name)
        .join(visible, visible.c.id == Contact.client_id)
        .order_by(Contact.id)
    )
    for client_id, full_name in rows:
        contacts.setdefault(client_id, []).append(full_name)
    return [
        names.NameCandidate(client_id, name, tuple(contacts.get(client_id, ())))
        for client_id, name in clients
    ]


def _matched_contact(query: str, candidate: names.NameCandidate) -> str | None:
    """The contact whose name explains the hit better than the client's own name, if any."""
    own = names.name_similarity(query, candidate.name)
    best: tuple[float, str | None] = (own, None)
    for contact in candidate.contact_names:
        score = names.name_similarity(query, contact)
        if score > best[0]:
            best = (score, contact)
    return best[1]


async def find_clients(
    session: AsyncSession, member: Member, query: str, now: datetime
) -> list[SearchHit]:
    """A member's own lookup (/find, a name typed on its own): the hits, and the query in the
    audit trail with the clients it found, so /forget can erase the queries that named one."""
    hits = await search_clients(session, member, query)
    await audit.record(
        session,
        member=member,
        action="search",
        now=now,
        query=query,
        found=[hit.client_id for hit in hits],
    )
    return hits


@dataclass(frozen=True)
class ClientTrace:
    """What names a client in text someone typed: its name, INN and its people's names, phones
    and e-mails — read before /forget erases them."""

    client_id: int
    name: str
    inn: str | None = None
    contact_names: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()


async def client_trace(session: AsyncSession, client: Client) -> ClientTrace:
    """The client's identifying texts as stored now."""
    contacts = list(
        await session.scalars(
            select(Contact).where(Contact.client_id == client.id).order_by(Contact.id)
        )
    )
    phones = [
        phone
        for contact in contacts
        for phone in (contact.phone, contact.whatsapp, *(contact.extra_phones or []))
        if phone
    ]
    return ClientTrace(
        client_id=client.id,
        name=client.name,
        inn=client.inn,
        contact_names=tuple(contact.full_name for contact in contacts),
        phones=tuple(dict.fromkeys(phones)),
        emails=tuple(contact.email for contact in contacts if contact.email),
    )


def query_names_client(query: str, trace: ClientTrace) -> bool:
    """Whether a search query names this client the way `search_clients` reads queries: the
    name or a contact's name (fuzzy, declined, in Latin letters), a part of a phone, a part of
    an e-mail with its «@»; or the INN. «Ромашка Плюс» does not name «Ромашка»: the search
    would not have found it either."""
    query = query.strip()
    digits = re.sub(r"\D", "", query)
    if trace.inn and len(digits) >= len(trace.inn) and trace.inn in digits:
        return True
    email = query.casefold()
    if _EMAIL_QUERY.match(email) and len(email) > 1:
        return any(email in stored.casefold() for stored in trace.emails)
    phone_digits = phone_query_digits(query)
    if phone_digits is not None:
        return any(_phone_matches(phone_digits, phone) for phone in trace.phones)
    candidate = names.NameCandidate(trace.client_id, trace.name, trace.contact_names)
    return bool(names.rank_candidates(query, [candidate], threshold=SEARCH_THRESHOLD))


def _phone_matches(digits: str, phone: str) -> bool:
    """`_phone_patterns` applied to one stored phone, as the search's LIKE does."""
    return digits in phone or (
        digits.startswith("8") and len(digits) > 1 and phone.startswith(f"+7{digits[1:]}")
    )


def strong_hit(hits: Sequence[SearchHit]) -> SearchHit | None:
    """The one hit to open directly: the only one scoring STRONG_HIT_SCORE or more."""
    strong = [hit for hit in hits if hit.score >= STRONG_HIT_SCORE]
    return strong[0] if len(strong) == 1 else None


async def load_card(
    session: AsyncSession,
    member: Member,
    client_id: int,
    now: datetime,
    *,
    record: bool = True,
) -> ClientCard:
    """Everything the card shows; records the view (or the refused attempt) in the audit.

    `record=False` re-renders a card already opened (turning a page, after «Данные актуальны»),
    so that one look at a long card is one view for the suspicious-reading alert.
    """
    client = await access.client_for(session, member, client_id, now=now)
    owner_name = await session.scalar(select(Member.full_name).where(Member.id == client.owner_id))
    contacts = list(
        await session.scalars(
            select(Contact)
            .where(Contact.client_id == client.id)
            .order_by(Contact.is_primary.desc(), Contact.id)
        )
    )
    deals = list(
        await session.scalars(
            select(Deal)
            .where(Deal.client_id == client.id, Deal.stage.not_in(CLOSED_DEAL_STAGES))
            .order_by(Deal.updated_at.desc(), Deal.id.desc())
        )
    )
    recent = list(
        await session.scalars(
            select(Interaction)
            .where(Interaction.client_id == client.id)
            .order_by(Interaction.happened_at.desc(), Interaction.id.desc())
            .limit(RECENT_INTERACTIONS)
        )
    )
    frequency, count = await _frequency(session, client.id, now)
    planned = await touches.open_touches(session, client.id)
    zone = ZoneInfo(client.timezone)
    today = now.astimezone(zone).date()
    contact_names = {contact.id: contact.full_name for contact in contacts}
    key_dates = [
        _upcoming(key_date, today, contact_names)
        for key_date in await session.scalars(
            select(KeyDate).where(KeyDate.client_id == client.id).order_by(KeyDate.id)
        )
    ]
    key_dates.sort(key=lambda upcoming: (upcoming.on, upcoming.key_date.id))
    policy = await touches.policy_for(session, client.category)
    if record:
        await audit.record(
            session, member=member, action="card_view", now=now, client_id=client.id
        )
        await protection.watch_card_view(session, member, client.id, now)
    return ClientCard(
        client=client,
        owner_name=owner_name or "",
        contacts=contacts,
        deals=deals,
        recent=recent,
        interaction_count=count,
        frequency=frequency,
        next_touch=planned[0] if planned else None,
        key_dates=key_dates,
        reverify_days=policy.reverify_days,
        confirmed_days_ago=max((now - client.data_confirmed_at).days, 0),
        stale=is_stale(client.data_confirmed_at, policy.reverify_days, now),
        contact_names=contact_names,
    )


async def _frequency(
    session: AsyncSession, client_id: int, now: datetime
) -> tuple[Frequency, int]:
    """Contact frequency from the history: the count in SQL, recent moments for the spacing."""
    count = (
        await session.scalar(
            select(func.count()).select_from(Interaction).where(Interaction.client_id == client_id)
        )
        or 0
    )
    if count <= 1:
        return (Frequency.NONE if count == 0 else Frequency.ONE_OFF), count
    since = now - timedelta(days=FREQUENCY_WINDOW_DAYS)
    moments = list(
        await session.scalars(
            select(Interaction.happened_at).where(
                Interaction.client_id == client_id, Interaction.happened_at >= since
            )
        )
    )
    # Older history only says "more than one": pad it so that the rule sees a repeat client.
    older = [since - timedelta(days=1), since - timedelta(days=2)]
    padded = moments if len(moments) >= 2 else [*moments, *older]
    return contact_frequency(padded, now), count


def _upcoming(key_date: KeyDate, today: date, contact_names: dict[int, str]) -> UpcomingDate:
    on = next_occurrence(key_date.day, key_date.month, today)
    return UpcomingDate(
        key_date=key_date,
        on=on,
        days_left=(on - today).days,
        years=years_at(key_date.year, on),
        contact_name=contact_names.get(key_date.contact_id or 0),
    )


async def confirm_data(
    session: AsyncSession, member: Member, client_id: int, *, now: datetime
) -> Client:
    """«Данные актуальны»: the client's data are confirmed today, the change is logged, and
    open «проверить данные» touches are done (the planner's half)."""
    client = await access.client_for(session, member, client_id, now=now)
    old = client.data_confirmed_at
    await planner.confirm_data(session, client, member, now)
    session.add(
        ChangeLog(
            client_id=client.id,
            entity="client",
            entity_id=client.id,
            field="data_confirmed_at",
            old_value=old.isoformat(),
            new_value=now.isoformat(),
            member_id=member.id,
            changed_at=now,
        )
    )
    await session.flush()
    return client


async def _set_markers(
    session: AsyncSession, member: Member, client: Client, markers: list[str], now: datetime
) -> list[str]:
    old = list(client.tags or [])
    if markers == old:
        return old
    client.tags = markers
    client.updated_at = now
    session.add(
        ChangeLog(
            client_id=client.id,
            entity="client",
            entity_id=client.id,
            field="tags",
            old_value=", ".join(old) or None,
            new_value=", ".join(markers) or None,
            member_id=member.id,
            changed_at=now,
        )
    )
    await session.flush()
    return markers


async def toggle_marker(
    session: AsyncSession, member: Member, client_id: int, marker: str, *, now: datetime
) -> list[str]:
    """Set a marker if absent, remove it if present; returns the client's markers."""
    client = await access.client_for(session, member, client_id, now=now)
    markers = list(client.tags or [])
    if marker in markers:
        markers.remove(marker)
    else:
        markers.append(marker)
    return await _set_markers(session, member, client, markers, now)


async def add_marker(
    session: AsyncSession, member: Member, client_id: int, text: str, *, now: datetime
) -> list[str]:
    """A custom marker typed by the member (trimmed, ≤ 40 characters, at most 20 per client)."""
    client = await access.client_for(session, member, client_id, now=now)
    marker = validation.clean_text(text, max_length=MARKER_MAX)
    markers = list(client.tags or [])
    if any(existing.casefold() == marker.casefold() for existing in markers):
        return markers
    if len(markers) >= MARKERS_MAX:
        raise ClientError("markers_too_many", limit=MARKERS_MAX)
    return await _set_markers(session, member, client, [*markers, marker], now)
