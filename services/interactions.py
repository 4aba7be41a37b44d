"""Logging interactions: the draft a conversation builds, saving it, and the client's timeline.

A draft is what one chat message (or the guided /log path) says about a contact; it lives in the
conversation state as JSON until the manager saves it. Saving checks the goal and the result
(never an interaction without them), is idempotent per Telegram message, marks the planned touch
it fulfils done, plans the next touch, applies contact data changes with history and confirms
the client's data when the manager says so. A draft that is a plan (a contact still to come)
is saved as the client's next touch instead (`save_plan`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import translator
from models import Attachment, Client, Contact, Interaction, Member, Touch
from models.enums import Channel, Direction, Outcome, TouchStatus
from services import access, client_edit, planner
from services.names import NameCandidate, NameIndex
from services.parsing import ParsedInteraction
from services.touches import OPEN_STATUSES, close_touch, policy_for, same_call_riders
from services.validation import ValidationError

TIMELINE_PAGE: Final = 5
GOAL_LIMIT: Final = 1000
# The same client, goal and result saved again within this time is asked about first.
DUPLICATE_WINDOW: Final = timedelta(minutes=30)
# Goals that mean «the data were checked during this contact».
_CONFIRM_WORDS: Final = ("актуализ", "данные актуальн", "проверить данные", "update data")


class MissingFieldError(Exception):
    """The draft lacks a field that every interaction must have (goal, result, client…)."""

    def __init__(self, field_name: str) -> None:
        super().__init__(field_name)
        self.field_name = field_name


# What a later message may add to a draft: everything the parser reads, but the client.
_COMPLETABLE: Final = (
    "contact_name",
    "channel",
    "outcome",
    "goal",
    "result",
    "next_step",
    "next_touch",
    "phone",
    "email",
    "position",
)
# What a later message may add to a plan: whom, how, what for and when.
_PLAN_COMPLETABLE: Final = ("contact_name", "channel", "goal", "next_touch")


@dataclass
class Draft:
    """An unsaved interaction as JSON-friendly values (the FSM storage keeps it as it is)."""

    client_id: int | None = None
    candidates: list[int] = field(default_factory=list)
    contact_name: str | None = None
    channel: str | None = None
    direction: str = Direction.OUTGOING.value
    outcome: str | None = None
    goal: str | None = None
    result: str | None = None
    next_step: str | None = None
    # ISO date («2026-11-20») or aware datetime («2026-11-20T15:00:00+03:00»).
    next_touch: str | None = None
    touch_id: int | None = None
    chat_id: int | None = None
    message_id: int | None = None
    phone: str | None = None
    email: str | None = None
    position: str | None = None
    confirm_data: bool = False
    guided: bool = False
    next_asked: bool = False
    # A next date the message named that cannot be planned («31 февраля», «вчера»): asked again.
    refused_phrase: str | None = None
    refused_reason: str | None = None
    text: str | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    # A contact still to come (`ParsedInteraction.plan`): saved as a planned touch on
    # `next_touch` with `goal`, not as an interaction.
    plan: bool = False

    def as_json(self) -> dict[str, Any]:
        """The draft as a JSON-serialisable dict."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Draft:
        """A draft back from its JSON form (unknown keys ignored)."""
        known = cls.__dataclass_fields__
        return cls(**{key: value for key, value in (data or {}).items() if key in known})

    @classmethod
    def from_parsed(cls, parsed: ParsedInteraction, text: str) -> Draft:
        """A draft from the parser's reading of one message."""
        touch = parsed.next_touch
        low = text.lower()
        return cls(
            client_id=parsed.client_ids[0] if len(parsed.client_ids) == 1 else None,
            candidates=list(parsed.client_ids),
            contact_name=parsed.contact_name,
            channel=parsed.channel.value if parsed.channel else None,
            direction=parsed.direction.value,
            outcome=parsed.outcome.value if parsed.outcome else None,
            goal=parsed.goal,
            result=parsed.result,
            next_step=parsed.next_step,
            next_touch=touch.isoformat() if touch is not None else None,
            refused_phrase=parsed.refused_date.phrase if parsed.refused_date else None,
            refused_reason=parsed.refused_date.reason if parsed.refused_date else None,
            phone=parsed.updates.phone,
            email=parsed.updates.email,
            position=parsed.updates.position,
            confirm_data=any(word in low for word in _CONFIRM_WORDS),
            text=text,
            plan=parsed.plan,
        )

    def continued_by(self, parsed: ParsedInteraction, text: str) -> Draft | None:
        """This draft taking in a message typed while it waits on a button or its card, when
        the message continues it: it names no other client and tells something the draft lacks
        («звонок», «договорились на 10 декабря»), or picks one of the candidate clients («из
        Лютика» for «which Петров?»). None for anything else — a lookup, a log about another
        client."""
        named = set(parsed.client_ids)
        draft = replace(self, candidates=list(self.candidates))
        if draft.client_id is None and named & set(draft.candidates):
            draft.candidates = [cid for cid in draft.candidates if cid in named]
            if len(draft.candidates) == 1:
                draft.client_id = draft.candidates[0]
        elif (named and draft.client_id not in named) or (
            not named and self._about_someone_unknown(parsed)
        ):
            return None
        told = Draft.from_parsed(parsed, text)
        if self.plan and (told.result or told.outcome):
            return None  # a contact that happened is a log of its own, not this plan's detail
        filled = draft._complete_from(told, _PLAN_COMPLETABLE if self.plan else _COMPLETABLE)
        return draft if filled or draft.client_id != self.client_id else None

    def names_another_client(self, parsed: ParsedInteraction) -> bool:
        """Whether a message typed while this draft waits for an answer is about another
        client: it names clients, and neither the draft's nor one of its candidates; or it is
        a whole log about somebody the base does not hold (`_about_someone_unknown`)."""
        named = set(parsed.client_ids)
        if not named:
            return self._about_someone_unknown(parsed)
        mine = {self.client_id, *self.candidates} - {None}
        return not named & mine

    def _about_someone_unknown(self, parsed: ParsedInteraction) -> bool:
        """A message naming no client of the base that reports a contact of its own: with a
        company that is not in the base («Звонил Сидорову из Рогов и копыт, …»), or opening
        with a person who is not this draft's contact and telling how it went («Звонил
        Сидорову, договорились о встрече»). «Сидоров обещал перезвонить» reports no contact,
        «звонил ему ещё раз, не ответил» names nobody: answers, not new logs."""
        if parsed.channel is None:
            return False
        if parsed.unknown_company is not None:
            return True
        told = parsed.result is not None or parsed.outcome is not None
        return (
            told
            and parsed.opens_with_contact
            and not _same_person(parsed.contact_name, self.contact_name)
        )

    def take_result(self, parsed: ParsedInteraction, text: str) -> None:
        """The result typed when asked for, with the outcome and the next date it tells when
        the draft has none: «договорились о встрече в пятницу» is achieved, with Friday;
        «Петров обещал перезвонить» is partial. The guided path (/log) asks each in turn."""
        self.result = text
        if self.guided:
            return
        if self.outcome is None and parsed.outcome is not None:
            self.outcome = parsed.outcome.value
        if parsed.next_touch is not None and self.next_touch is None and not self.next_step:
            self.next_step = parsed.next_step
            self.next_touch = parsed.next_touch.isoformat()

    def _complete_from(self, told: Draft, fields: Sequence[str] = _COMPLETABLE) -> list[str]:
        """Fill this draft's empty fields from what a later message told; the fields filled.

        Nothing already in the draft is overwritten: corrections go through the card.
        """
        filled = []
        for name in fields:
            if getattr(self, name) is None and getattr(told, name) is not None:
                setattr(self, name, getattr(told, name))
                filled.append(name)
        # Who called whom and a data check belong to a contact that happened, not to a plan.
        if not self.plan and told.direction == Direction.INCOMING.value != self.direction:
            self.direction = told.direction
            filled.append("direction")
        if not self.plan and told.confirm_data and not self.confirm_data:
            self.confirm_data = True
            filled.append("confirm_data")
        if filled and told.text:
            self.text = f"{self.text}\n{told.text}" if self.text else told.text
        return filled

    @property
    def next_touch_value(self) -> date | datetime | None:
        """The next touch as a date, or an aware datetime when a time was given."""
        if not self.next_touch:
            return None
        if "T" in self.next_touch:
            return datetime.fromisoformat(self.next_touch)
        return date.fromisoformat(self.next_touch)

    @property
    def next_touch_day(self) -> date | None:
        """The day of the next touch."""
        value = self.next_touch_value
        return value.date() if isinstance(value, datetime) else value


