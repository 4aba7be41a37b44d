"""The planner's clock jobs: daily planning, the morning digest, reminders, folding, blocks.

Every job is `async def job(now)`-shaped (see `planner_jobs`), opens its own transaction and
only writes outbox rows; the delivery job that runs after them in the same tick sends them.

- Digest: once a member's digest time has passed on their working day (their zone), one digest
  (split into parts when long) is enqueued under `digest:<member>:<local date>` and expires at
  the end of their working day, so after downtime today's missed digest still goes out — once.
- Reminders: each open touch due today, or overdue by at most `OVERDUE_REMINDER_DAYS` of the
  member's working days, gets one reminder a day at the first moment that lies inside both the
  client's calling window and the member's working hours (so never on a day off of either);
  it expires when that common interval ends. When the two never meet, nothing is pushed (the
  digest lists it). A time agreed with the client is the exception: the member agreed to it,
  so it is reminded shortly before it even on their day off or outside their hours. Keys
  `reminder:<touch>:<local date>` (plus `:z<HHMM>` after a snooze) make every run idempotent,
  across restarts too.
- Reminders whose window closed unsent (the bot was down) are marked `folded`: the next digest
  lists their touches with a note. Reminders of touches closed or moved meanwhile are cancelled.
- A member who blocked the bot (403) is deactivated and the heads are told. Inactive members get
  no digest and no reminder: the jobs read active members only, and the outbox sends nothing
  to an inactive member whoever enqueued it (scheduler/outbox.py).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, cast, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import translator
from bot.keyboards import planner as keyboards
from models import Client, Member, Outbox, Touch
from models.enums import Role, TouchReason
from scheduler import outbox
from scheduler.clock import NamedJob
from scheduler.delivery import BlockedHook
from scheduler.outbox import OutboxItem, SessionFactory
from services import planner, team, windows
from services.digest import (
    ClientView,
    Digest,
    TouchView,
    build_digests,
    client_schedule,
    day_bounds,
    describe_touch,
    esc,
    fold_data_checks,
    local_today,
    member_schedule,
    missed_working_days,
    open_touches_by_owner,
    render_digest,
    render_reminder,
    touch_contact,
)
from services.person_names import gender_of
from services.touches import OPEN_STATUSES, all_policies, same_call_riders

log = logging.getLogger(__name__)

DIGEST = "digest"
REMINDER = "reminder"
# A touch with an agreed time is reminded this long before it, and until this long after.
AGREED_TIME_NOTICE = timedelta(minutes=15)
AGREED_TIME_GRACE = timedelta(minutes=30)
NOTICE = "notice"
CANCELLED = outbox.CANCELLED
BLOCKED_ERROR = "TelegramForbiddenError"
BLOCKED_HANDLED = "TelegramForbiddenError: blocked; member deactivated"
# An overdue touch is pushed again on the member's next working days, then only the digest's
# overdue list carries it: a reminder a day for weeks is noise a manager learns to ignore.
# Working days, not calendar ones: a week-end or the New Year holidays must not use them up
# (a Friday touch was reminded once, on Monday, and one before the holidays never).
OVERDUE_REMINDER_DAYS = 3
# Members whose digests (or reminders) are read together: a handful of queries per batch
# instead of per member, the touches of a hundred members at most in memory.
MEMBERS_PER_BATCH = 100


# ---------------------------------------------------------------------------------------------
# Digest


def digest_key(member_id: int, day: date, part: int = 1) -> str:
    """The dedupe key of a digest (its first part), or of its later parts."""
    base = f"digest:{member_id}:{day.isoformat()}"
    return base if part == 1 else f"{base}:{part}"


def digest_expiry(member: Member, day: date) -> datetime:
    """When an unsent digest stops making sense: the end of the member's working day."""
    zone = ZoneInfo(member.timezone)
    if member.digest_time < member.work_end:
        return datetime.combine(day, member.work_end, tzinfo=zone)
    return day_bounds(day, zone)[1]


def digest_due(member: Member, now: datetime) -> date | None:
    """The member's local date when their digest is due now (time passed, working day, not
    yet expired), else None."""
    zone = ZoneInfo(member.timezone)
    local = now.astimezone(zone)
    today = local.date()
    if not windows.is_working_day(today, member_schedule(member)):
        return None
    if local.time() < member.digest_time or now >= digest_expiry(member, today):
        return None
    return today


