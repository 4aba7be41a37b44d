"""Editing a client card: fields of a client, its contacts, key dates and deals, with history.

Every change goes through one place (`edit_field`, or the add / remove / close helpers built on
the same parsers): the typed or picked value is checked and normalised first, then applied, and a
ChangeLog row (who, when, entity, field, old → new) is written only when the value actually
changed. A contact's change of position therefore becomes its position history.

Access goes through services/access.py: a member edits only the clients they may see, and every
refused attempt is recorded in the audit trail. Nothing here commits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import ChangeLog, Client, Contact, Deal, KeyDate, Member
from models.enums import Category, Channel, ClientKind
from services import access, audit, geo, validation
from services.validation import ValidationError

CLIENT: Final = "client"
CONTACT: Final = "contact"
KEY_DATE: Final = "key_date"
DEAL: Final = "deal"

# Typed «-» (or the «Очистить» button) empties an optional field.
CLEAR: Final = "-"
YES: Final = "yes"
NO: Final = "no"
NONE: Final = "none"

NAME_MAX: Final = 200
SHORT_MAX: Final = 100
# Generous for a working note, well under Telegram's 4096 characters per message.
NOTES_MAX: Final = 4000
HOBBIES_MAX: Final = 1000
RELATION_MAX: Final = 64
AMOUNT_MAX: Final = Decimal("999999999999.99")
HISTORY_PAGE_SIZE: Final = 10

DEAL_STAGES: Final = ("new", "negotiation", "invoiced", "paid", "shipped", "closed", "lost")
CLOSED_DEAL_STAGES: Final = frozenset({"closed", "lost"})
KEY_DATE_KINDS: Final = ("birthday", "family", "anniversary", "professional", "other")
KEY_DATE_ICONS: Final = {"birthday": "🎂", "anniversary": "💍", "professional": "🛠", "other": "📅"}

_TELEGRAM = re.compile(r"^[a-z][a-z0-9_]{3,31}$", re.IGNORECASE)
_TELEGRAM_LINK = re.compile(r"^(?:https?://)?(?:t\.me|telegram\.me)/", re.IGNORECASE)
_TIME_TOKEN = r"\d{1,2}(?:[:.]\d{2})?"
_DASH = r"\s*[—–\-:]?\s*"
_BEFORE = re.compile(rf"^(?:до|before|until|till)\s+(?P<t>{_TIME_TOKEN}){_DASH}(?P<rest>.+)$")
_AFTER = re.compile(rf"^(?:после|after)(?:\s+(?P<t>{_TIME_TOKEN}))?{_DASH}(?P<rest>.+)$")
_FROM = re.compile(
    rf"^(?:с|c|from)\s+(?P<t>{_TIME_TOKEN})"
    rf"(?:\s*(?:до|to|[—–\-])\s*(?P<end>{_TIME_TOKEN}))?{_DASH}(?P<rest>.+)$"
)
_CHANNEL_WORDS: dict[str, Channel] = {}
for _channel, _words in (
    (Channel.CALL, ("звонок", "звонки", "звонить", "позвонить", "телефон", "call", "phone")),
    (Channel.WHATSAPP, ("whatsapp", "ватсап", "вотсап", "вацап", "ватсапп", "wa")),
    (Channel.TELEGRAM, ("telegram", "телеграм", "телеграмм", "тг", "tg")),
    (Channel.EMAIL, ("e-mail", "email", "почта", "почту", "письмо", "мейл", "mail")),
    (Channel.SMS, ("смс", "sms")),
    (Channel.MEETING, ("встреча", "встречи", "meeting")),
):
    for _word in _words:
        _CHANNEL_WORDS[_word] = _channel


# ---------------------------------------------------------------------------------------------
# Parsers: typed text (or a button value) → attribute assignments. They raise ValidationError.


Parser = Callable[[str], dict[str, Any]]


def _is_clear(raw: str) -> bool:
    return raw.strip() in {CLEAR, "—", "–"}


def _text(attr: str, max_length: int, *, optional: bool = False) -> Parser:
    def parse(raw: str) -> dict[str, Any]:
        if optional and _is_clear(raw):
            return {attr: None}
        return {attr: validation.clean_text(raw, max_length=max_length)}

    return parse


def _client_name(raw: str) -> dict[str, Any]:
    return {"name": validation.client_name(raw, max_length=NAME_MAX)}


def _checked(attr: str, check: Callable[[str], Any]) -> Parser:
    def parse(raw: str) -> dict[str, Any]:
        if _is_clear(raw):
            return {attr: None}
        return {attr: check(raw)}

    return parse


def _choice(attr: str, values: Iterable[str], convert: Callable[[str], Any] = str) -> Parser:
    allowed = tuple(values)

    def parse(raw: str) -> dict[str, Any]:
        if raw not in allowed:
            raise ValidationError("choice_invalid")
        return {attr: convert(raw)}

    return parse


def _yes_no(attr: str) -> Parser:
    return _choice(attr, (YES, NO), lambda value: value == YES)


def normalize_telegram(text: str) -> str:
    """«@ivan_petrov», «t.me/ivan_petrov» or «ivan_petrov» → «ivan_petrov»."""
    cleaned = _TELEGRAM_LINK.sub("", text.strip()).lstrip("@").strip("/")
    if not _TELEGRAM.match(cleaned):
        raise ValidationError("telegram_invalid", text=text.strip()[:40])
    return cleaned


def parse_amount(text: str) -> Decimal:
    """«150 000», «150000,50», «150 тыс», «1,2 млн», «15к ₽» → a non-negative amount."""
    cleaned = text.casefold().replace("\u00a0", " ").strip()
    cleaned = re.sub(r"(₽|руб\.?|р\.|rub)\s*$", "", cleaned).strip()
    factor = Decimal(1)
    for suffix, multiplier in (
        ("млн", 1_000_000),
        ("mln", 1_000_000),
        ("тыс", 1000),
        ("к", 1000),
        ("k", 1000),
    ):
        if cleaned.endswith(suffix):
            cleaned = cleaned[: -len(suffix)].strip()
            factor = Decimal(multiplier)
            break
    cleaned = cleaned.replace(" ", "").replace(",", ".")
    try:
        amount = Decimal(cleaned) * factor
    except InvalidOperation:
        raise ValidationError("amount_invalid", text=text.strip()[:40]) from None
    if not amount.is_finite() or amount < 0 or amount > AMOUNT_MAX:
        raise ValidationError("amount_invalid", text=text.strip()[:40])
    return amount.quantize(Decimal("0.01"))


def _channel_in(text: str) -> Channel | None:
    words = re.findall(r"[\w\-]+", text.casefold())
    for word in words:
        if word in _CHANNEL_WORDS:
            return _CHANNEL_WORDS[word]
    return None


def parse_channel_schedule(text: str) -> tuple[Channel | None, list[dict[str, str]]]:
    """«до 14:00 звонок, после — WhatsApp» → (call, [{"from": "14:00", "channel": "whatsapp"}]).

    The first channel is the contact's usual one; each entry switches channel from a time of day.
    Also understood: «с 10 до 14 звонок, после — почта», «после 18 Telegram».
    """
    invalid = ValidationError("channel_schedule_invalid", text=text.strip()[:60])
    usual: Channel | None = None
    switches: dict[time, Channel] = {}
    boundary: time | None = None
    for piece in re.split(r"[,;\n]|\s+а\s+", text.casefold()):
        part = piece.strip(" .—–-")
        if not part:
            continue
        before, after, since = _BEFORE.match(part), _AFTER.match(part), _FROM.match(part)
        match = before or after or since
        channel = _channel_in(match["rest"]) if match else None
        if match is None or channel is None:
            raise invalid
        if before is not None:
            usual, boundary = channel, validation.parse_time(before["t"])
        elif after is not None:
            moment = validation.parse_time(after["t"]) if after["t"] else boundary
            if moment is None:
                raise invalid
            switches[moment] = channel
        elif since is not None:
            start = validation.parse_time(since["t"])
            if start == time(0):
                usual = channel
            else:
                switches[start] = channel
            if since["end"]:
                boundary = validation.parse_time(since["end"])
    if not switches:
        raise invalid
    schedule = [
        {"from": moment.strftime("%H:%M"), "channel": switches[moment].value}
        for moment in sorted(switches)
    ]
    return usual, schedule


def _channel_schedule(raw: str) -> dict[str, Any]:
    if _is_clear(raw):
        return {"channel_schedule": []}
    usual, schedule = parse_channel_schedule(raw)
    found: dict[str, Any] = {"channel_schedule": schedule}
    if usual is not None:
        found["preferred_channel"] = usual
    return found


def _window(*, optional: bool) -> Parser:
    def parse(raw: str) -> dict[str, Any]:
        if optional and _is_clear(raw):
            return {"window_start": None, "window_end": None}
        start, end = validation.parse_time_window(raw)
        return {"window_start": start, "window_end": end}

    return parse


def _days(*, optional: bool) -> Parser:
    def parse(raw: str) -> dict[str, Any]:
        if optional and _is_clear(raw):
            return {"window_days": None}
        return {"window_days": validation.days_code(validation.parse_weekdays(raw))}

    return parse


def _city(raw: str) -> dict[str, Any]:
    """«Казань» (the zone follows the city), «Когалым, UTC+5» or «Когалым (МСК+2)» (a city with
    an explicit zone)."""
    if _is_clear(raw):
        return {"city": None}
    validation.clean_text(raw, max_length=SHORT_MAX)
    found = geo.read_city(raw)
    if found is not None and found.bad_zone is not None:
        raise ValidationError("timezone_unknown", text=found.bad_zone[:40])
    if found is None or found.zone is None:
        raise ValidationError("city_unknown", text=raw.strip()[:40])
    return {"city": found.name, "timezone": found.zone.key}


def _timezone(raw: str) -> dict[str, Any]:
    zone = geo.resolve_timezone(raw)
    if zone is None:
        raise ValidationError("timezone_unknown", text=raw.strip()[:40])
    return {"timezone": zone.key}


def _date(raw: str) -> dict[str, Any]:
    day, month, year = validation.parse_day_month(raw)
    return {"day": day, "month": month, "year": year}


@dataclass(frozen=True)
class FieldSpec:
    """An editable field: how its value is read from buttons or typed text, and what it logs.

    `tracked` are the log fields the edit may change (a city also moves the time zone).
    `choices` are button values; a field with choices is not typed. `optional` fields can be
    emptied.
    """

    entity: str
    name: str
    parse: Parser
    tracked: tuple[str, ...]
    optional: bool = False
    choices: tuple[str, ...] = ()

    @property
    def typed(self) -> bool:
        """Whether the value is typed rather than picked from buttons."""
        return not self.choices


def _spec(
    entity: str,
    name: str,
    parse: Parser,
    *,
    tracked: tuple[str, ...] = (),
    optional: bool = False,
    choices: tuple[str, ...] = (),
) -> FieldSpec:
    return FieldSpec(entity, name, parse, tracked or (name,), optional, choices)


_KINDS = tuple(kind.value for kind in ClientKind)
_CATEGORIES = tuple(category.value for category in Category)
_CHANNELS = tuple(channel.value for channel in Channel)

FIELDS: Final[dict[tuple[str, str], FieldSpec]] = {
    (spec.entity, spec.name): spec
    for spec in (
        # The pipeline stage is read-only here: stages change by handover, with its own trail.
        _spec(CLIENT, "name", _client_name),
        _spec(CLIENT, "kind", _choice("kind", _KINDS, ClientKind), choices=_KINDS),
        _spec(CLIENT, "inn", _checked("inn", validation.validate_inn), optional=True),
        _spec(CLIENT, "industry", _text("industry", SHORT_MAX, optional=True), optional=True),
        _spec(CLIENT, "city", _city, tracked=("city", "timezone"), optional=True),
        _spec(CLIENT, "timezone", _timezone),
        _spec(CLIENT, "category", _choice("category", _CATEGORIES, Category), choices=_CATEGORIES),
        _spec(
            CLIENT, "preferences", _text("preferences", NOTES_MAX, optional=True), optional=True
        ),
        _spec(CLIENT, "notes", _text("notes", NOTES_MAX, optional=True), optional=True),
        _spec(CLIENT, "window", _window(optional=False)),
        _spec(CLIENT, "days", _days(optional=False), tracked=("window_days",)),
        _spec(CLIENT, "observe_holidays", _yes_no("observe_holidays"), choices=(YES, NO)),
        _spec(CONTACT, "full_name", _text("full_name", NAME_MAX)),
        _spec(CONTACT, "position", _text("position", NAME_MAX, optional=True), optional=True),
        _spec(CONTACT, "phone", _checked("phone", validation.normalize_phone), optional=True),
        _spec(CONTACT, "email", _checked("email", validation.normalize_email), optional=True),
        _spec(CONTACT, "telegram", _checked("telegram", normalize_telegram), optional=True),
        _spec(
            CONTACT, "whatsapp", _checked("whatsapp", validation.normalize_phone), optional=True
        ),
        _spec(
            CONTACT,
            "work_schedule",
            _text("work_schedule", NAME_MAX, optional=True),
            optional=True,
        ),
        _spec(CONTACT, "window", _window(optional=True), optional=True),
        _spec(CONTACT, "days", _days(optional=True), tracked=("window_days",), optional=True),
        _spec(
            CONTACT,
            "preferred_channel",
            _choice(
                "preferred_channel",
                (*_CHANNELS, NONE),
                lambda value: None if value == NONE else Channel(value),
            ),
            choices=(*_CHANNELS, NONE),
        ),
        _spec(
            CONTACT,
            "channel_schedule",
            _channel_schedule,
            tracked=("preferred_channel", "channel_schedule"),
            optional=True,
        ),
        _spec(CONTACT, "hobbies", _text("hobbies", HOBBIES_MAX, optional=True), optional=True),
        _spec(
            CONTACT,
            "favourite_team",
            _text("favourite_team", NAME_MAX, optional=True),
            optional=True,
        ),
        _spec(CONTACT, "notes", _text("notes", NOTES_MAX, optional=True), optional=True),
        _spec(KEY_DATE, "relation", _text("relation", RELATION_MAX)),
        _spec(KEY_DATE, "person_name", _text("person_name", NAME_MAX)),
        _spec(KEY_DATE, "title", _text("title", NAME_MAX)),
        _spec(KEY_DATE, "date", _date, tracked=("date",)),
        _spec(DEAL, "title", _text("title", NAME_MAX)),
        _spec(
            DEAL,
            "amount",
            _checked("amount", parse_amount),
            optional=True,
        ),
        _spec(DEAL, "stage", _choice("stage", DEAL_STAGES), choices=DEAL_STAGES),
        _spec(
            DEAL,
            "goods_location",
            _text("goods_location", NAME_MAX, optional=True),
            optional=True,
        ),
        _spec(DEAL, "is_paid", _yes_no("is_paid"), choices=(YES, NO)),
    )
}

CLIENT_FIELDS: Final = tuple(name for entity, name in FIELDS if entity == CLIENT)
CONTACT_FIELDS: Final = tuple(name for entity, name in FIELDS if entity == CONTACT)
DEAL_FIELDS: Final = tuple(name for entity, name in FIELDS if entity == DEAL)


def field_spec(entity: str, field: str) -> FieldSpec:
    """The spec of an editable field; a forged or read-only one is refused as a bad choice."""
    spec = FIELDS.get((entity, field))
    if spec is None:
        raise ValidationError("choice_invalid")
    return spec


def check_value(entity: str, field: str, raw: str) -> dict[str, Any]:
    """Parse a value for a field without saving anything (the add wizards check each step)."""
    return field_spec(entity, field).parse(raw)


# ---------------------------------------------------------------------------------------------
# Reading values back as the strings the change log keeps.


def plain(value: object) -> str | None:
    """A value as the change log keeps it: codes for enums, «yes»/«no», «HH:MM», plain text."""
    if value is None:
        return None
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    text = str(value)
    return text or None


def schedule_text(schedule: list[dict[str, Any]] | None) -> str | None:
    """A contact's channel switches as the change log keeps them: «14:00 whatsapp; 18:00 sms»."""
    if not schedule:
        return None
    return "; ".join(f"{entry['from']} {entry['channel']}" for entry in schedule)


