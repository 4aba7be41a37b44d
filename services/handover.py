"""Pipeline handover: a client moves to another member and/or the next stage, with a note.

A head may move any client to any active member and any stage; an owner may hand their own
client over only to the next stage (acquisition → sale → account). The owner history keeps the
trail; the client's open touches follow the client (an invitation is worded anew for the new
owner: the event's start on their clock; a goal the planner wrote is put in the new owner's
language, a typed one kept); access is by owner, so the previous owner loses the
client at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import ChangeLog, Client, Member, OwnerHistory, Touch
from models.enums import Role, Stage
from services import access, audit, planner
from services.touches import OPEN_STATUSES

PIPELINE = (Stage.ACQUISITION, Stage.SALE, Stage.ACCOUNT)
NOTE_LIMIT = 1000


class HandoverError(Exception):
    """The handover is not allowed; `reason` is a locale key suffix."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class HandoverDone:
    """What changed: for the notices and the reply."""

    client: Client
    previous_owner: Member | None
    new_owner: Member
    from_stage: Stage
    to_stage: Stage
    note: str | None
    moved_touches: int
    # The owner-history line of this handover: it names the notices about it.
    history_id: int


def next_stage(stage: Stage) -> Stage | None:
    """The following pipeline stage, None after account management."""
    position = PIPELINE.index(stage)
    return PIPELINE[position + 1] if position + 1 < len(PIPELINE) else None


def allowed_stages(actor: Member, client: Client) -> list[Stage]:
    """The stages the actor may move the client to."""
    if actor.role is Role.HEAD:
        return list(PIPELINE)
    following = next_stage(client.stage)
    return [following] if following is not None else []


async def client_to_hand_over(
    session: AsyncSession, actor: Member, client_id: int, now: datetime
) -> Client:
    """The client if the actor may hand it over: a head any, a manager their own before the end."""
    client = await access.client_for(session, actor, client_id, now=now)
    if not allowed_stages(actor, client):
        raise HandoverError("last_stage")
    return client


async def candidates(session: AsyncSession, actor: Member, client: Client) -> list[Member]:
    """Active members the client may go to (an owner may not hand it to themselves)."""
    members = await session.scalars(
        select(Member).where(Member.is_active.is_(True)).order_by(Member.full_name, Member.id)
    )
    if actor.role is Role.HEAD:
        return list(members)
    return [member for member in members if member.id != actor.id]


async def _target(session: AsyncSession, member_id: int) -> Member:
    member = await session.get(Member, member_id)
    if member is None or not member.is_active:
        raise HandoverError("member_gone")
    return member


async def check(
    session: AsyncSession,
    actor: Member,
    client_id: int,
    to_member_id: int,
    to_stage: Stage,
    now: datetime,
) -> tuple[Client, Member]:
    """Validate a handover without changing anything; raises AccessDeniedError or HandoverError."""
    client = await client_to_hand_over(session, actor, client_id, now)
    target = await _target(session, to_member_id)
    if to_stage not in allowed_stages(actor, client):
        raise HandoverError("stage_not_allowed")
    if actor.role is not Role.HEAD and target.id == actor.id:
        raise HandoverError("same_owner")
    if target.id == client.owner_id and to_stage is client.stage:
        raise HandoverError("nothing_changes")
    return client, target


async def hand_over(
    session: AsyncSession,
    actor: Member,
    client_id: int,
    to_member_id: int,
    to_stage: Stage,
    note: str | None,
    now: datetime,
) -> HandoverDone:
    """Move the client: owner, stage, open touches, owner history and the audit entry."""
    client, target = await check(session, actor, client_id, to_member_id, to_stage, now)
    note = (note or "").strip()[:NOTE_LIMIT] or None
    previous = await session.get(Member, client.owner_id)
    from_stage = client.stage
    history = OwnerHistory(
        client_id=client.id,
        from_member_id=client.owner_id,
        to_member_id=target.id,
        from_stage=from_stage,
        to_stage=to_stage,
        note=note,
        by_member_id=actor.id,
        at=now,
    )
    session.add(history)
    client.owner_id = target.id
    client.stage = to_stage
    client.updated_at = now
    _log_on_card(session, client, actor, previous, target, from_stage, now)
    moved = await session.execute(
        update(Touch)
        .where(Touch.client_id == client.id, Touch.status.in_(OPEN_STATUSES))
        .values(member_id=target.id)
        .returning(Touch.id)
        .execution_options(synchronize_session=False)
    )
    moved_ids = list(moved.scalars())
    await planner.reword_invitations(session, target, moved_ids)
    await planner.reword_generated_goals(session, target, moved_ids)
    await _hand_reminders_over(session, moved_ids, target, now)
    await audit.record(
        session,
        member=actor,
        action="handover",
        now=now,
        client_id=client.id,
        from_member=previous.id if previous is not None else None,
        to_member=target.id,
        from_stage=from_stage.value,
        to_stage=to_stage.value,
    )
    await session.flush()
    return HandoverDone(
        client=client,
        previous_owner=previous,
        new_owner=target,
        from_stage=from_stage,
        to_stage=to_stage,
        note=note,
        moved_touches=len(moved_ids),
        history_id=history.id,
    )