async def _existing_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    if not keys:
        return set()
    result = await session.scalars(select(Outbox.dedupe_key).where(Outbox.dedupe_key.in_(keys)))
    return set(result)


async def _active_members(session: AsyncSession) -> list[Member]:
    result = await session.scalars(
        select(Member).where(Member.is_active.is_(True)).order_by(Member.id)
    )
    return list(result)


def digest_rows(member: Member, day: date, now: datetime, digest: Digest) -> list[dict[str, Any]]:
    """The outbox rows of the member's digest for `day`, a row per part (none: nothing to send)."""
    if digest.is_empty and member.role is Role.HEAD:
        # A head without clients of their own, whose team has nothing overdue or stale, has
        # nothing to read in the morning.
        return []
    parts = render_digest(
        digest,
        member.language,
        item_row=keyboards.digest_item_row,
        stale_row=keyboards.stale_row,
    )
    zone = ZoneInfo(member.timezone)
    # The digest's own moment, a second early: it goes before the reminders of that morning.
    moment = min(now, datetime.combine(day, member.digest_time, tzinfo=zone)) - timedelta(
        seconds=1
    )
    return [
        outbox.outbox_row(
            member=member,
            kind=DIGEST,
            dedupe_key=digest_key(member.id, day, number),
            payload=part.payload(),
            not_before=moment,
            expires_at=digest_expiry(member, day),
            now=now,
        )
        for number, part in enumerate(parts, start=1)
    ]


async def schedule_digests(session_factory: SessionFactory, now: datetime) -> int:
    """Enqueue today's digest of every active member whose digest time has passed; returns
    how many members got one. Idempotent: a digest row per member and local date."""
    sent = 0
    async with session_factory.begin() as session:
        due = [
            (member, day)
            for member in await _active_members(session)
            if (day := digest_due(member, now)) is not None
        ]
        existing = await _existing_keys(session, [digest_key(m.id, day) for m, day in due])
        waiting = [
            (member, day) for member, day in due if digest_key(member.id, day) not in existing
        ]
        policies = await all_policies(session)
        for start in range(0, len(waiting), MEMBERS_PER_BATCH):
            chunk = waiting[start : start + MEMBERS_PER_BATCH]
            digests = await build_digests(
                session, [member for member, _ in chunk], now, policies=policies
            )
            rows = []
            for member, day in chunk:
                parts = digest_rows(member, day, now, digests[member.id])
                rows.extend(parts)
                sent += bool(parts)
            # Keys taken meanwhile by another instance are skipped by the insert itself.
            await outbox.enqueue_many(session, rows)
    return sent


# ---------------------------------------------------------------------------------------------
# Reminders


@dataclass(frozen=True)
class ReminderSlot:
    """When a touch's reminder goes out and until when it makes sense, with its dedupe key."""

    dedupe_key: str
    not_before: datetime
    expires_at: datetime
    local_date: date


def reminder_key(touch: TouchView, day: date, zone: ZoneInfo) -> str:
    """`reminder:<touch>:<date>`; a touch snoozed to a time of that day adds `:z<HHMM>`, so
    the snoozed reminder is a new message while a rerun stays a no-op."""
    key = f"reminder:{touch.id}:{day.isoformat()}"
    if touch.snoozed_until is not None:
        snoozed = touch.snoozed_until.astimezone(zone)
        if snoozed.date() == day:
            key += f":z{snoozed:%H%M}"
    return key


def reminder_slot(
    touch: TouchView, client: ClientView, member: Member, now: datetime
) -> ReminderSlot | None:
    """The first moment from now (or from the snooze) when the client can be called and the
    member works, and the end of that interval; None when they never meet."""
    zone = ZoneInfo(member.timezone)
    if touch.due_at is not None and now < touch.due_at + AGREED_TIME_GRACE:
        # A time agreed with the client: shortly before it, whatever the windows say.
        not_before = max(now, touch.due_at - AGREED_TIME_NOTICE)
        day = not_before.astimezone(zone).date()
        return ReminderSlot(
            reminder_key(touch, day, zone), not_before, touch.due_at + AGREED_TIME_GRACE, day
        )
    since = now
    if touch.snoozed_until is not None and touch.snoozed_until > since:
        since = touch.snoozed_until
    interval = windows.first_common_interval(
        since, client_schedule(client, touch_contact(touch, client)), member_schedule(member)
    )
    if interval is None:
        return None
    day = interval[0].astimezone(zone).date()
    return ReminderSlot(reminder_key(touch, day, zone), interval[0], interval[1], day)


