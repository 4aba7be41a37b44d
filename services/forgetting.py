"""/forget: erase a client's personal data on request, and every stored text that names it.

The client's own rows lose their texts (counts stay for statistics). Elsewhere the base keeps
free text that can name the client too: the searches in the audit trail, the messages in the
outbox (reminders, digests, notices — sent or waiting), half-finished dialogues. Those that name
it are erased as well; what names other clients stays.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from html import escape
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Attachment,
    AuditEntry,
    ChangeLog,
    Contact,
    ConversationState,
    Deal,
    Interaction,
    KeyDate,
    Member,
    Outbox,
    OwnerHistory,
    Touch,
)
from models.enums import Role, TouchStatus
from scheduler import outbox
from services import access, audit, validation
from services.clients import ClientTrace, client_trace, query_names_client
from services.touches import OPEN_STATUSES, reopen_unlogged

ERASED = "—"
SEARCH = "search"
# Shorter texts («Ян», «12») would match unrelated messages: a name that short is not searched
# for in stored messages (a query naming the client is still matched the search's way).
NEEDLE_MIN = 4
# An erased stored message: its text, and nothing to press.
ERASED_PAYLOAD: dict[str, Any] = {"text": ERASED, "erased": True}
DIGEST = "digest"
STREAM_BATCH = 500


async def forget_client(session: AsyncSession, head: Member, client_id: int, now: datetime) -> str:
    """Erase a client's personal data on request (heads only); returns the name it had.

    Counts stay for statistics: the client row (category, industry, stage, owner), interactions
    (channel, outcome, when, who) and touches (status, dates) are kept, their texts erased.
    Contacts, key dates, attachments and the change log go; the client disappears from every list;
    the searches, messages and dialogues that named it lose what they said.
    """
    if head.role is not Role.HEAD:
        raise PermissionError("forget is for heads")
    client = await access.client_for(session, head, client_id, now=now)
    trace = await client_trace(session, client)
    touch_ids = list(await session.scalars(select(Touch.id).where(Touch.client_id == client.id)))
    former_name = client.name
    interaction_ids = select(Interaction.id).where(Interaction.client_id == client.id)
    await session.execute(delete(Attachment).where(Attachment.interaction_id.in_(interaction_ids)))
    await session.execute(
        update(Interaction)
        .where(Interaction.client_id == client.id)
        .values(goal=ERASED, result=ERASED, notes=None, next_step=None, contact_id=None)
    )
    await session.execute(
        update(Touch)
        .where(Touch.client_id == client.id, Touch.status.in_(OPEN_STATUSES))
        .values(status=TouchStatus.SKIPPED, skip_reason="forgotten", closed_at=now)
    )
    await session.execute(
        update(Touch)
        .where(Touch.client_id == client.id)
        .values(goal=ERASED, draft_text=None, contact_id=None)
    )
    await session.execute(
        update(Deal).where(Deal.client_id == client.id).values(title=ERASED, goods_location=None)
    )
    await session.execute(
        update(OwnerHistory).where(OwnerHistory.client_id == client.id).values(note=None)
    )
    for model in (KeyDate, ChangeLog, Contact):
        await session.execute(delete(model).where(model.client_id == client.id))
    client.name = f"#{client.id}"
    client.inn = None
    client.city = None
    client.notes = None
    client.preferences = None
    client.tags = []
    client.forgotten_at = now
    client.updated_at = now
    await erase_searches(session, trace)
    await erase_messages(session, touch_ids, needles(trace))
    await erase_dialogues(session, client.id, needles(trace))
    await audit.record(session, member=head, action="forget", now=now, client_id=client.id)
    await session.flush()
    session.expire(client, ["contacts"])
    return former_name


def needles(trace: ClientTrace) -> frozenset[str]:
    """The strings whose presence in a stored message means it names the client: its name,
    INN, its people's full names, phones and e-mails, as typed and HTML-escaped as the bot
    renders them, case-folded. A one-word contact name («Анна») would match other people's
    messages: the client's name, phones and e-mails catch the messages about that person."""
    raw = [
        trace.name,
        trace.inn or "",
        *(name for name in trace.contact_names if len(name.split()) > 1),
        *trace.phones,
        # As messages show them: «+7 913 555-01-42».
        *(validation.format_phone(phone) for phone in trace.phones),
        *trace.emails,
    ]
    found = set()
    for typed in raw:
        text = typed.strip()
        if len(text) < NEEDLE_MIN:
            continue
        found.add(text.casefold())
        found.add(escape(text, quote=False).casefold())
    return frozenset(found)