def read_value(target: Any, log_field: str) -> str | None:
    """The current value of a log field on a client, contact, key date or deal."""
    if log_field == "window":
        start, end = target.window_start, target.window_end
        return None if start is None or end is None else f"{plain(start)}–{plain(end)}"
    if log_field == "channel_schedule":
        return schedule_text(target.channel_schedule)
    if log_field == "date":
        year = f".{target.year}" if target.year else ""
        return f"{target.day:02d}.{target.month:02d}{year}"
    return plain(getattr(target, log_field))


# ---------------------------------------------------------------------------------------------
# Access: every entity leads to its client, and the client goes through services/access.py.


@dataclass(frozen=True)
class Change:
    """One changed log field."""

    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class EditResult:
    """What an edit did: the client it belongs to, the entity, and the fields that changed."""

    client: Client
    entity: str
    entity_id: int
    changes: list[Change]


_MODELS: Final[dict[str, type[Client | Contact | KeyDate | Deal]]] = {
    CLIENT: Client,
    CONTACT: Contact,
    KEY_DATE: KeyDate,
    DEAL: Deal,
}


async def load_target(
    session: AsyncSession, member: Member, entity: str, entity_id: int, *, now: datetime
) -> tuple[Client, Any]:
    """The client and the entity (client, contact, key date, deal) if the member may edit it.

    A missing entity, or one of somebody else's client, is recorded and refused with
    AccessDeniedError, just like a forged client id.
    """
    if entity == CLIENT:
        client = await access.client_for(session, member, entity_id, now=now)
        return client, client
    model = _MODELS.get(entity)
    target = await session.get(model, entity_id) if model is not None else None
    if not isinstance(target, Contact | KeyDate | Deal):
        await audit.record(
            session, member=member, action="denied", now=now, target=f"{entity}:{entity_id}"
        )
        raise access.AccessDeniedError(entity_id)
    client = await access.client_for(session, member, target.client_id, now=now)
    return client, target