def reminder_row(
    touch: TouchView,
    client: ClientView,
    member: Member,
    now: datetime,
    *,
    only_on: date | None = None,
    check_data: bool = False,
    riders: Sequence[TouchView] = (),
    slot: ReminderSlot | None = None,
) -> tuple[ReminderSlot, dict[str, Any]] | None:
    """The touch's next reminder as an outbox row (only if it falls on `only_on`, when given);
    None when no reminder can be pushed (or not on that day). `check_data`: the reminder also
    asks to check the client's data; `riders`: the client's touches made on the same call,
    named under it («↳ в том же звонке: …»); `slot`: the touch's `reminder_slot`, when the
    caller has it already."""
    slot = slot or reminder_slot(touch, client, member, now)
    if slot is None or (only_on is not None and slot.local_date != only_on):
        return None
    zone = ZoneInfo(member.timezone)
    item = replace(
        describe_touch(touch, client, member, now, check_data=check_data),
        call_from=slot.not_before,
        call_until=slot.expires_at,
    )
    tr = translator(member.language)
    row = outbox.outbox_row(
        member=member,
        kind=REMINDER,
        dedupe_key=slot.dedupe_key,
        payload={
            "text": render_reminder(
                item,
                member.language,
                zone,
                riders=[describe_touch(rider, client, member, now) for rider in riders],
            ),
            "buttons": keyboards.reminder_rows(tr, touch.id, client.id),
        },
        not_before=slot.not_before,
        expires_at=slot.expires_at,
        now=now,
        touch_id=touch.id,
    )
    return slot, row


def first_reminder_slot(
    touch: Touch, client: Client, member: Member, now: datetime
) -> ReminderSlot | None:
    """When the reminder of a touch just moved will come: from now for a touch due today (or
    overdue), from the start of its day for one due later, as the daily reminders will queue
    it. None when the client's windows and the member's hours never meet."""
    zone = ZoneInfo(member.timezone)
    since = max(now, day_bounds(touch.due_on, zone)[0])
    return reminder_slot(TouchView.of(touch), ClientView.of(client), member, since)


async def enqueue_reminder(
    session: AsyncSession,
    touch: Touch,
    client: Client,
    member: Member,
    now: datetime,
    *,
    check_data: bool = False,
    riders: Sequence[Touch] = (),
) -> ReminderSlot | None:
    """Enqueue the touch's next reminder (naming the touches made on the same call, `riders`);
    its slot, or None when none can be pushed."""
    reminder = reminder_row(
        TouchView.of(touch),
        ClientView.of(client),
        member,
        now,
        check_data=check_data,
        riders=[TouchView.of(rider) for rider in riders],
    )
    if reminder is None:
        return None
    await outbox.enqueue_many(session, [reminder[1]])
    return reminder[0]


async def hold_todays_reminders(
    session: AsyncSession, touches: Sequence[Touch], member: Member, now: datetime
) -> None:
    """No reminder today for these touches: the call they were made on was just logged, and
    a ping about the same client a minute later is noise. Their day's keys are taken by rows
    that are never sent; the touches stay in the plan, reminded again from tomorrow."""
    if not touches:
        return
    zone = ZoneInfo(member.timezone)
    today = local_today(member, now)
    await cancel_reminders_of(session, [touch.id for touch in touches])
    rows = [
        {
            **outbox.outbox_row(
                member=member,
                kind=REMINDER,
                dedupe_key=reminder_key(TouchView.of(touch), today, zone),
                payload={"text": "—"},
                not_before=now,
                expires_at=now,
                now=now,
                touch_id=touch.id,
            ),
            "status": CANCELLED,
        }
        for touch in touches
    ]
    await outbox.enqueue_many(session, rows)


async def release_held_reminders(
    session: AsyncSession, touches: Sequence[Touch], member: Member, now: datetime
) -> None:
    """The calls of these touches were not logged after all (the log was cancelled, the
    touches are back in the plan): the touches made on the same calls, held for today by
    `hold_todays_reminders`, give their day's keys back and ride with the call's next
    reminder again."""
    zone = ZoneInfo(member.timezone)
    today = local_today(member, now)
    keys = [
        reminder_key(TouchView.of(rider), today, zone)
        for touch in touches
        for rider in await same_call_riders(session, touch, today)
    ]
    if keys:
        await session.execute(
            update(Outbox)
            .where(
                Outbox.dedupe_key.in_(keys),
                Outbox.kind == REMINDER,
                Outbox.status == CANCELLED,
            )
            .values(dedupe_key=_RELEASED_ON_CANCEL)
            .execution_options(synchronize_session=False)
        )