@dataclass(frozen=True)
class SavedInteraction:
    """A saved interaction; `created` is False when the same message had been saved before."""

    interaction: Interaction
    created: bool
    follow_up: planner.PlannedFollowUp | None = None
    closed_touch_id: int | None = None
    updates_applied: tuple[str, ...] = ()
    # The key facts to re-verify when the client's data are due for it (and were not confirmed).
    stale_facts: tuple[str, ...] = ()
    # The client's other touches listed under the one closed as made on the same call
    # (`touches.same_call_riders`): still open, for the manager to mark done too.
    riders: tuple[Touch, ...] = ()


def local_now(member: Member, now: datetime) -> datetime:
    """The member's local time: what «завтра» and «в пятницу» are relative to."""
    return now.astimezone(ZoneInfo(member.timezone))


class _IndexCache:
    """The last name index built for each member, reused while their clients' names are the same.

    Building an index costs ~1 ms per 50 clients (every word form of every name), a narrow read
    of the names a fraction of that. The cache compares what it read with what the index was
    built from, so a rename, a new contact or a handover on any instance is seen at once: no
    invalidation to forget. Bounded by the clients it holds in all (a head of a large base sees
    every client), least recently used out first.
    """

    def __init__(self, max_clients: int) -> None:
        self.max_clients = max_clients
        self._entries: OrderedDict[int, tuple[tuple[NameCandidate, ...], NameIndex]] = (
            OrderedDict()
        )
        self._clients = 0

    def get(self, member_id: int, candidates: tuple[NameCandidate, ...]) -> NameIndex:
        entry = self._entries.pop(member_id, None)
        if entry is not None:
            self._clients -= len(entry[0])
            if entry[0] != candidates:
                entry = None
        if entry is None:
            entry = (candidates, NameIndex(candidates))
        self._entries[member_id] = entry
        self._clients += len(candidates)
        while self._clients > self.max_clients and len(self._entries) > 1:
            _, (evicted, _) = self._entries.popitem(last=False)
            self._clients -= len(evicted)
        return entry[1]