def names_any(value: object, wanted: frozenset[str]) -> bool:
    """Whether a stored JSON value (a message's payload, a dialogue's data) holds one of the
    needles in any of its strings."""
    if isinstance(value, str):
        folded = value.casefold()
        return any(needle in folded for needle in wanted)
    if isinstance(value, Mapping):
        return any(names_any(item, wanted) for item in value.values())
    if isinstance(value, list):
        return any(names_any(item, wanted) for item in value)
    return False


async def erase_searches(session: AsyncSession, trace: ClientTrace) -> int:
    """Erase the typed query of every search that named the client or found it; returns how
    many. Searches naming other clients stay as they were."""
    result = await session.stream(
        select(AuditEntry.id, AuditEntry.details)
        .where(AuditEntry.action == SEARCH)
        .execution_options(yield_per=STREAM_BATCH)
    )
    erased: dict[int, dict[str, Any]] = {}
    async for entry_id, details in result:
        facts = dict(details or {})
        query = facts.get("query")
        if not isinstance(query, str) or facts.get("erased"):
            continue
        found = facts.get("found")
        if (isinstance(found, list) and trace.client_id in found) or query_names_client(
            query, trace
        ):
            erased[entry_id] = {**facts, "query": ERASED, "erased": True}
    if erased:
        # One executemany by primary key, not an UPDATE per entry.
        await session.execute(
            update(AuditEntry),
            [{"id": entry_id, "details": facts} for entry_id, facts in erased.items()],
        )
    return len(erased)


async def erase_messages(
    session: AsyncSession, touch_ids: list[int], wanted: frozenset[str]
) -> int:
    """Erase the stored messages about the client; returns how many.

    Its touches' reminders, and any other message whose text names it (a digest, a handover
    notice): a message not sent yet is not sent — a digest is queued afresh by the next
    scheduler run, without the client, its key released — and every such row keeps only «—».
    """
    touches = set(touch_ids)
    result = await session.stream(
        select(Outbox.id, Outbox.kind, Outbox.status, Outbox.dedupe_key, Outbox.touch_id)
        .add_columns(Outbox.payload)
        .execution_options(yield_per=STREAM_BATCH)
    )
    found: list[tuple[int, str, str, str]] = []
    async for row_id, kind, status, key, touch_id, payload in result:
        if (payload or {}).get("erased"):
            continue
        if touch_id in touches or names_any(payload, wanted):
            found.append((row_id, kind, status, key))
    changes: list[dict[str, Any]] = []
    for row_id, kind, status, key in found:
        values: dict[str, Any] = {"id": row_id, "payload": dict(ERASED_PAYLOAD)}
        if status == outbox.PENDING:
            values["status"] = outbox.CANCELLED
            if kind == DIGEST:
                # The day's digest is queued again without the client: its key must be free.
                values["dedupe_key"] = f"{key}:f{row_id}"
        changes.append(values)
    if changes:
        # By primary key, batched per set of columns: not an UPDATE per message.
        await session.execute(update(Outbox), changes)
    return len(found)


async def erase_dialogues(session: AsyncSession, client_id: int, wanted: frozenset[str]) -> int:
    """End the half-finished dialogues about the client (a log being written, a search to
    create it): their drafts go. Returns how many."""
    ended = [
        row
        for row in await session.scalars(select(ConversationState))
        if _mentions_client(row.data or {}, client_id) or names_any(row.data, wanted)
    ]
    for row in ended:
        # A draft about another client that only mentioned this one may hold a touch closed
        # by «✅ Сделано»: ended unsaved, that touch goes back into the plan, as on any reset.
        for touch_id in sorted(_touch_ids(row.data or {})):
            touch = await session.get(Touch, touch_id)
            if touch is not None and touch.client_id != client_id:
                await reopen_unlogged(session, touch_id)
        await session.delete(row)
    return len(ended)


def _touch_ids(value: object) -> set[int]:
    """The touch ids a dialogue's drafts hold (`touch_id` keys, at any depth)."""
    if isinstance(value, Mapping):
        found = {item for key, item in value.items() if key == "touch_id" and type(item) is int}
        for item in value.values():
            found |= _touch_ids(item)
        return found
    if isinstance(value, list):
        return set().union(*(_touch_ids(item) for item in value))
    return set()


def _mentions_client(value: object, client_id: int) -> bool:
    """Whether a dialogue's data holds this client's id under a `client_id` key, at any depth."""
    if isinstance(value, Mapping):
        return any(
            (key == "client_id" and item == client_id) or _mentions_client(item, client_id)
            for key, item in value.items()
        )
    if isinstance(value, list):
        return any(_mentions_client(item, client_id) for item in value)
    if isinstance(value, str) and value.startswith(("{", "[")):
        # A draft kept as a JSON string inside the data.
        try:
            return _mentions_client(json.loads(value), client_id)
        except ValueError:
            return False
    return False