async def cancel_reminders(session: AsyncSession, touch_id: int) -> int:
    """Cancel the touch's reminders not sent yet (it was done, skipped or moved)."""
    return await cancel_reminders_of(session, [touch_id])


# A cancelled reminder gives its day's key back (`:c<row id>` appended): a touch moved away
# and back to that day (tomorrow, then today again) must get the day's reminder again. Only
# an open touch due that day is reminded, so a done or moved touch gets nothing twice.
_RELEASED_ON_CANCEL = Outbox.dedupe_key + ":c" + cast(Outbox.id, String)


async def cancel_reminders_of(session: AsyncSession, touch_ids: Sequence[int]) -> int:
    """Cancel the pending reminders of several touches in one statement; returns how many."""
    if not touch_ids:
        return 0
    result = await session.execute(
        update(Outbox)
        .where(
            Outbox.touch_id.in_(list(touch_ids)),
            Outbox.kind == REMINDER,
            Outbox.status == outbox.PENDING,
        )
        .values(status=CANCELLED, dedupe_key=_RELEASED_ON_CANCEL)
        .returning(Outbox.id)
        .execution_options(synchronize_session=False)
    )
    return len(result.all())


async def replan_reminders(session: AsyncSession, member: Member, now: datetime) -> int:
    """Recompute the member's reminders not sent yet after their time zone, working hours,
    working days or language changed: each moves to the new first common moment (and is
    re-rendered), or is cancelled when the client's window no longer meets the member's day.
    Returns how many rows changed.

    A reminder whose day changes gets that day's key, so the daily run does not add a second.
    """
    pending = list(
        await session.scalars(
            select(Outbox).where(
                Outbox.member_id == member.id,
                Outbox.kind == REMINDER,
                Outbox.status == outbox.PENDING,
                Outbox.touch_id.is_not(None),
            )
        )
    )
    if not pending:
        return 0
    today = local_today(member, now)
    horizon = max(today, *(row.not_before.astimezone(UTC).date() for row in pending))
    touches = (
        await open_touches_by_owner(session, [member.id], due_until=horizon + timedelta(days=1))
    )[member.id]
    views = {touch.id: (touch, client) for touch, client in touches}
    carrying = {
        touch.id
        for touch, _, _, check_data in _reminders_due(member, today, touches)
        if check_data
    }
    reminded = {row.touch_id for row in pending}
    new_rows = []
    for row in pending:
        found = views.get(row.touch_id or 0)
        reminder = None
        if found is not None:
            # The touches made on the same call keep riding with it, named in its message.
            touch = await session.get(Touch, found[0].id)
            riders = [
                TouchView.of(rider)
                for rider in (await same_call_riders(session, touch, today) if touch else [])
                if rider.id not in reminded
            ]
            reminder = reminder_row(
                *found, member, now, check_data=row.touch_id in carrying, riders=riders
            )
        if reminder is not None and reminder[0].dedupe_key == row.dedupe_key:
            values = {key: reminder[1][key] for key in ("payload", "not_before", "expires_at")}
        else:
            values = {"status": CANCELLED}
            if reminder is not None:
                new_rows.append(reminder[1])
        await session.execute(
            update(Outbox)
            .where(Outbox.id == row.id, Outbox.status == outbox.PENDING)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    await outbox.enqueue_many(session, new_rows)
    return len(pending)


async def hand_reminders_over(
    session: AsyncSession, touch_ids: Sequence[int], new_owner: Member, now: datetime
) -> int:
    """After a handover: the touches' reminders move to the new owner. Returns how many of
    today's reminders were queued for them.

    The previous owner's unsent reminders are cancelled, and the day's keys of their reminders
    (sent ones included) are released with a `:h<row id>` suffix, so the new owner gets today's
    reminder of each touch due now, queued at once in the handover's transaction, instead of
    nothing until tomorrow.
    """
    if not touch_ids:
        return 0
    ids = list(touch_ids)
    released_key = Outbox.dedupe_key + ":h" + cast(Outbox.id, String)
    of_these = and_(Outbox.touch_id.in_(ids), Outbox.kind == REMINDER)
    await session.execute(
        update(Outbox)
        .where(of_these, Outbox.status == outbox.PENDING)
        .values(status=CANCELLED, dedupe_key=released_key)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Outbox)
        .where(
            of_these,
            Outbox.member_id != new_owner.id,
            Outbox.status != outbox.SENDING,
            ~Outbox.dedupe_key.contains(":h"),
        )
        .values(dedupe_key=released_key)
        .execution_options(synchronize_session=False)
    )
    await session.flush()
    today = local_today(new_owner, now)
    touches = await open_touches_by_owner(session, [new_owner.id], due_until=today)
    moved = set(ids)
    due = [
        (new_owner, touch, client, key, check_data)
        for touch, client, key, check_data in _reminders_due(
            new_owner, today, touches[new_owner.id]
        )
        if touch.id in moved
    ]
    rows = await _call_reminders(session, due, {new_owner.id: today}, now)
    await outbox.enqueue_many(session, rows)
    return len(rows)


