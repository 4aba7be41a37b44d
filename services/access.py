"""Who may see and act on which client: a manager their own, a head everyone's.

Every handler and every callback goes through here, so a forged or stale button for somebody
else's client is refused (and recorded) in one place.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Client, Member
from models.enums import Role
from services import audit


class AccessDeniedError(Exception):
    """The client does not exist for this member (absent, forgotten or somebody else's)."""


def visible_clients(member: Member) -> Select[Client]:
    """A SELECT of the active clients this member may see."""
    return select(Client).where(*visible_filter(member))


def visible_filter(member: Member) -> tuple[ColumnElement[bool], ...]:
    """The WHERE conditions of `visible_clients`, for queries of a few columns."""
    conditions = (Client.is_active.is_(True), Client.forgotten_at.is_(None))
    if member.role is not Role.HEAD:
        return (*conditions, Client.owner_id == member.id)
    return conditions


def can_see(member: Member, client: Client) -> bool:
    """Whether the member may see and edit this client."""
    if not client.is_active or client.forgotten_at is not None:
        return False
    return member.role is Role.HEAD or client.owner_id == member.id


async def client_for(
    session: AsyncSession, member: Member, client_id: int, *, now: datetime
) -> Client:
    """The client if the member may act on it; otherwise the attempt is recorded and refused."""
    client = await session.get(Client, client_id)
    if client is None or not can_see(member, client):
        await audit.record(
            session, member=member, action="denied", now=now, client_id=None, target=client_id
        )
        raise AccessDeniedError(client_id)
    return client