@dataclass(frozen=True)
class BaseHandoverDone:
    """A whole base moved from one member to another."""

    previous_owner: Member
    new_owner: Member
    clients: int
    moved_touches: int
    # The first owner-history line of the move: it names the notices about it.
    history_id: int


async def clients_owned(session: AsyncSession, member_id: int) -> int:
    """How many clients a member owns (a deactivated member's base waits for a new owner)."""
    count = await session.scalar(
        select(func.count()).select_from(Client).where(Client.owner_id == member_id)
    )
    return count or 0


async def waiting_bases(session: AsyncSession) -> dict[int, int]:
    """Deactivated members who still own clients: member id → how many."""
    rows = await session.execute(
        select(Client.owner_id, func.count())
        .join(Member, Member.id == Client.owner_id)
        .where(Member.is_active.is_(False))
        .group_by(Client.owner_id)
    )
    return {int(owner_id): int(count) for owner_id, count in rows.all()}


async def hand_over_base(
    session: AsyncSession,
    actor: Member,
    from_member_id: int,
    to_member_id: int,
    now: datetime,
) -> BaseHandoverDone:
    """A head moves every client of one member to another, each keeping its stage.

    Used when a manager leaves: one owner-history line per client and one audit entry for the
    move (who, to whom, how many, which clients); the open touches follow their clients,
    pending reminders to the previous owner are cancelled and the new owner gets today's.
    """
    if actor.role is not Role.HEAD:
        raise HandoverError("head_only")
    previous = await session.get(Member, from_member_id)
    if previous is None:
        raise HandoverError("member_gone")
    target = await _target(session, to_member_id)
    if target.id == previous.id:
        raise HandoverError("same_owner")
    clients = list(
        await session.scalars(
            select(Client).where(Client.owner_id == previous.id).order_by(Client.id)
        )
    )
    if not clients:
        raise HandoverError("no_clients")
    histories = [
        OwnerHistory(
            client_id=client.id,
            from_member_id=previous.id,
            to_member_id=target.id,
            from_stage=client.stage,
            to_stage=client.stage,
            note=None,
            by_member_id=actor.id,
            at=now,
        )
        for client in clients
    ]
    session.add_all(histories)
    for client in clients:
        client.owner_id = target.id
        client.updated_at = now
        _log_on_card(session, client, actor, previous, target, client.stage, now)
    client_ids = [client.id for client in clients]
    # One line in /audit for the whole base («передала 12 клиентов · Анна → Дмитрий»); each
    # client's own trail is its owner-history line and card history.
    await audit.record(
        session,
        member=actor,
        action="handover",
        now=now,
        from_member=previous.id,
        to_member=target.id,
        clients=len(client_ids),
        client_ids=client_ids,
    )
    moved = await session.execute(
        update(Touch)
        .where(Touch.client_id.in_(client_ids), Touch.status.in_(OPEN_STATUSES))
        .values(member_id=target.id)
        .returning(Touch.id)
        .execution_options(synchronize_session=False)
    )
    moved_ids = list(moved.scalars())
    await planner.reword_invitations(session, target, moved_ids)
    await planner.reword_generated_goals(session, target, moved_ids)
    await _hand_reminders_over(session, moved_ids, target, now)
    await session.flush()
    return BaseHandoverDone(
        previous_owner=previous,
        new_owner=target,
        clients=len(clients),
        moved_touches=len(moved_ids),
        history_id=min(history.id for history in histories),
    )


def _log_on_card(
    session: AsyncSession,
    client: Client,
    actor: Member,
    previous: Member | None,
    target: Member,
    from_stage: Stage,
    now: datetime,
) -> None:
    """The card's change history shows the handover too: owner and stage, old → new."""
    changes = [("owner_id", previous.full_name if previous else None, target.full_name)]
    if from_stage is not client.stage:
        changes.append(("stage", from_stage.value, client.stage.value))
    for field, old, new in changes:
        if old == new:
            continue
        session.add(
            ChangeLog(
                client_id=client.id,
                entity="client",
                entity_id=client.id,
                field=field,
                old_value=old,
                new_value=new,
                member_id=actor.id,
                changed_at=now,
            )
        )


async def _hand_reminders_over(
    session: AsyncSession, touch_ids: list[int], target: Member, now: datetime
) -> None:
    """Pending reminders were addressed to the previous owner: they must not reach them; the
    new owner gets today's reminders of the touches due now."""
    from scheduler.jobs import hand_reminders_over  # noqa: PLC0415 - the scheduler imports services

    await hand_reminders_over(session, touch_ids, target, now)


async def owner_history(session: AsyncSession, client_id: int) -> list[tuple[OwnerHistory, str]]:
    """The client's handovers, newest first, with the receiving member's name."""
    rows = await session.execute(
        select(OwnerHistory, Member.full_name)
        .join(Member, Member.id == OwnerHistory.to_member_id)
        .where(OwnerHistory.client_id == client_id)
        .order_by(OwnerHistory.at.desc(), OwnerHistory.id.desc())
    )
    return [(history, name) for history, name in rows.all()]