def _day_is_over(member: Member, now: datetime) -> bool:
    """No working moment of the member is left today (or today is a day off)."""
    zone = ZoneInfo(member.timezone)
    today = now.astimezone(zone).date()
    if not windows.is_working_day(today, member_schedule(member)):
        return True
    return now >= datetime.combine(today, member.work_end, tzinfo=zone)


async def schedule_reminders(session_factory: SessionFactory, now: datetime) -> int:
    """Enqueue today's reminders of open touches due today or overdue; returns how many.

    A member whose working day is over (or who has a day off) gets only the reminders of times
    agreed with clients for today: they agreed to those, so the reminder comes 15 minutes
    before whatever their hours; an ordinary touch never wakes anyone.

    Idempotent per touch and local date: reruns, restarts and several instances add nothing.
    """
    enqueued = 0
    async with session_factory.begin() as session:
        members = await _active_members(session)
        at_work = [member for member in members if not _day_is_over(member, now)]
        off_duty = [member for member in members if _day_is_over(member, now)]
        for group, agreed_only in ((at_work, False), (off_duty, True)):
            for start in range(0, len(group), MEMBERS_PER_BATCH):
                chunk = group[start : start + MEMBERS_PER_BATCH]
                enqueued += await _enqueue_reminders(session, chunk, now, agreed_only=agreed_only)
    return enqueued


async def _enqueue_reminders(
    session: AsyncSession, members: Sequence[Member], now: datetime, *, agreed_only: bool
) -> int:
    """Today's reminders of these members' touches (`agreed_only`: of today's touches with an
    agreed time, all an off-duty member gets); returns how many were enqueued."""
    todays = {member.id: local_today(member, now) for member in members}
    touches = await open_touches_by_owner(
        session,
        list(todays),
        due_until=max(todays.values()),
        # Off duty, only today's agreed times are reminded: the backlog is not read at all.
        due_from=min(todays.values()) if agreed_only else None,
        agreed_only=agreed_only,
    )
    due = [
        (member, touch, client, key, check_data)
        for member in members
        for touch, client, key, check_data in _reminders_due(
            member, todays[member.id], touches[member.id]
        )
    ]
    rows = await _call_reminders(session, due, todays, now)
    await outbox.enqueue_many(session, rows)
    return len(rows)


async def _call_reminders(
    session: AsyncSession,
    due: Sequence[tuple[Member, TouchView, ClientView, str, bool]],
    todays: Mapping[int, date],
    now: datetime,
) -> list[dict[str, Any]]:
    """The reminder rows of touches due a reminder today (member, touch, client, today's key,
    whether it carries a data check): one per call, naming the touches made on it."""
    existing = await _existing_keys(session, [due_item[3] for due_item in due])
    calls: dict[tuple[int, int, int | None, datetime] | int, list[_Due]] = defaultdict(list)
    for member, touch, client, key, check_data in due:
        slot = reminder_slot(touch, client, member, now)
        if slot is None or slot.local_date != todays[member.id]:
            continue
        contact = touch_contact(touch, client)
        # Touches of one client and person reminded at one moment are one call: one message.
        # A time agreed with the client keeps a reminder of its own.
        call = (
            touch.id
            if touch.due_at is not None
            else (member.id, client.id, contact.id if contact else None, slot.not_before)
        )
        calls[call].append(_Due(member, touch, client, check_data, slot, queued=key in existing))
    rows: list[dict[str, Any]] = []
    for carrier, *riders in calls.values():
        if carrier.queued:
            # The call's message is out already; the others ride along with it. Once it is
            # closed, the next of them carries the rest in a message of its own.
            continue
        reminder = reminder_row(
            carrier.touch,
            carrier.client,
            carrier.member,
            now,
            check_data=carrier.check_data or any(rider.check_data for rider in riders),
            riders=[rider.touch for rider in riders if not rider.queued],
            slot=carrier.slot,
        )
        if reminder is not None:
            rows.append(reminder[1])
    return rows


