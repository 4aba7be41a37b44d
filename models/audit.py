"""The audit log of sensitive actions: card views, searches, exports, imports, handovers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class AuditEntry(Base):
    """Who did what to which client, and when."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_member_at", "member_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    # card_view, search, export, import, handover, forget, forged_callback, ...
    action: Mapped[str] = mapped_column(String(32), index=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="SET NULL"))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime]
