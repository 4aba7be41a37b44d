"""Planned touches: create idempotently, close (done, skipped), snooze, and the cadence rules.

Shared by the logging journey (a saved interaction fulfils a touch and plans the next one) and
the planner (cadence, occasions, events, stale data).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import CategoryPolicy, Client, Contact, Interaction, Touch
from models.clients import DEFAULT_POLICIES
from models.enums import Category, Direction, TouchReason, TouchStatus

OPEN_STATUSES = (TouchStatus.PLANNED, TouchStatus.SNOOZED)


@dataclass(frozen=True)
class Policy:
    """A category's touch policy."""

    cadence_days: int
    max_touches_year: int
    reverify_days: int


async def policy_for(session: AsyncSession, category: Category) -> Policy:
    """The category's policy as stored (the defaults when the row is missing)."""
    row = await session.get(CategoryPolicy, category)
    if row is None:
        return Policy(*DEFAULT_POLICIES[category])
    return Policy(row.cadence_days, row.max_touches_year, row.reverify_days)


async def all_policies(session: AsyncSession) -> dict[Category, Policy]:
    """Every category's policy in one query (the defaults for a missing row)."""
    stored = {row.category: row for row in await session.scalars(select(CategoryPolicy))}
    return {
        category: (
            Policy(row.cadence_days, row.max_touches_year, row.reverify_days)
            if (row := stored.get(category)) is not None
            else Policy(*DEFAULT_POLICIES[category])
        )
        for category in Category
    }


async def plan_touch(
    session: AsyncSession,
    *,
    client: Client,
    due_on: date,
    reason: TouchReason,
    goal: str,
    dedupe_key: str,
    now: datetime,
    contact_id: int | None = None,
    draft_text: str | None = None,
    occasion_key: str | None = None,
    occasion_on: date | None = None,
    key_date_id: int | None = None,
    event_id: int | None = None,
) -> Touch:
    """Plan a touch for the client's owner; the same dedupe key never plans twice."""
    existing = await session.scalar(select(Touch).where(Touch.dedupe_key == dedupe_key))
    if existing is not None:
        return existing
    touch = Touch(
        client_id=client.id,
        member_id=client.owner_id,
        contact_id=contact_id,
        due_on=due_on,
        reason=reason,
        status=TouchStatus.PLANNED,
        goal=goal,
        draft_text=draft_text,
        occasion_key=occasion_key,
        occasion_on=occasion_on,
        key_date_id=key_date_id,
        event_id=event_id,
        dedupe_key=dedupe_key,
        created_at=now,
    )
    session.add(touch)
    await session.flush()
    return touch


async def open_touches(session: AsyncSession, client_id: int) -> list[Touch]:
    """The client's planned or snoozed touches, earliest first."""
    result = await session.scalars(
        select(Touch)
        .where(Touch.client_id == client_id, Touch.status.in_(OPEN_STATUSES))
        .order_by(Touch.due_on, Touch.id)
    )
    return list(result)


def close_touch(
    touch: Touch, status: TouchStatus, now: datetime, reason: str | None = None
) -> None:
    """Mark a touch done or skipped (with the reason given)."""
    touch.status = status
    touch.closed_at = now
    if reason is not None:
        touch.skip_reason = reason


async def reopen_unlogged(session: AsyncSession, touch_id: int) -> Touch | None:
    """Put a touch closed by «✅ Сделано» back into the plan when the contact it opened was
    cancelled unsaved: done without a logged interaction would be a hole in the timeline.

    Returns the touch reopened; None when it is open anyway, was skipped, or has an interaction.
    """
    touch = await session.get(Touch, touch_id)
    if touch is None or touch.status is not TouchStatus.DONE:
        return None
    logged = await session.scalar(
        select(func.count()).select_from(Interaction).where(Interaction.touch_id == touch.id)
    )
    if logged:
        return None
    touch.status = TouchStatus.PLANNED
    touch.closed_at = None
    return touch


def snooze_touch(touch: Touch, until: datetime, due_on: date) -> None:
    """Move a touch later: it comes back at `until`, on `due_on` in the client's calendar."""
    touch.status = TouchStatus.SNOOZED
    touch.snoozed_until = until
    touch.due_on = due_on
    # The time agreed for it no longer holds.
    touch.due_at = None


async def data_checks_carried_by(session: AsyncSession, touch: Touch, today: date) -> list[Touch]:
    """The client's due «проверить данные» touches that `touch` carries in today's plan (the
    digest folds a data check into the client's other due touch): they move when it is snoozed.

    None when `touch` is itself a data check, or when another due touch of the client stays in
    the plan to carry them.
    """
    if touch.reason is TouchReason.STALE_DATA:
        return []
    due = [
        other for other in await open_touches(session, touch.client_id) if other.due_on <= today
    ]
    if any(other.reason is not TouchReason.STALE_DATA and other.id != touch.id for other in due):
        return []
    return [other for other in due if other.reason is TouchReason.STALE_DATA]


async def same_call_riders(session: AsyncSession, touch: Touch, today: date) -> list[Touch]:
    """The client's other due touches listed under `touch` as made on its call (same person,
    no time agreed with the client, after it in the plan: `digest._same_call`): they move when
    it is snoozed. None when `touch` is itself listed under another one, or has a time agreed.
    """
    if touch.reason is TouchReason.STALE_DATA or touch.due_at is not None:
        return []
    # A touch without its own person is about the client's main contact, as the plan shows it.
    main = await session.scalar(
        select(Contact.id)
        .where(Contact.client_id == touch.client_id)
        .order_by(Contact.is_primary.desc(), Contact.id)
        .limit(1)
    )
    person = touch.contact_id or main
    others = [
        other
        for other in await open_touches(session, touch.client_id)
        if other.id != touch.id
        and other.due_on <= max(today, touch.due_on)
        and other.reason is not TouchReason.STALE_DATA
        and other.due_at is None
        and (other.contact_id or main) == person
    ]
    # `touch` itself may be closed already (by «✅ Сделано» before its log is saved).
    if any((other.due_on, other.id) < (touch.due_on, touch.id) for other in others):
        return []
    return others


async def outgoing_touches_in_year(session: AsyncSession, client_id: int, on: date) -> int:
    """Outgoing interactions in the 365 days before `on` (client-initiated ones don't count)."""
    since = datetime.combine(on - timedelta(days=365), time(0), tzinfo=UTC)
    count = await session.scalar(
        select(func.count())
        .select_from(Interaction)
        .where(
            Interaction.client_id == client_id,
            Interaction.direction == Direction.OUTGOING,
            Interaction.happened_at >= since,
        )
    )
    return count or 0


def too_soon(last_contact: date | None, proposed: date, cadence_days: int) -> bool:
    """Whether a touch on `proposed` comes sooner after the last contact than the category's
    cadence allows — the «слишком часто» warning."""
    if last_contact is None:
        return False
    return (proposed - last_contact).days < cadence_days