@dataclass(frozen=True)
class _Due:
    """A touch due a reminder now, with what its message needs."""

    member: Member
    touch: TouchView
    client: ClientView
    check_data: bool
    slot: ReminderSlot
    # Its reminder for today is queued (or sent) already.
    queued: bool


def _reminders_due(
    member: Member, today: date, touches: Sequence[tuple[TouchView, ClientView]]
) -> list[tuple[TouchView, ClientView, str, bool]]:
    """The member's open touches that get a reminder today (due today or a few days overdue,
    not snoozed past today), with today's reminder key and whether the reminder also asks to
    check the client's data (a data check folded into another touch, as in the digest)."""
    zone = ZoneInfo(member.timezone)
    schedule = member_schedule(member)

    def recent(due_on: date) -> bool:
        return missed_working_days(due_on, today, schedule) <= OVERDUE_REMINDER_DAYS

    # Folded over everything due, as the digest does; a touch too overdue for a reminder of
    # its own still gets one when it carries a data check that is not.
    due, checking_data = fold_data_checks(
        [
            (touch, client)
            for touch, client in touches
            if touch.due_on <= today
            and (touch.snoozed_until is None or touch.snoozed_until < day_bounds(today, zone)[1])
        ]
    )
    fresh_checks = {
        touch.client_id
        for touch, _ in touches
        if touch.reason is TouchReason.STALE_DATA
        and touch.due_on <= today
        and recent(touch.due_on)
    }
    return [
        (touch, client, reminder_key(touch, today, zone), touch.id in checking_data)
        for touch, client in due
        if recent(touch.due_on) or (touch.id in checking_data and touch.client_id in fresh_checks)
    ]


async def fold_and_cancel(session_factory: SessionFactory, now: datetime) -> tuple[int, int]:
    """Fold reminders whose window closed unsent; cancel those of closed or moved touches.

    Returns (folded, cancelled).
    """
    async with session_factory.begin() as session:
        folded = await session.execute(
            update(Outbox)
            .where(
                Outbox.kind == REMINDER,
                or_(
                    Outbox.status == outbox.EXPIRED,
                    and_(
                        Outbox.status == outbox.PENDING,
                        Outbox.expires_at.is_not(None),
                        Outbox.expires_at < now,
                    ),
                ),
            )
            .values(status=outbox.FOLDED)
            .returning(Outbox.id)
            .execution_options(synchronize_session=False)
        )
        folded_count = len(folded.all())
        rows = await session.execute(
            select(Outbox.id, Outbox.not_before, Touch, Member.timezone)
            .join(Member, Member.id == Outbox.member_id)
            .outerjoin(Touch, Touch.id == Outbox.touch_id)
            .where(Outbox.kind == REMINDER, Outbox.status == outbox.PENDING)
        )
        obsolete = [
            row_id
            for row_id, not_before, touch, timezone in rows.all()
            if touch is None
            or touch.status not in OPEN_STATUSES
            or (touch.snoozed_until is not None and touch.snoozed_until > not_before)
            or touch.due_on > not_before.astimezone(ZoneInfo(timezone)).date()
        ]
        if obsolete:
            await session.execute(
                update(Outbox)
                .where(Outbox.id.in_(obsolete), Outbox.status == outbox.PENDING)
                .values(status=CANCELLED, dedupe_key=_RELEASED_ON_CANCEL)
                .execution_options(synchronize_session=False)
            )
    if folded_count or obsolete:
        log.info("reminders: folded=%d cancelled=%d", folded_count, len(obsolete))
    return folded_count, len(obsolete)


# ---------------------------------------------------------------------------------------------
# Members who blocked the bot


