"""Base protection: the suspicious-reading alert and the audit log as the heads read it.

A member who opens more than N distinct client cards within an hour is reported to the heads,
once per clock hour; `/audit` lists recent sensitive actions with filters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html import escape

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import translator
from models import (
    AuditEntry,
    Client,
    Event,
    Member,
)
from models.enums import Role
from scheduler import outbox
from services import audit, stats, team
from services.person_names import gender_of

DEFAULT_READ_ALERT_THRESHOLD = 40
# Where the update's session carries the team's configured threshold (READ_ALERT_THRESHOLD):
# the member middleware puts it there, so every path that opens a card honours it.
THRESHOLD_INFO_KEY = "read_alert_threshold"
READ_WINDOW = timedelta(hours=1)
READ_ALERT = "read_alert"
HANDOVER = "handover"
# What /audit shows: sensitive actions, not every internal note.
LISTED_ACTIONS = (
    "card_view",
    "search",
    "export",
    "import",
    HANDOVER,
    "forget",
    "delete",
    "denied",
    "forged_callback",
    READ_ALERT,
    "member_off",
    "member_on",
    "event_created",
    "event_cancelled",
    "policy_change",
)
EVENT_ACTIONS = ("event_created", "event_cancelled")
# Entries about a member (switched off, brought back): `details["member_id"]` names them.
ABOUT_MEMBER_ACTIONS = ("member_off", "member_on")
# Which details name a member, per action: /audit shows their names, and `/audit Анна` finds
# the handovers of her clients (to her or from her) besides what she did.
_MEMBER_KEYS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(ABOUT_MEMBER_ACTIONS, ("member_id",)),
    HANDOVER: ("from_member", "to_member"),
}


def hour_window(now: datetime) -> datetime:
    """The start of the clock hour `now` falls in: alerts are sent once per such window."""
    return now.replace(minute=0, second=0, microsecond=0)


async def distinct_cards_read(session: AsyncSession, member_id: int, now: datetime) -> int:
    """How many different client cards the member opened during the last hour."""
    count = await session.scalar(
        select(func.count(func.distinct(AuditEntry.client_id))).where(
            AuditEntry.member_id == member_id,
            AuditEntry.action == "card_view",
            AuditEntry.at > now - READ_WINDOW,
            AuditEntry.at <= now,
        )
    )
    return int(count or 0)


async def note_card_view(
    session: AsyncSession,
    member: Member,
    client_id: int,
    now: datetime,
    threshold: int = DEFAULT_READ_ALERT_THRESHOLD,
) -> tuple[list[Member], int]:
    """After a recorded card view: the heads to alert (none unless an alert is due), the count.

    `client_id` is the card just opened (already in the audit log); the alert is recorded as an
    audit entry, so it goes out once per clock hour however many more cards are opened.
    """
    count = await distinct_cards_read(session, member.id, now)
    if count <= threshold:
        return [], count
    already = await session.scalar(
        select(AuditEntry.id)
        .where(
            AuditEntry.member_id == member.id,
            AuditEntry.action == READ_ALERT,
            AuditEntry.at >= hour_window(now),
        )
        .limit(1)
    )
    if already is not None:
        return [], count
    await audit.record(
        session, member=member, action=READ_ALERT, now=now, client_id=client_id, cards=count
    )
    heads = [head for head in await team.active_heads(session) if head.id != member.id]
    return heads, count


async def alert_heads(
    session: AsyncSession, member: Member, heads: list[Member], count: int, now: datetime
) -> None:
    """Queue «⚠️ <name> открыл 41 карточку за час» to each head (delivered by the outbox)."""
    for head in heads:
        tr = translator(head.language)
        await outbox.enqueue(
            session,
            outbox.outbox_row(
                member=head,
                kind="alert",
                dedupe_key=f"read_alert:{member.id}:{head.id}:{hour_window(now):%Y%m%dT%H}",
                payload={
                    "text": tr(
                        "audit.read_alert",
                        name=escape(member.full_name, quote=False),
                        count=count,
                        gender=gender_of(member.full_name),
                    ),
                    "parse_mode": "HTML",
                },
                not_before=now,
                now=now,
            ),
        )


async def watch_card_view(
    session: AsyncSession,
    member: Member,
    client_id: int,
    now: datetime,
    threshold: int | None = None,
) -> list[Member]:
    """The hook after a card view: note it and queue the alert when one is due.

    Without an explicit `threshold` the one configured for this update's session is used.
    """
    if threshold is None:
        threshold = int(session.info.get(THRESHOLD_INFO_KEY, DEFAULT_READ_ALERT_THRESHOLD))
    heads, count = await note_card_view(session, member, client_id, now, threshold)
    if heads:
        await alert_heads(session, member, heads, count, now)
    return heads


@dataclass(frozen=True)
class AuditLine:
    """One audit entry as /audit shows it."""

    at: datetime
    member_name: str | None
    action: str
    client_name: str | None
    details: dict[str, object]
    # The member the action was about (switched off, brought back).
    subject_name: str | None = None
    # A handover: whose client(s) it was and who got them.
    from_name: str | None = None
    to_name: str | None = None
    # An event created or cancelled: its title and day.
    event_title: str | None = None
    event_day: date | None = None


@dataclass(frozen=True)
class AuditFilter:
    """What /audit was asked for: a member's name part, a period, a kind of action (one or
    several actions: «события» are both created and cancelled events)."""

    member_query: str | None = None
    since: datetime | None = None
    actions: tuple[str, ...] | None = None


PERIOD_WORDS = {"1h": 1, "24h": 24, "48h": 48, "7d": 24 * 7, "week": 24 * 7, "неделя": 24 * 7}
ACTION_WORDS: dict[str, str | tuple[str, ...]] = {
    "export": "export",
    "экспорт": "export",
    "import": "import",
    "импорт": "import",
    "handover": "handover",
    "передача": "handover",
    "search": "search",
    "поиск": "search",
    "denied": "denied",
    "отказ": "denied",
    "forget": "forget",
    "cards": "card_view",
    "карточки": "card_view",
    "alert": READ_ALERT,
    "off": "member_off",
    "отключение": "member_off",
    "on": "member_on",
    "возвращение": "member_on",
    "events": EVENT_ACTIONS,
    "event": EVENT_ACTIONS,
    "события": EVENT_ACTIONS,
    "событие": EVENT_ACTIONS,
    "policy": "policy_change",
    "политика": "policy_change",
    "политики": "policy_change",
}


def parse_filter(text: str, now: datetime) -> AuditFilter:
    """`/audit <member name>`, `/audit export`, `/audit 24h`, or several of them together."""
    since: datetime | None = None
    actions: tuple[str, ...] | None = None
    rest: list[str] = []
    for word in text.split():
        lowered = word.lower()
        if lowered in PERIOD_WORDS:
            since = now - timedelta(hours=PERIOD_WORDS[lowered])
        elif lowered.endswith(("h", "ч")) and lowered[:-1].isdigit() and int(lowered[:-1]) > 0:
            since = now - timedelta(hours=min(int(lowered[:-1]), 24 * 366))
        elif lowered in ACTION_WORDS:
            found = ACTION_WORDS[lowered]
            actions = (found,) if isinstance(found, str) else found
        else:
            rest.append(word)
    return AuditFilter(member_query=" ".join(rest) or None, since=since, actions=actions)


async def members_matching(session: AsyncSession, query: str) -> list[int]:
    """The members `/audit <name>` means: a part of a name («Дмитр»), or a name declined,
    misspelled or in Latin letters («Ольгу», «Dmitry»), as /stats reads it."""
    # SQLite's lower() knows no Cyrillic: the team is small, so match names in Python.
    members = list(await session.scalars(select(Member)))
    needle = query.casefold()
    ids = {member.id for member in members if needle in member.full_name.casefold()}
    ids.update(member.id for member in stats.match_members(query, members))
    return sorted(ids)


async def recent_entries(
    session: AsyncSession, head: Member, wanted: AuditFilter, *, limit: int = 200
) -> list[AuditLine]:
    """The newest sensitive entries matching the filter (heads only)."""
    if head.role is not Role.HEAD:
        raise PermissionError("audit is for heads")
    query = (
        select(AuditEntry, Member.full_name, Client.name)
        .outerjoin(Member, Member.id == AuditEntry.member_id)
        .outerjoin(Client, Client.id == AuditEntry.client_id)
        .where(AuditEntry.action.in_(LISTED_ACTIONS))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    if wanted.since is not None:
        query = query.where(AuditEntry.at >= wanted.since)
    if wanted.actions is not None:
        query = query.where(AuditEntry.action.in_(wanted.actions))
    if wanted.member_query is not None:
        ids = await members_matching(session, wanted.member_query)
        # `/audit Дмитрий`: what he did, and what was done to him (switched off, brought
        # back, his clients handed over or clients handed to him).
        query = query.where(
            or_(
                AuditEntry.member_id.in_(ids),
                *(
                    and_(
                        AuditEntry.action == action,
                        AuditEntry.details[key].as_integer().in_(ids),
                    )
                    for action, keys in _MEMBER_KEYS.items()
                    for key in keys
                ),
            )
        )
    found = (await session.execute(query)).all()
    details = [dict(entry.details or {}) for entry, _, _ in found]
    names = await _member_names(
        session,
        {
            value
            for (entry, _, _), facts in zip(found, details, strict=True)
            for key in _MEMBER_KEYS.get(entry.action, ())
            if isinstance(value := facts.get(key), int)
        },
    )
    events = await _events(
        session,
        {
            value
            for (entry, _, _), facts in zip(found, details, strict=True)
            if entry.action in EVENT_ACTIONS and isinstance(value := facts.get("event_id"), int)
        },
    )
    # A refused card names the client it was for (kept out of `client_id`, which counts views).
    refused_ids = {
        target
        for (entry, _, _), facts in zip(found, details, strict=True)
        if entry.action == "denied" and isinstance(target := facts.get("target"), int)
    }
    refused: dict[int, str] = {}
    if refused_ids:
        rows = await session.execute(
            select(Client.id, Client.name).where(Client.id.in_(refused_ids))
        )
        refused = {int(client_id): name for client_id, name in rows.all()}
    lines = []
    for (entry, member_name, client_name), facts in zip(found, details, strict=True):
        about = entry.action in ABOUT_MEMBER_ACTIONS
        handed = entry.action == HANDOVER
        title, day = events.get(facts.get("event_id", 0), (None, None))
        lines.append(
            AuditLine(
                at=entry.at,
                member_name=member_name,
                action=entry.action,
                client_name=client_name
                if entry.action != "denied"
                else refused.get(facts.get("target", 0)),
                details=facts,
                subject_name=names.get(facts.get("member_id", 0)) if about else None,
                from_name=names.get(facts.get("from_member", 0)) if handed else None,
                to_name=names.get(facts.get("to_member", 0)) if handed else None,
                event_title=title if entry.action in EVENT_ACTIONS else None,
                event_day=day if entry.action in EVENT_ACTIONS else None,
            )
        )
    return lines


async def _member_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(select(Member.id, Member.full_name).where(Member.id.in_(ids)))
    return {int(member_id): name for member_id, name in rows.all()}


async def _events(session: AsyncSession, ids: set[int]) -> dict[int, tuple[str, date]]:
    if not ids:
        return {}
    rows = await session.execute(
        select(Event.id, Event.title, Event.happens_on).where(Event.id.in_(ids))
    )
    return {int(event_id): (title, day) for event_id, title, day in rows.all()}
