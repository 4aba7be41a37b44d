"""The team: members, the bootstrap of heads, one-time invites, personal settings."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Invite, Member
from models.enums import Role
from scheduler import outbox
from services import audit, planner, validation

MEMBER_OFF = "member_off"
MEMBER_ON = "member_on"

INVITE_LIFETIME = timedelta(days=7)
INVITE_CODE_BYTES = 12


class TeamError(Exception):
    """A team operation refused for a reason the user must be told (`code` is a catalog key)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Newcomer:
    """What Telegram tells us about a person joining."""

    telegram_id: int
    full_name: str
    username: str | None


@dataclass(frozen=True)
class TeamDefaults:
    """Personal settings a new member starts with."""

    timezone: str
    language: str


async def get_member(session: AsyncSession, telegram_id: int) -> Member | None:
    """The member with this Telegram id, active or not."""
    return await session.scalar(select(Member).where(Member.telegram_id == telegram_id))


async def get_member_by_id(session: AsyncSession, member_id: int) -> Member | None:
    """The member with this database id."""
    return await session.get(Member, member_id)


def _new_member(person: Newcomer, role: Role, defaults: TeamDefaults, now: datetime) -> Member:
    return Member(
        telegram_id=person.telegram_id,
        full_name=person.full_name[:200] or str(person.telegram_id),
        username=person.username,
        role=role,
        is_active=True,
        timezone=defaults.timezone,
        work_start=time(9, 0),
        work_end=time(18, 0),
        work_days="01234",
        digest_time=time(9, 0),
        language=defaults.language,
        created_at=now,
    )


async def bootstrap_head(
    session: AsyncSession, person: Newcomer, defaults: TeamDefaults, now: datetime
) -> Member:
    """Create (or re-activate as head) a person listed in HEAD_IDS."""
    member = await get_member(session, person.telegram_id)
    if member is None:
        member = _new_member(person, Role.HEAD, defaults, now)
        session.add(member)
    else:
        member.role = Role.HEAD
        member.is_active = True
        member.deactivated_at = None
    await session.flush()
    return member


async def create_invite(session: AsyncSession, *, by: Member, role: Role, now: datetime) -> Invite:
    """A one-time code for a role, valid for seven days; heads only."""
    if by.role is not Role.HEAD:
        raise TeamError("team.head_only")
    invite = Invite(
        code=secrets.token_urlsafe(INVITE_CODE_BYTES),
        role=role,
        created_by_id=by.id,
        created_at=now,
        expires_at=now + INVITE_LIFETIME,
    )
    session.add(invite)
    await session.flush()
    return invite


async def redeem_invite(
    session: AsyncSession, *, code: str, person: Newcomer, defaults: TeamDefaults, now: datetime
) -> Member:
    """Join the team with an invite code; a used, expired or unknown code is refused."""
    invite = await session.scalar(select(Invite).where(Invite.code == code).with_for_update())
    if invite is None:
        raise TeamError("team.invite_unknown")
    if invite.used_at is not None:
        raise TeamError("team.invite_used")
    if invite.expires_at <= now:
        raise TeamError("team.invite_expired")
    member = await get_member(session, person.telegram_id)
    if member is not None and member.is_active:
        raise TeamError("team.already_member")
    if member is None:
        member = _new_member(person, invite.role, defaults, now)
        session.add(member)
    else:
        member.role = invite.role
        member.is_active = True
        member.deactivated_at = None
    await session.flush()
    invite.used_by_id = member.id
    invite.used_at = now
    return member


async def list_members(session: AsyncSession) -> list[Member]:
    """Everyone on the team: active first, heads first, then by name."""
    result = await session.scalars(
        select(Member).order_by(Member.is_active.desc(), Member.role, Member.full_name)
    )
    return list(result)


async def active_heads(session: AsyncSession) -> list[Member]:
    """Active heads of sales (recipients of alerts)."""
    result = await session.scalars(
        select(Member).where(Member.role == Role.HEAD, Member.is_active.is_(True))
    )
    return list(result)


async def member_to_switch(
    session: AsyncSession, *, by: Member, member_id: int, active: bool
) -> Member:
    """The member a head may switch off (`active=False`) or bring back; raises TeamError."""
    if by.role is not Role.HEAD:
        raise TeamError("team.head_only")
    member = await session.get(Member, member_id)
    if member is None:
        raise TeamError("team.member_unknown")
    if not active and member.id == by.id:
        raise TeamError("team.cannot_deactivate_self")
    if not active and member.role is Role.HEAD:
        heads = await session.scalar(
            select(func.count())
            .select_from(Member)
            .where(Member.role == Role.HEAD, Member.is_active.is_(True))
        )
        if (heads or 0) <= 1:
            raise TeamError("team.last_head")
    return member


@dataclass(frozen=True)
class Switched:
    """A member after /members' switch, and whether anything changed (a repeated press)."""

    member: Member
    changed: bool
    # The audit entry of the change (None when nothing changed): it names the notice about it.
    record_id: int | None = None


async def set_active(
    session: AsyncSession, *, by: Member, member_id: int, active: bool, now: datetime
) -> Switched:
    """Deactivate or re-activate a member; their clients stay where they are.

    Switching off cancels everything queued for the member in the same transaction: no
    reminder, digest or notice with client data reaches them afterwards. Both changes go to the
    audit log (`member_off` / `member_on`, the head as the actor, the member in the details); a
    repeated press changes and records nothing.
    """
    member = await member_to_switch(session, by=by, member_id=member_id, active=active)
    if member.is_active is active:
        return Switched(member, changed=False)
    member.is_active = active
    member.deactivated_at = None if active else now
    await session.flush()
    if not active:
        await outbox.cancel_for_member(session, member.id)
    entry = await audit.record(
        session,
        member=by,
        action=MEMBER_ON if active else MEMBER_OFF,
        now=now,
        member_id=member.id,
    )
    return Switched(member, changed=True, record_id=entry.id)


async def update_settings(
    session: AsyncSession,
    member: Member,
    *,
    timezone: str | None = None,
    hours: tuple[time, time] | None = None,
    days: frozenset[int] | None = None,
    digest_time: time | None = None,
    language: str | None = None,
) -> Member:
    """Change a member's personal settings; values arrive already validated. A new zone or
    language rewords the member's open invitations (`planner.reword_invitations`), a new
    language the goals the planner wrote for their other open touches too
    (`planner.reword_generated_goals`)."""
    if timezone is not None:
        member.timezone = timezone
    if hours is not None:
        member.work_start, member.work_end = hours
    if days is not None:
        if not days:
            raise TeamError("settings.days_empty")
        member.work_days = validation.days_code(days)
    if digest_time is not None:
        member.digest_time = digest_time
    if language is not None:
        member.language = language
    await session.flush()
    if timezone is not None or language is not None:
        await planner.reword_invitations(session, member)
    if language is not None:
        await planner.reword_generated_goals(session, member)
    return member