_indexes: Final = _IndexCache(max_clients=200_000)


async def candidates_for(session: AsyncSession, member: Member) -> NameIndex:
    """A name index over the clients the member may see."""
    rows = await session.execute(
        select(Client.id, Client.name, Contact.full_name)
        .outerjoin(Contact, Contact.client_id == Client.id)
        .where(*access.visible_filter(member))
        .order_by(Client.id, Contact.id)
    )
    names: dict[int, tuple[str, list[str]]] = {}
    for client_id, name, contact_name in rows:
        contacts = names.setdefault(client_id, (name, []))[1]
        if contact_name is not None:
            contacts.append(contact_name)
    candidates = tuple(
        NameCandidate(client_id, name, tuple(contacts))
        for client_id, (name, contacts) in names.items()
    )
    return _indexes.get(member.id, candidates)


async def visible_names(
    session: AsyncSession, member: Member, client_ids: Sequence[int]
) -> list[tuple[int, str]]:
    """(id, name) of those clients the member may see, in the order asked, in one query."""
    rows = await session.execute(
        select(Client.id, Client.name).where(
            Client.id.in_(client_ids), *access.visible_filter(member)
        )
    )
    names: dict[int, str] = dict(rows.all())
    return [(client_id, names[client_id]) for client_id in client_ids if client_id in names]