def _log(
    session: AsyncSession,
    *,
    client: Client,
    member: Member,
    entity: str,
    entity_id: int,
    field: str,
    old: str | None,
    new: str | None,
    now: datetime,
) -> None:
    session.add(
        ChangeLog(
            client_id=client.id,
            entity=entity,
            entity_id=entity_id,
            field=field,
            old_value=old,
            new_value=new,
            member_id=member.id,
            changed_at=now,
        )
    )


def _assign(target: Any, values: Mapping[str, Any]) -> None:
    for attr, value in values.items():
        setattr(target, attr, value)


async def _apply(
    session: AsyncSession,
    *,
    member: Member,
    client: Client,
    spec: FieldSpec,
    target: Any,
    values: Mapping[str, Any],
    now: datetime,
) -> list[Change]:
    before = {field: read_value(target, field) for field in spec.tracked}
    _assign(target, values)
    changes = []
    for field, old in before.items():
        new = read_value(target, field)
        if new != old:
            changes.append(Change(field, old, new))
            _log(
                session,
                client=client,
                member=member,
                entity=spec.entity,
                entity_id=target.id,
                field=field,
                old=old,
                new=new,
                now=now,
            )
    if changes:
        client.updated_at = now
        if hasattr(target, "updated_at") and target is not client:
            target.updated_at = now
    await session.flush()
    return changes


