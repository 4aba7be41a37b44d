"""The outbox: every scheduled message is a database row before it is a message.

Rows move `pending → sending → sent`, or to `failed` / `expired` (the planner may later mark an
expired reminder `folded` into a digest), or to `cancelled`: a reminder whose touch was closed or
moved, and everything addressed to a member who is switched off. A row is only ever claimed,
and only ever sent, while its member is active. Creating a row is idempotent on its dedupe key;
claiming is atomic across instances: `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, one
`UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING` statement on SQLite, whose single writer
makes the statement the lease. A claim carries a lease (`claimed_until`): a crashed instance's
rows become claimable again when it runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, case, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from models import Member, Outbox

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
EXPIRED = "expired"
FOLDED = "folded"
CANCELLED = "cancelled"

MAX_TEXT_LENGTH = 4096
MAX_ERROR_LENGTH = 500
PARSE_MODES = frozenset({"HTML", "MarkdownV2", "Markdown"})

SessionFactory = async_sessionmaker[AsyncSession]

# Set in `session.info` by a transaction that queued rows: once it commits, an update's
# transaction wakes the sender instead of leaving them to the next tick.
QUEUED = "outbox_queued"

# SQLite has one writer per file anyway; inside a process, outbox writes also take turns on an
# asyncio lock per engine, so they queue in memory instead of in SQLite's busy handler (and an
# in-memory database, whose sessions share one connection, never interleaves two transactions).
_sqlite_write_locks: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class OutboxItem:
    """A claimed outbox row, detached from any session."""

    id: int
    member_id: int
    chat_id: int
    kind: str
    dedupe_key: str
    payload: Mapping[str, Any]
    touch_id: int | None
    not_before: datetime
    expires_at: datetime | None
    attempts: int
    claimed_by: str
    claimed_until: datetime


def validate_payload(payload: Mapping[str, Any]) -> None:
    """Reject a payload Telegram would refuse, at enqueue time rather than at 9 a.m."""
    text = payload.get("text")
    if not isinstance(text, str) or not text.strip():
        msg = "payload needs a non-empty 'text'"
        raise ValueError(msg)
    if len(text) > MAX_TEXT_LENGTH:
        msg = f"payload text is longer than {MAX_TEXT_LENGTH} characters: split it"
        raise ValueError(msg)
    parse_mode = payload.get("parse_mode")
    if parse_mode is not None and parse_mode not in PARSE_MODES:
        msg = f"unknown parse_mode {parse_mode!r}"
        raise ValueError(msg)
    rows = payload.get("buttons", [])
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        msg = "payload 'buttons' must be a list of rows (lists)"
        raise ValueError(msg)
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                msg = "every button needs a 'text'"
                raise ValueError(msg)
            targets = [key for key in ("callback_data", "url") if button.get(key)]
            if len(targets) != 1:
                msg = "every button needs exactly one of 'callback_data' or 'url'"
                raise ValueError(msg)
            data = button.get("callback_data")
            if isinstance(data, str) and len(data.encode()) > 64:
                msg = "callback_data is longer than 64 bytes"
                raise ValueError(msg)


# The table itself: several rows in one INSERT go through Core's executemany, not the ORM.
_OUTBOX = cast(Table, Outbox.__table__)


def outbox_row(
    *,
    member: Member,
    kind: str,
    dedupe_key: str,
    payload: dict[str, Any],
    not_before: datetime,
    now: datetime,
    expires_at: datetime | None = None,
    touch_id: int | None = None,
) -> dict[str, Any]:
    """The column values of a new message for `member`, its payload checked."""
    validate_payload(payload)
    return {
        "member_id": member.id,
        "chat_id": member.telegram_id,
        "kind": kind,
        "dedupe_key": dedupe_key,
        "payload": payload,
        "touch_id": touch_id,
        "not_before": not_before,
        "expires_at": expires_at,
        "status": PENDING,
        "attempts": 0,
        "created_at": now,
    }


def _insert_new(session: AsyncSession) -> Any:
    """INSERT … ON CONFLICT (dedupe_key) DO NOTHING, for the session's database.

    The values go as parameters, not into the statement: one compiled statement is cached and
    reused, where `.values(...)` would build and key a new one per row.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql_insert(_OUTBOX).on_conflict_do_nothing(index_elements=["dedupe_key"])
    if dialect == "sqlite":
        return sqlite_insert(_OUTBOX).on_conflict_do_nothing(index_elements=["dedupe_key"])
    msg = f"unsupported database dialect {dialect!r}"  # pragma: no cover
    raise NotImplementedError(msg)  # pragma: no cover