async def sole_contact_name(session: AsyncSession, client_id: int) -> str | None:
    """The name of the client's contact when it has exactly one: who the contact was with."""
    names = list(
        await session.scalars(
            select(Contact.full_name).where(Contact.client_id == client_id).limit(2)
        )
    )
    return names[0] if len(names) == 1 else None


async def existing_for_message(
    session: AsyncSession, chat_id: int | None, message_id: int | None
) -> Interaction | None:
    """The interaction already saved from this Telegram message, if any."""
    if chat_id is None or message_id is None:
        return None
    return await session.scalar(
        select(Interaction).where(
            Interaction.source_chat_id == chat_id, Interaction.source_message_id == message_id
        )
    )


def _find_contact(client: Client, name: str | None) -> Contact | None:
    contacts = list(client.contacts)
    if name:
        wanted = name.lower().split()
        for contact in contacts:
            words = contact.full_name.lower().split()
            if words and wanted and (words == wanted or words[0][:5] == wanted[0][:5]):
                return contact
    return contacts[0] if len(contacts) == 1 else None


# The goal the parser gives an attempt that reached nobody, in every language.
IMPLIED_ATTEMPT_GOALS: Final = frozenset(
    translator(language)("parsing.implied_goal.no_contact") for language in ("ru", "en")
)


async def adopt_planned_goal(
    session: AsyncSession, member: Member, draft: Draft, now: datetime
) -> None:
    """An attempt that reached nobody («набрал Николаеву, не взяла трубку») was an attempt at
    the touch it will close: the draft takes that touch's goal instead of the parser's «связаться
    с клиентом», so the timeline says what the call was for."""
    if draft.client_id is None or draft.touch_id is not None:
        return
    if draft.goal not in IMPLIED_ATTEMPT_GOALS or draft.outcome != Outcome.NO_CONTACT.value:
        return
    today = local_now(member, now).date()
    touch = await planner.soonest_open_touch(session, draft.client_id, due_by=today)
    if touch is not None:
        draft.goal = touch.goal


async def _fulfilled_touch(
    session: AsyncSession, client: Client, draft: Draft, today: date
) -> Touch | None:
    if draft.touch_id is not None:
        touch = await session.get(Touch, draft.touch_id)
        if touch is not None and touch.client_id == client.id:
            # Already closed by a reminder's «Сделано»: still the touch this contact fulfils.
            return touch
    return await planner.soonest_open_touch(session, client.id, due_by=today)


def _same_text(saved: str, typed: str) -> bool:
    return saved.strip().casefold() == typed.strip()[:GOAL_LIMIT].casefold()


async def recent_duplicate(
    session: AsyncSession, draft: Draft, now: datetime
) -> Interaction | None:
    """An interaction saved within `DUPLICATE_WINDOW` with the draft's client, goal and result:
    the same call logged twice, most likely. Not the draft's own message (saving that again is
    idempotent anyway)."""
    if draft.client_id is None or not draft.goal or not draft.result:
        return None
    rows = await session.scalars(
        select(Interaction)
        .where(
            Interaction.client_id == draft.client_id,
            Interaction.happened_at >= now - DUPLICATE_WINDOW,
        )
        .order_by(Interaction.happened_at.desc(), Interaction.id.desc())
    )
    for row in rows:
        own = (row.source_chat_id, row.source_message_id) == (draft.chat_id, draft.message_id)
        if draft.message_id is not None and own:
            continue
        if _same_text(row.goal, draft.goal) and _same_text(row.result, draft.result):
            return row
    return None


def _same_person(mentioned: str | None, known: str | None) -> bool:
    """Whether a name read from a message («Сидоров») is the draft's contact («Сидоров Пётр»),
    by any word of it in the nominative, either gender («Сидорова»)."""
    if not mentioned or not known:
        return False
    stems = {word.casefold().replace("ё", "е").rstrip("а") for word in known.split()}
    return any(
        word.casefold().replace("ё", "е").rstrip("а") in stems for word in mentioned.split()
    )