async def edit_field(
    session: AsyncSession,
    member: Member,
    entity: str,
    entity_id: int,
    field: str,
    raw: str,
    *,
    now: datetime,
) -> EditResult:
    """Check a typed or picked value and apply it; log what changed. Nothing changes on error."""
    spec = field_spec(entity, field)
    client, target = await load_target(session, member, entity, entity_id, now=now)
    values = spec.parse(raw)
    if spec.entity == CLIENT and spec.name == "kind":
        await _check_kind_change(session, member, client, values["kind"], now)
    old_name = client.name
    changes = await _apply(
        session, member=member, client=client, spec=spec, target=target, values=values, now=now
    )
    if spec.entity == CLIENT and spec.name == "name" and client.kind is ClientKind.B2C:
        await _rename_person(session, member, client, old_name, now)
    return EditResult(client, entity, target.id, changes)


async def _rename_person(
    session: AsyncSession, member: Member, client: Client, old_name: str, now: datetime
) -> None:
    """A person (B2C) is their own contact: renaming the client renames that contact too,
    unless the contact was named differently on purpose."""
    person = await session.scalar(select(Contact).where(Contact.client_id == client.id))
    if person is None or person.full_name != old_name or old_name == client.name:
        return
    await _apply(
        session,
        member=member,
        client=client,
        spec=FIELDS[(CONTACT, "full_name")],
        target=person,
        values={"full_name": client.name},
        now=now,
    )


