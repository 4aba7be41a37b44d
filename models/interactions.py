"""Interactions (contacts that happened, always with a goal and a result) and their attachments."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, enum_column
from models.enums import Channel, Direction, Outcome


class Interaction(Base):
    """A contact that happened: channel, direction, goal, result, outcome, when, who."""

    __tablename__ = "interactions"
    __table_args__ = (
        # The same Telegram message never becomes two interactions, even when redelivered.
        UniqueConstraint("source_chat_id", "source_message_id"),
        Index("ix_interactions_client_happened", "client_id", "happened_at"),
        # Statistics group a period's interactions by member, channel and outcome: the index
        # alone answers them.
        Index(
            "ix_interactions_member_happened_outcome",
            "member_id",
            "happened_at",
            "channel",
            "outcome",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    direction: Mapped[Direction] = mapped_column(enum_column(Direction))
    goal: Mapped[str] = mapped_column(Text)
    result: Mapped[str] = mapped_column(Text)
    outcome: Mapped[Outcome] = mapped_column(enum_column(Outcome))
    notes: Mapped[str | None] = mapped_column(Text)
    next_step: Mapped[str | None] = mapped_column(Text)
    next_touch_on: Mapped[date | None]
    happened_at: Mapped[datetime]
    created_at: Mapped[datetime]
    touch_id: Mapped[int | None] = mapped_column(ForeignKey("touches.id", ondelete="SET NULL"))
    source_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    source_message_id: Mapped[int | None] = mapped_column(BigInteger)


class Attachment(Base):
    """A voice message, audio, photo or document attached to an interaction (kept as file ids)."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(
        ForeignKey("interactions.id", ondelete="CASCADE"), index=True
    )
    # voice, audio, photo, document
    kind: Mapped[str] = mapped_column(String(16))
    file_id: Mapped[str] = mapped_column(String(255))
    file_unique_id: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str | None] = mapped_column(String(255))
    caption: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
