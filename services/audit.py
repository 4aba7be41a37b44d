"""The audit trail of sensitive actions (card views, searches, exports, forged buttons...)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditEntry, Member


async def record(
    session: AsyncSession,
    *,
    member: Member | None,
    action: str,
    now: datetime,
    client_id: int | None = None,
    **details: Any,
) -> AuditEntry:
    """Append one entry; `details` must be JSON-serialisable and hold no secrets."""
    entry = AuditEntry(
        member_id=member.id if member is not None else None,
        action=action,
        client_id=client_id,
        details=details,
        at=now,
    )
    session.add(entry)
    await session.flush()
    return entry