async def _check_kind_change(
    session: AsyncSession, member: Member, client: Client, kind: ClientKind, now: datetime
) -> None:
    """A person (B2C) has exactly one contact: themself. Turning a company into a person is
    allowed only when it has at most one contact; with none, the person becomes the contact."""
    if kind is not ClientKind.B2C or client.kind is ClientKind.B2C:
        return
    contacts = list(await session.scalars(select(Contact).where(Contact.client_id == client.id)))
    if len(contacts) > 1:
        raise ValidationError("kind_b2c_many_contacts", count=len(contacts))
    if contacts:
        contacts[0].is_primary = True
        return
    person = _new_contact(client, client.name, now)
    session.add(person)
    await session.flush()
    _log_added(session, client=client, member=member, entity=CONTACT, target=person, now=now)


# ---------------------------------------------------------------------------------------------
# Contacts.


def _new_contact(client: Client, full_name: str, now: datetime) -> Contact:
    return Contact(
        client_id=client.id,
        full_name=full_name,
        extra_phones=[],
        channel_schedule=[],
        is_primary=True,
        created_at=now,
    )


def _log_added(
    session: AsyncSession,
    *,
    client: Client,
    member: Member,
    entity: str,
    target: Any,
    now: datetime,
) -> None:
    _log(
        session,
        client=client,
        member=member,
        entity=entity,
        entity_id=target.id,
        field="added",
        old=None,
        new=entity_label(entity, target),
        now=now,
    )
    client.updated_at = now


