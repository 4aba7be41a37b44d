"""Planned touches, company events and the outbox of messages the clock must deliver."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, enum_column
from models.enums import TouchReason, TouchStatus


class Touch(Base):
    """A planned contact with a client: due date, goal, reason and status."""

    __tablename__ = "touches"
    __table_args__ = (
        # With the client and the reason, overdue counts in statistics read no touch rows.
        Index(
            "ix_touches_member_status_due", "member_id", "status", "due_on", "client_id", "reason"
        ),
        # With the due date, a member's digest filters on the index, not on the rows.
        Index("ix_touches_client_status_due", "client_id", "status", "due_on"),
        # Statistics count a member's touches closed in a period, on time and occasions
        # included, from the index alone.
        Index(
            "ix_touches_member_status_closed",
            "member_id",
            "status",
            "closed_at",
            "due_on",
            "reason",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    due_on: Mapped[date]
    # The time agreed with the client, when there is one: the reminder comes shortly before it.
    due_at: Mapped[datetime | None]
    reason: Mapped[TouchReason] = mapped_column(enum_column(TouchReason))
    status: Mapped[TouchStatus] = mapped_column(
        enum_column(TouchStatus), default=TouchStatus.PLANNED
    )
    goal: Mapped[str] = mapped_column(Text)
    # A ready greeting for occasion touches, to copy or adapt.
    draft_text: Mapped[str | None] = mapped_column(Text)
    occasion_key: Mapped[str | None] = mapped_column(String(64))
    # The day of the occasion an occasion touch greets for; the touch itself may be due on the
    # last working day before it, and is closed as pointless a few days after it.
    occasion_on: Mapped[date | None]
    key_date_id: Mapped[int | None] = mapped_column(ForeignKey("key_dates.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    # Uniqueness makes planning idempotent: one touch per reason, client and occasion.
    dedupe_key: Mapped[str] = mapped_column(String(128), unique=True)
    snoozed_until: Mapped[datetime | None]
    skip_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class Event(Base):
    """A company event (webinar, conference, sale) whose audience gets invitation touches."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    happens_on: Mapped[date]
    # The start time as the head typed it («15.12 в 11:00»), on the clock of `timezone`; None
    # when only the day was given.
    starts_at: Mapped[time | None]
    # The zone the day and the time are given in: the creating head's, at the time. Readers
    # elsewhere see the time on their own clock too («11:00 по Москве, у вас 15:00»).
    timezone: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    # {"categories": [...], "industries": [...], "tags": [...]}; empty lists mean everyone.
    audience: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime]
    # Set when a head cancels the event: its open invitations are closed with it; who did it
    # is in the audit log.
    cancelled_at: Mapped[datetime | None]


class Outbox(Base):
    """A message the clock must deliver: a database row before it is a message."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_not_before", "status", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    # digest, reminder, alert, notice
    kind: Mapped[str] = mapped_column(String(32))
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    touch_id: Mapped[int | None] = mapped_column(ForeignKey("touches.id", ondelete="SET NULL"))
    not_before: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    # pending, sending, sent, failed, expired, folded
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_message_id: Mapped[int | None] = mapped_column(BigInteger)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