def check_complete(draft: Draft) -> None:
    """Raise MissingFieldError for the first field an interaction cannot go without."""
    for name in ("client_id", "goal", "result"):
        value = getattr(draft, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise MissingFieldError(name.removesuffix("_id"))


async def save_interaction(
    session: AsyncSession, member: Member, draft: Draft, now: datetime
) -> SavedInteraction:
    """Save the draft as an interaction with all its consequences (see the module docstring).

    Raises MissingFieldError without a client, goal or result and access.AccessDeniedError for
    somebody else's client. A second save of the same Telegram message returns the first one.
    """
    check_complete(draft)
    assert draft.client_id is not None
    assert draft.goal
    assert draft.result
    client = await access.client_for(session, member, draft.client_id, now=now)
    existing = await existing_for_message(session, draft.chat_id, draft.message_id)
    if existing is not None:
        return SavedInteraction(existing, created=False)
    await session.refresh(client, ["contacts"])
    contact = _find_contact(client, draft.contact_name)
    today = local_now(member, now).date()
    touch = await _fulfilled_touch(session, client, draft, today)
    riders = await same_call_riders(session, touch, today) if touch is not None else []
    interaction = Interaction(
        client_id=client.id,
        contact_id=contact.id if contact else None,
        member_id=member.id,
        channel=Channel(draft.channel or Channel.CALL),
        direction=Direction(draft.direction),
        goal=draft.goal.strip()[:GOAL_LIMIT],
        result=draft.result.strip()[:GOAL_LIMIT],
        outcome=Outcome(draft.outcome or Outcome.ACHIEVED),
        notes=draft.text,
        next_step=draft.next_step,
        next_touch_on=draft.next_touch_day,
        happened_at=now,
        created_at=now,
        touch_id=touch.id if touch else None,
        source_chat_id=draft.chat_id,
        source_message_id=draft.message_id,
    )
    session.add(interaction)
    if touch is not None and touch.status in OPEN_STATUSES:
        close_touch(touch, TouchStatus.DONE, now)
    await session.flush()
    for item in draft.attachments:
        session.add(Attachment(interaction_id=interaction.id, created_at=now, **item))
    agreed = draft.next_touch_value
    follow_up = await planner.plan_follow_up(
        session, client, interaction, now, agreed if isinstance(agreed, datetime) else None
    )
    applied = await _apply_updates(session, member, contact, draft, now)
    facts: tuple[str, ...] = ()
    if draft.confirm_data or {"phone", "position"} & set(applied):
        await planner.confirm_data(session, client, member, now)
    else:
        facts = await stale_facts(session, client, now)
    return SavedInteraction(
        interaction,
        created=True,
        follow_up=follow_up,
        closed_touch_id=touch.id if touch else None,
        updates_applied=applied,
        stale_facts=facts,
        riders=tuple(riders),
    )


@dataclass(frozen=True)
class SavedPlan:
    """A plan saved as the client's next touch; `created` is False for the same message
    planned before (its touch as it was planned)."""

    planned: planner.PlannedFollowUp
    created: bool


def check_plan(draft: Draft) -> None:
    """Raise MissingFieldError for the first field a planned touch cannot go without."""
    for name in ("client_id", "goal", "next_touch"):
        value = getattr(draft, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise MissingFieldError(name.removesuffix("_id"))


def plan_goal(draft: Draft, language: str) -> str:
    """The touch's goal as the digest and the reminder show it: the way of the contact named
    when it is no call («Встреча: обсудить каталог»), since a touch keeps no channel."""
    goal = (draft.goal or "").strip()[:GOAL_LIMIT]
    channel = Channel(draft.channel) if draft.channel else Channel.CALL
    if channel in {Channel.CALL, Channel.OTHER}:
        return goal
    label = translator(language)(f"logging.plan_goal.{channel.value}")
    if goal.casefold().startswith(label.casefold()):
        return goal
    return f"{label}: {goal}"


async def save_plan(
    session: AsyncSession, member: Member, draft: Draft, now: datetime
) -> SavedPlan:
    """Save a plan as the client's next touch on its day, at its time (`touches.due_at`), for
    the client's owner, with the goal — the cadence and follow-up touches without an agreed
    time give way to it. Once per Telegram message. Raises MissingFieldError without a
    client, goal or day and access.AccessDeniedError for somebody else's client."""
    check_plan(draft)
    assert draft.client_id is not None
    client = await access.client_for(session, member, draft.client_id, now=now)
    key = f"plan:{draft.chat_id}:{draft.message_id}"
    existing = await session.scalar(select(Touch).where(Touch.dedupe_key == key))
    if existing is not None:
        return SavedPlan(planner.PlannedFollowUp(existing, False, False), created=False)
    await session.refresh(client, ["contacts"])
    contact = _find_contact(client, draft.contact_name)
    owner = await session.get(Member, client.owner_id)
    value = draft.next_touch_value
    assert value is not None
    planned = await planner.plan_agreed_touch(
        session,
        client,
        value.date() if isinstance(value, datetime) else value,
        value if isinstance(value, datetime) else None,
        goal=plan_goal(draft, owner.language if owner is not None else member.language),
        dedupe_key=key,
        contact_id=contact.id if contact else None,
        now=now,
    )
    return SavedPlan(planned, created=True)


async def stale_facts(session: AsyncSession, client: Client, now: datetime) -> tuple[str, ...]:
    """The key facts to ask about when the client's data are due for re-verification."""
    policy = await policy_for(session, client.category)
    confirmed = client.data_confirmed_at
    if confirmed.tzinfo is None:
        confirmed = confirmed.replace(tzinfo=UTC)
    if not planner.is_stale(confirmed, policy.reverify_days, now):
        return ()
    facts = []
    for contact in list(client.contacts)[:3]:
        parts = [part for part in (contact.position, contact.full_name, contact.phone) if part]
        facts.append(" · ".join(parts))
    return tuple(facts)


async def _apply_updates(
    session: AsyncSession, member: Member, contact: Contact | None, draft: Draft, now: datetime
) -> tuple[str, ...]:
    if contact is None:
        return ()
    applied: list[str] = []
    for name in ("phone", "email", "position"):
        value = getattr(draft, name)
        if not value or value == getattr(contact, name):
            continue
        try:
            await client_edit.edit_field(
                session, member, client_edit.CONTACT, contact.id, name, value, now=now
            )
        except ValidationError:
            continue
        applied.append(name)
    return tuple(applied)


async def attach(
    session: AsyncSession, member: Member, interaction_id: int, item: dict[str, Any], now: datetime
) -> Interaction:
    """Attach a file to a saved interaction of a client the member may see."""
    interaction = await session.get(Interaction, interaction_id)
    if interaction is None:
        raise access.AccessDeniedError(interaction_id)
    await access.client_for(session, member, interaction.client_id, now=now)
    session.add(Attachment(interaction_id=interaction.id, created_at=now, **item))
    await session.flush()
    return interaction


@dataclass(frozen=True)
class TimelinePage:
    """One page of a client's interactions, newest first."""

    items: list[Interaction]
    page: int
    pages: int


async def timeline(
    session: AsyncSession, member: Member, client_id: int, page: int, *, now: datetime
) -> TimelinePage:
    """The client's interactions newest first, `TIMELINE_PAGE` per page."""
    await access.client_for(session, member, client_id, now=now)
    total = (
        await session.scalar(
            select(func.count()).select_from(Interaction).where(Interaction.client_id == client_id)
        )
        or 0
    )
    pages = max(1, -(-total // TIMELINE_PAGE))
    page = min(max(page, 0), pages - 1)
    items = await session.scalars(
        select(Interaction)
        .where(Interaction.client_id == client_id)
        .order_by(Interaction.happened_at.desc(), Interaction.id.desc())
        .offset(page * TIMELINE_PAGE)
        .limit(TIMELINE_PAGE)
    )
    return TimelinePage(list(items), page, pages)