def entity_label(entity: str, target: Any) -> str:
    """How the history names a contact, deal or key date."""
    if entity == CONTACT:
        return str(target.full_name)
    if entity == DEAL:
        return str(target.title)
    if entity == KEY_DATE:
        icon = KEY_DATE_ICONS.get(target.kind, KEY_DATE_ICONS["other"])
        who = target.title or " ".join(filter(None, (target.relation, target.person_name)))
        return f"{icon} {read_value(target, 'date')} {who}".strip()
    return str(target.name)


def _parse_all(entity: str, raw_values: Mapping[str, str]) -> dict[str, Any]:
    """Every typed value of a new entity, checked before anything is added."""
    values: dict[str, Any] = {}
    for field, raw in raw_values.items():
        if raw is None or not str(raw).strip():
            continue
        values.update(check_value(entity, field, str(raw)))
    return values


async def list_contacts(
    session: AsyncSession, member: Member, client_id: int, *, now: datetime
) -> tuple[Client, list[Contact]]:
    """The client and its contacts, the primary one first."""
    client = await access.client_for(session, member, client_id, now=now)
    contacts = await session.scalars(
        select(Contact)
        .where(Contact.client_id == client.id)
        .order_by(Contact.is_primary.desc(), Contact.id)
    )
    return client, list(contacts)


async def add_contact(
    session: AsyncSession,
    member: Member,
    client_id: int,
    raw_values: Mapping[str, str],
    *,
    now: datetime,
) -> Contact:
    """A new person at a company: name required; position, phone, e-mail, Telegram, WhatsApp
    optional. All values are checked first; a person (B2C) keeps their single contact."""
    client = await access.client_for(session, member, client_id, now=now)
    if client.kind is ClientKind.B2C:
        raise ValidationError("b2c_one_contact")
    values = _parse_all(CONTACT, raw_values)
    if "full_name" not in values:
        raise ValidationError("text_empty")
    has_primary = await session.scalar(
        select(Contact.id).where(Contact.client_id == client.id, Contact.is_primary.is_(True))
    )
    contact = _new_contact(client, values.pop("full_name"), now)
    contact.is_primary = has_primary is None
    _assign(contact, values)
    session.add(contact)
    await session.flush()
    _log_added(session, client=client, member=member, entity=CONTACT, target=contact, now=now)
    await session.flush()
    return contact


async def set_primary(
    session: AsyncSession, member: Member, contact_id: int, *, now: datetime
) -> Contact:
    """Make a contact the client's main one."""
    client, contact = await load_target(session, member, CONTACT, contact_id, now=now)
    if contact.is_primary:
        return contact  # type: ignore[no-any-return]
    others = await session.scalars(
        select(Contact).where(Contact.client_id == client.id, Contact.is_primary.is_(True))
    )
    for other in others:
        other.is_primary = False
    contact.is_primary = True
    _log(
        session,
        client=client,
        member=member,
        entity=CONTACT,
        entity_id=contact.id,
        field="is_primary",
        old=NO,
        new=YES,
        now=now,
    )
    client.updated_at = now
    await session.flush()
    return contact  # type: ignore[no-any-return]


async def remove_contact(
    session: AsyncSession, member: Member, contact_id: int, *, now: datetime
) -> Client:
    """Remove a contact with its key dates; a person's (B2C) only contact stays."""
    client, contact = await load_target(session, member, CONTACT, contact_id, now=now)
    if client.kind is ClientKind.B2C:
        raise ValidationError("b2c_last_contact")
    dates = list(await session.scalars(select(KeyDate).where(KeyDate.contact_id == contact.id)))
    for key_date in dates:
        await _delete_key_date(session, member, client, key_date, now)
    _log(
        session,
        client=client,
        member=member,
        entity=CONTACT,
        entity_id=contact.id,
        field="removed",
        old=contact.full_name,
        new=None,
        now=now,
    )
    was_primary = contact.is_primary
    await session.delete(contact)
    await session.flush()
    if was_primary:
        successor = await session.scalar(
            select(Contact).where(Contact.client_id == client.id).order_by(Contact.id).limit(1)
        )
        if successor is not None:
            successor.is_primary = True
    client.updated_at = now
    await session.flush()
    return client