def next_working_moment(member: Member, now: datetime) -> datetime:
    """Now if the member is at work, else when their next working day starts."""
    own = member_schedule(member)
    moment = windows.first_common_moment(now, own, own, horizon_days=31)
    return moment if moment is not None else now


async def deactivate_blocked_member(
    session_factory: SessionFactory, member_id: int, now: datetime
) -> bool:
    """Deactivate a member who blocked the bot and tell the active heads; False if already done."""
    # Called from inside a delivery run: the write takes its turn with the sender's writes (on
    # SQLite two interleaved transactions would fail, or roll each other back in memory).
    async with outbox.writing(session_factory) as session:
        member = await session.get(Member, member_id)
        await session.execute(
            update(Outbox)
            .where(
                Outbox.member_id == member_id,
                Outbox.status == outbox.FAILED,
                Outbox.last_error.startswith(BLOCKED_ERROR),
            )
            .values(last_error=BLOCKED_HANDLED)
            .execution_options(synchronize_session=False)
        )
        if member is None or not member.is_active:
            return False
        member.is_active = False
        member.deactivated_at = now
        await session.flush()
        await outbox.cancel_for_member(session, member.id)
        for head in await team.active_heads(session):
            tr = translator(head.language)
            await outbox.enqueue(
                session,
                outbox.outbox_row(
                    member=head,
                    kind=NOTICE,
                    dedupe_key=f"blocked:{member.id}:{head.id}:{now:%Y%m%dT%H%M}",
                    payload={
                        "text": tr(
                            "planner.blocked_member",
                            name=esc(member.full_name),
                            gender=gender_of(member.full_name),
                        )
                    },
                    not_before=next_working_moment(head, now),
                    now=now,
                ),
            )
    log.warning("member %d blocked the bot: deactivated", member_id)
    return True


def blocked_hook(session_factory: SessionFactory) -> BlockedHook:
    """The delivery layer's `on_blocked`: deactivate the member and tell the heads."""

    async def on_blocked(item: OutboxItem, now: datetime) -> None:
        await deactivate_blocked_member(session_factory, item.member_id, now)

    return on_blocked


async def handle_blocked_members(session_factory: SessionFactory, now: datetime) -> int:
    """Catch 403s the hook didn't see (another instance, a crash): scan failed rows."""
    async with session_factory() as session:
        result = await session.scalars(
            select(Outbox.member_id)
            .where(
                Outbox.status == outbox.FAILED,
                Outbox.last_error.startswith(BLOCKED_ERROR),
                Outbox.last_error != BLOCKED_HANDLED,
            )
            .distinct()
        )
        member_ids = list(result)
    handled = 0
    for member_id in member_ids:
        handled += await deactivate_blocked_member(session_factory, member_id, now)
    return handled


# ---------------------------------------------------------------------------------------------
# Planning and the job list


class DailyPlanning:
    """Runs the planner's sweep at start-up and once a day per member zone, after its midnight
    (before that zone's digests); the sweep itself is idempotent."""

    def __init__(self, session_factory: SessionFactory) -> None:
        self.session_factory = session_factory
        self.planned: set[tuple[str, date]] = set()

    async def run(self, now: datetime) -> None:
        """Plan if a member zone has started a new day since the last sweep."""
        async with self.session_factory() as session:
            zones = set(
                await session.scalars(
                    select(Member.timezone).where(Member.is_active.is_(True)).distinct()
                )
            )
        days = {(zone, now.astimezone(ZoneInfo(zone)).date()) for zone in zones}
        if days <= self.planned:
            return
        async with self.session_factory.begin() as session:
            report = await planner.plan_all(session, now)
        self.planned |= days
        log.info("daily planning: %s", report)


def planner_jobs(session_factory: SessionFactory) -> list[NamedJob]:
    """The planner's clock jobs in tick order (delivery goes after them)."""
    planning = DailyPlanning(session_factory)

    async def fold(now: datetime) -> None:
        await fold_and_cancel(session_factory, now)

    async def digests(now: datetime) -> None:
        await schedule_digests(session_factory, now)

    async def reminders(now: datetime) -> None:
        await schedule_reminders(session_factory, now)

    async def blocked(now: datetime) -> None:
        await handle_blocked_members(session_factory, now)

    return [
        NamedJob("planning", planning.run),
        NamedJob("reminders:fold", fold),
        NamedJob("digests", digests),
        NamedJob("reminders", reminders),
        NamedJob("blocked members", blocked),
    ]