async def enqueue(session: AsyncSession, row: Mapping[str, Any]) -> bool:
    """Add a message (an `outbox_row`); False when its dedupe key is already there (nothing
    changes).

    Runs in the caller's transaction; safe with concurrent instances thanks to the unique key.
    """
    statement = _insert_new(session).returning(_OUTBOX.c.id)
    added = await session.scalar(statement, dict(row)) is not None
    if added:
        session.info[QUEUED] = True
    return added


async def enqueue_many(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Add several messages (`outbox_row`s) in one statement; those whose dedupe key is
    already there are skipped. A morning's reminders are thousands of rows: one INSERT each
    cost a round trip each."""
    if rows:
        await session.execute(_insert_new(session), [dict(row) for row in rows])
        session.info[QUEUED] = True


@contextlib.asynccontextmanager
async def _writing(session_factory: SessionFactory) -> AsyncIterator[AsyncSession]:
    """A transaction for an outbox write: single file on SQLite, in parallel on PostgreSQL."""
    bind = session_factory.kw.get("bind")
    if bind is None or bind.dialect.name != "sqlite":
        async with session_factory.begin() as session:
            yield session
        return
    lock = _sqlite_write_locks.setdefault(bind.sync_engine, asyncio.Lock())
    async with lock, session_factory.begin() as session:
        yield session


def writing(
    session_factory: SessionFactory,
) -> contextlib.AbstractAsyncContextManager[AsyncSession]:
    """`_writing` for a job that writes outbox rows while a delivery run is sending (the
    blocked-member hook): it takes its turn with the sender's own writes."""
    return _writing(session_factory)


def _ready(now: datetime) -> ColumnElement[bool]:
    """Rows whose moment has come: pending and due, or left `sending` by an instance that died."""
    return or_(
        and_(Outbox.status == PENDING, Outbox.not_before <= now),
        and_(Outbox.status == SENDING, Outbox.claimed_until < now),
    )


def _member_active() -> ColumnElement[bool]:
    """The row's member is on the team: nothing goes to a member who was switched off."""
    return (
        select(Member.id).where(Member.id == Outbox.member_id, Member.is_active.is_(True)).exists()
    )


def _due(now: datetime) -> ColumnElement[bool]:
    """Rows a sender may take: ready, for an active member."""
    return and_(_ready(now), _member_active())


async def cancel_for_member(session: AsyncSession, member_id: int) -> int:
    """Cancel everything not yet sent to a member (all kinds: digests, reminders, notices,
    alerts), claimed rows too: the sender re-checks a row just before sending it. Runs in the
    caller's transaction — the one that switches the member off. Returns how many."""
    result = await session.execute(
        update(Outbox)
        .where(Outbox.member_id == member_id, Outbox.status.in_((PENDING, SENDING)))
        .values(status=CANCELLED, claimed_by=None, claimed_until=None)
        .returning(Outbox.id)
        .execution_options(synchronize_session=False)
    )
    return len(result.all())


async def _cancel_for_inactive(session: AsyncSession, now: datetime) -> int:
    """Ready rows of members switched off meanwhile — say, enqueued by another instance in the
    moment of the switch — are cancelled instead of claimed."""
    result = await session.execute(
        update(Outbox)
        .where(_ready(now), ~_member_active())
        .values(status=CANCELLED, claimed_by=None, claimed_until=None)
        .returning(Outbox.id)
        .execution_options(synchronize_session=False)
    )
    return len(result.all())


def _overdue(now: datetime) -> ColumnElement[bool]:
    """Rows whose moment has passed unsent: a reminder for yesterday must not arrive today."""
    return and_(
        Outbox.expires_at.is_not(None),
        Outbox.expires_at < now,
        or_(
            Outbox.status == PENDING,
            and_(Outbox.status == SENDING, Outbox.claimed_until < now),
        ),
    )


async def expire_overdue(session_factory: SessionFactory, now: datetime) -> int:
    """Mark unsent rows past their `expires_at` as expired; returns how many."""
    async with _writing(session_factory) as session:
        return await _expire_overdue(session, now)


async def _expire_overdue(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(
        update(Outbox)
        .where(_overdue(now))
        .values(status=EXPIRED, claimed_by=None, claimed_until=None)
        .returning(Outbox.id)
        .execution_options(synchronize_session=False)
    )
    return len(result.all())


_CLAIMED_COLUMNS = (
    Outbox.id,
    Outbox.member_id,
    Outbox.chat_id,
    Outbox.kind,
    Outbox.dedupe_key,
    Outbox.payload,
    Outbox.touch_id,
    Outbox.not_before,
    Outbox.expires_at,
    Outbox.attempts,
    Outbox.claimed_by,
    Outbox.claimed_until,
)


async def claim_due(
    session_factory: SessionFactory,
    *,
    worker: str,
    now: datetime,
    limit: int,
    lease: timedelta,
) -> list[OutboxItem]:
    """Atomically take up to `limit` due rows for `worker` until `now + lease`, oldest first.

    Two claimers, in this process or another, never get the same row. Rows past their
    `expires_at` become `expired` instead. Taking over a dead instance's claim counts as an
    attempt, so a message that crashes the sender cannot loop forever: it ends at its expiry,
    or after `max_attempts` when it has none.
    """
    if limit <= 0:
        return []
    async with _writing(session_factory) as session:
        # The first statement is a write, so SQLite takes its write lock before reading.
        await _expire_overdue(session, now)
        await _cancel_for_inactive(session, now)
        candidates = (
            select(Outbox.id).where(_due(now)).order_by(Outbox.not_before, Outbox.id).limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            # Materialized so the locked set is computed once; rows another instance holds are
            # skipped rather than waited for.
            picked = (
                candidates.with_for_update(skip_locked=True)
                .cte("picked")
                .prefix_with("MATERIALIZED", dialect="postgresql")
            )
            chosen = Outbox.id.in_(select(picked.c.id))
        else:
            chosen = Outbox.id.in_(candidates.scalar_subquery())
        result = await session.execute(
            update(Outbox)
            .where(chosen, _due(now))
            .values(
                status=SENDING,
                claimed_by=worker,
                claimed_until=now + lease,
                attempts=Outbox.attempts + case((Outbox.status == SENDING, 1), else_=0),
            )
            .returning(*_CLAIMED_COLUMNS)
            .execution_options(synchronize_session=False)
        )
        rows = result.all()
    items = [
        OutboxItem(
            id=row.id,
            member_id=row.member_id,
            chat_id=row.chat_id,
            kind=row.kind,
            dedupe_key=row.dedupe_key,
            payload=dict(row.payload or {}),
            touch_id=row.touch_id,
            not_before=row.not_before,
            expires_at=row.expires_at,
            attempts=row.attempts,
            claimed_by=row.claimed_by,
            claimed_until=row.claimed_until,
        )
        for row in rows
    ]
    # RETURNING order is unspecified on SQLite.
    items.sort(key=lambda item: (item.not_before, item.id))
    return items


async def confirm_sending(session_factory: SessionFactory, item_id: int) -> bool:
    """Just before the call: True when the claimed row is still to be sent. A member switched
    off since the claim cancels it (their deactivation cancelled it already, or this does):
    the window left is one request's, not a whole batch's."""
    async with _writing(session_factory) as session:
        row = (
            await session.execute(
                select(Outbox.status, Member.is_active)
                .join(Member, Member.id == Outbox.member_id)
                .where(Outbox.id == item_id)
            )
        ).first()
        if row is None or row.status != SENDING:
            return False
        if row.is_active:
            return True
        await session.execute(
            update(Outbox)
            .where(Outbox.id == item_id, Outbox.status == SENDING)
            .values(status=CANCELLED, claimed_by=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )
        return False


def _error_text(error: str) -> str:
    return error[:MAX_ERROR_LENGTH]


async def mark_sent(
    session_factory: SessionFactory, item_id: int, message_id: int, now: datetime
) -> None:
    """Record that Telegram accepted the message (the first record wins)."""
    async with _writing(session_factory) as session:
        await session.execute(
            update(Outbox)
            .where(Outbox.id == item_id, Outbox.status != SENT)
            .values(
                status=SENT,
                sent_message_id=message_id,
                sent_at=now,
                claimed_by=None,
                claimed_until=None,
                last_error=None,
            )
            .execution_options(synchronize_session=False)
        )


async def mark_retry(
    session_factory: SessionFactory, item_id: int, error: str, retry_at: datetime
) -> None:
    """Count a failed attempt and put the row back to be claimed again from `retry_at`."""
    async with _writing(session_factory) as session:
        await session.execute(
            update(Outbox)
            .where(Outbox.id == item_id, Outbox.status == SENDING)
            .values(
                status=PENDING,
                attempts=Outbox.attempts + 1,
                last_error=_error_text(error),
                not_before=retry_at,
                claimed_by=None,
                claimed_until=None,
            )
            .execution_options(synchronize_session=False)
        )


async def count_attempt(
    session_factory: SessionFactory, item_id: int, error: str, *, worker: str
) -> bool:
    """Count a failed attempt on a row `worker` still holds, keeping the claim: the sender
    tries it again shortly itself. False when the row is no longer that worker's."""
    async with _writing(session_factory) as session:
        result = await session.execute(
            update(Outbox)
            .where(Outbox.id == item_id, Outbox.status == SENDING, Outbox.claimed_by == worker)
            .values(attempts=Outbox.attempts + 1, last_error=_error_text(error))
            .returning(Outbox.id)
            .execution_options(synchronize_session=False)
        )
        return bool(result.all())


async def mark_failed(session_factory: SessionFactory, item_id: int, error: str) -> None:
    """Give up on the row for good, keeping the reason."""
    async with _writing(session_factory) as session:
        await session.execute(
            update(Outbox)
            .where(Outbox.id == item_id, Outbox.status.in_((PENDING, SENDING)))
            .values(
                status=FAILED,
                attempts=Outbox.attempts + 1,
                last_error=_error_text(error),
                claimed_by=None,
                claimed_until=None,
            )
            .execution_options(synchronize_session=False)
        )


async def mark_expired(session_factory: SessionFactory, item_id: int) -> None:
    """The row's moment passed while it waited: it is not sent."""
    async with _writing(session_factory) as session:
        await session.execute(
            update(Outbox)
            .where(Outbox.id == item_id, Outbox.status.in_((PENDING, SENDING)))
            .values(status=EXPIRED, claimed_by=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )


async def release(
    session_factory: SessionFactory,
    item_ids: Iterable[int],
    *,
    worker: str,
    not_before: datetime | None = None,
) -> int:
    """Hand claimed rows back unsent, without counting an attempt (optionally not before a time).

    Only rows still claimed by `worker` are touched; returns how many.
    """
    ids = list(item_ids)
    if not ids:
        return 0
    values: dict[str, Any] = {"status": PENDING, "claimed_by": None, "claimed_until": None}
    if not_before is not None:
        values["not_before"] = not_before
    async with _writing(session_factory) as session:
        result = await session.execute(
            update(Outbox)
            .where(Outbox.id.in_(ids), Outbox.status == SENDING, Outbox.claimed_by == worker)
            .values(values)
            .returning(Outbox.id)
            .execution_options(synchronize_session=False)
        )
        return len(result.all())