@dataclass(frozen=True)
class PositionNote:
    """Since when a contact holds the position, and the one before it."""

    since: datetime
    previous: str | None


async def position_notes(
    session: AsyncSession, contact_ids: Iterable[int]
) -> dict[int, PositionNote]:
    """The latest position change of each contact that has one (one query for all)."""
    ids = list(contact_ids)
    if not ids:
        return {}
    rows = await session.scalars(
        select(ChangeLog)
        .where(
            ChangeLog.entity == CONTACT,
            ChangeLog.field == "position",
            ChangeLog.entity_id.in_(ids),
        )
        .order_by(ChangeLog.changed_at.desc(), ChangeLog.id.desc())
    )
    notes: dict[int, PositionNote] = {}
    for row in rows:
        if row.entity_id not in notes and row.new_value is not None:
            notes[row.entity_id] = PositionNote(row.changed_at, row.old_value)
    return notes


# ---------------------------------------------------------------------------------------------
# Key dates.


async def list_key_dates(
    session: AsyncSession, member: Member, client_id: int, *, now: datetime
) -> tuple[Client, list[KeyDate], dict[int, str]]:
    """The client, its key dates in calendar order, and its contacts' names by id."""
    client = await access.client_for(session, member, client_id, now=now)
    dates = await session.scalars(
        select(KeyDate)
        .where(KeyDate.client_id == client.id)
        .order_by(KeyDate.month, KeyDate.day, KeyDate.id)
    )
    names = await session.execute(
        select(Contact.id, Contact.full_name).where(Contact.client_id == client.id)
    )
    return client, list(dates), {row.id: row.full_name for row in names}


async def add_key_date(
    session: AsyncSession,
    member: Member,
    client_id: int,
    kind: str,
    raw_values: Mapping[str, str],
    *,
    contact_id: int | None = None,
    now: datetime,
) -> KeyDate:
    """A yearly date: a contact's birthday, a family member's (relation and name), an
    anniversary, a professional day or another titled date. The year is optional; 29.02 is
    fine without one, 31.02 never."""
    client = await access.client_for(session, member, client_id, now=now)
    if kind not in KEY_DATE_KINDS:
        raise ValidationError("choice_invalid")
    if contact_id is not None:
        owner = await session.scalar(select(Contact.client_id).where(Contact.id == contact_id))
        if owner != client.id:
            raise ValidationError("choice_invalid")
    values = _parse_all(KEY_DATE, raw_values)
    required = {
        "birthday": ("date",),
        "family": ("relation", "person_name", "date"),
    }.get(kind, ("title", "date"))
    if any(field not in values and field != "date" for field in required):
        raise ValidationError("text_empty")
    if "day" not in values:
        raise ValidationError("date_invalid", text="")
    if kind in {"birthday", "family"} and contact_id is None:
        raise ValidationError("choice_invalid")
    key_date = KeyDate(
        client_id=client.id,
        contact_id=contact_id,
        # A family member's birthday is a birthday; the relation tells them apart.
        kind="birthday" if kind == "family" else kind,
        created_at=now,
    )
    _assign(key_date, values)
    session.add(key_date)
    await session.flush()
    _log_added(session, client=client, member=member, entity=KEY_DATE, target=key_date, now=now)
    await session.flush()
    return key_date


async def _delete_key_date(
    session: AsyncSession, member: Member, client: Client, key_date: KeyDate, now: datetime
) -> None:
    _log(
        session,
        client=client,
        member=member,
        entity=KEY_DATE,
        entity_id=key_date.id,
        field="removed",
        old=entity_label(KEY_DATE, key_date),
        new=None,
        now=now,
    )
    await session.delete(key_date)


async def delete_key_date(
    session: AsyncSession, member: Member, key_date_id: int, *, now: datetime
) -> Client:
    """Remove a key date (kept in the history)."""
    client, key_date = await load_target(session, member, KEY_DATE, key_date_id, now=now)
    await _delete_key_date(session, member, client, key_date, now)
    client.updated_at = now
    await session.flush()
    return client


# ---------------------------------------------------------------------------------------------
# Deals.


async def list_deals(
    session: AsyncSession, member: Member, client_id: int, *, now: datetime
) -> tuple[Client, list[Deal]]:
    """The client and its deals: open ones first, newest first."""
    client = await access.client_for(session, member, client_id, now=now)
    deals = await session.scalars(
        select(Deal)
        .where(Deal.client_id == client.id)
        .order_by(Deal.stage.in_(CLOSED_DEAL_STAGES), Deal.updated_at.desc(), Deal.id.desc())
    )
    return client, list(deals)


async def add_deal(
    session: AsyncSession,
    member: Member,
    client_id: int,
    raw_values: Mapping[str, str],
    *,
    now: datetime,
) -> Deal:
    """A new deal: title required; amount, stage, where the goods are, paid — optional."""
    client = await access.client_for(session, member, client_id, now=now)
    values = _parse_all(DEAL, raw_values)
    if "title" not in values:
        raise ValidationError("text_empty")
    deal = Deal(
        client_id=client.id,
        title=values.pop("title"),
        stage="new",
        is_paid=False,
        created_at=now,
        updated_at=now,
    )
    _assign(deal, values)
    session.add(deal)
    await session.flush()
    _log_added(session, client=client, member=member, entity=DEAL, target=deal, now=now)
    await session.flush()
    return deal


# ---------------------------------------------------------------------------------------------
# History.


@dataclass(frozen=True)
class ChangeEntry:
    """One line of a client's history: who changed what, when, from what to what."""

    changed_at: datetime
    member_name: str | None
    entity: str
    entity_id: int
    # The contact's name or the deal's title, when the entity still exists.
    entity_label: str | None
    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class HistoryPage:
    """A page of the history with the page count."""

    client: Client
    entries: list[ChangeEntry]
    page: int
    pages: int


async def history(
    session: AsyncSession,
    member: Member,
    client_id: int,
    page: int = 0,
    *,
    now: datetime,
    per_page: int = HISTORY_PAGE_SIZE,
) -> list[ChangeEntry]:
    """A page of the client's change log, newest first, with the names of who changed what."""
    return (
        await history_page(session, member, client_id, page, now=now, per_page=per_page)
    ).entries


async def history_page(
    session: AsyncSession,
    member: Member,
    client_id: int,
    page: int = 0,
    *,
    now: datetime,
    per_page: int = HISTORY_PAGE_SIZE,
) -> HistoryPage:
    """The history page (clamped to the pages there are) and how many pages there are."""
    client = await access.client_for(session, member, client_id, now=now)
    total = (
        await session.scalar(
            select(func.count()).select_from(ChangeLog).where(ChangeLog.client_id == client.id)
        )
        or 0
    )
    pages = max(1, -(-total // per_page))
    page = min(max(page, 0), pages - 1)
    rows = (
        await session.execute(
            select(ChangeLog, Member.full_name)
            .outerjoin(Member, Member.id == ChangeLog.member_id)
            .where(ChangeLog.client_id == client.id)
            .order_by(ChangeLog.changed_at.desc(), ChangeLog.id.desc())
            .offset(page * per_page)
            .limit(per_page)
        )
    ).all()
    labels = await _labels(session, [row for row, _ in rows])
    entries = [
        ChangeEntry(
            changed_at=row.changed_at,
            member_name=name,
            entity=row.entity,
            entity_id=row.entity_id,
            entity_label=labels.get((row.entity, row.entity_id)),
            field=row.field,
            old=row.old_value,
            new=row.new_value,
        )
        for row, name in rows
    ]
    return HistoryPage(client, entries, page, pages)


async def _labels(session: AsyncSession, rows: list[ChangeLog]) -> dict[tuple[str, int], str]:
    contact_ids = {row.entity_id for row in rows if row.entity == CONTACT}
    deal_ids = {row.entity_id for row in rows if row.entity == DEAL}
    labels: dict[tuple[str, int], str] = {}
    if contact_ids:
        for contact_id, name in await session.execute(
            select(Contact.id, Contact.full_name).where(Contact.id.in_(contact_ids))
        ):
            labels[(CONTACT, contact_id)] = name
    if deal_ids:
        for deal_id, title in await session.execute(
            select(Deal.id, Deal.title).where(Deal.id.in_(deal_ids))
        ):
            labels[(DEAL, deal_id)] = title
    return labels
