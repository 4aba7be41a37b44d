"""The client base: clients, their contacts, key dates, deals, category policies, change log."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Numeric, SmallInteger, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, enum_column
from models.enums import Category, Channel, ClientKind, Stage


class Client(Base):
    """A company (B2B) or a person (B2C) the team sells to; owned by one member at a time."""

    __tablename__ = "clients"
    __table_args__ = (
        Index("ix_clients_owner_active", "owner_id", "is_active"),
        # Statistics count a member's clients by category, activity and dates from the index
        # alone: the rows themselves are wide (notes, preferences).
        Index(
            "ix_clients_owner_stats",
            "owner_id",
            "category",
            "is_active",
            "forgotten_at",
            "created_at",
            "data_confirmed_at",
        ),
        # «New clients» of a period: a few rows a month, found without crossing the base.
        Index("ix_clients_owner_created", "owner_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ClientKind] = mapped_column(enum_column(ClientKind))
    name: Mapped[str] = mapped_column(String(200))
    inn: Mapped[str | None] = mapped_column(String(12), index=True)
    industry: Mapped[str | None] = mapped_column(String(100))
    city: Mapped[str | None] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64))
    category: Mapped[Category] = mapped_column(enum_column(Category), default=Category.NEW)
    stage: Mapped[Stage] = mapped_column(enum_column(Stage), default=Stage.ACQUISITION)
    owner_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    preferences: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    # The client's calling window; a contact may override it.
    window_start: Mapped[time] = mapped_column(Time, default=time(10, 0))
    window_end: Mapped[time] = mapped_column(Time, default=time(18, 0))
    window_days: Mapped[str] = mapped_column(String(7), default="01234")
    observe_holidays: Mapped[bool] = mapped_column(Boolean, default=True)
    data_confirmed_at: Mapped[datetime]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set by /forget: personal data erased, counts kept for statistics.
    forgotten_at: Mapped[datetime | None]

    contacts: Mapped[list[Contact]] = relationship(
        back_populates="client", order_by="Contact.id", cascade="all, delete-orphan"
    )

    @property
    def window_weekdays(self) -> frozenset[int]:
        """Calling days as integers, Monday = 0."""
        return frozenset(int(day) for day in self.window_days)


class Contact(Base):
    """A person at a client; a B2C client has exactly one: the client."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    full_name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    extra_phones: Mapped[list[str]] = mapped_column(JSON, default=list)
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    telegram: Mapped[str | None] = mapped_column(String(64))
    whatsapp: Mapped[str | None] = mapped_column(String(20))
    work_schedule: Mapped[str | None] = mapped_column(String(200))
    window_start: Mapped[time | None] = mapped_column(Time)
    window_end: Mapped[time | None] = mapped_column(Time)
    window_days: Mapped[str | None] = mapped_column(String(7))
    preferred_channel: Mapped[Channel | None] = mapped_column(enum_column(Channel))
    # Optional channel by time of day: [{"from": "14:00", "channel": "whatsapp"}, ...]
    channel_schedule: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    hobbies: Mapped[str | None] = mapped_column(Text)
    favourite_team: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]

    client: Mapped[Client] = relationship(back_populates="contacts")


class KeyDate(Base):
    """A yearly date of a contact or a family member: birthday, anniversary, professional day."""

    __tablename__ = "key_dates"
    # Digests and the planner ask for a client's dates of given days: answered by the index.
    __table_args__ = (Index("ix_key_dates_client_month_day", "client_id", "month", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    # birthday, anniversary, professional, other
    kind: Mapped[str] = mapped_column(String(32))
    # For a family member: the relation («жена», «сын») and their name.
    relation: Mapped[str | None] = mapped_column(String(64))
    person_name: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    day: Mapped[int] = mapped_column(SmallInteger)
    month: Mapped[int] = mapped_column(SmallInteger)
    year: Mapped[int | None] = mapped_column(SmallInteger)
    created_at: Mapped[datetime]


class Deal(Base):
    """The client's current or past order: stage, amount, where the goods are, paid or not."""

    __tablename__ = "deals"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    # new, negotiation, invoiced, paid, shipped, closed, lost
    stage: Mapped[str] = mapped_column(String(32), default="new")
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    goods_location: Mapped[str | None] = mapped_column(String(200))
    is_paid: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CategoryPolicy(Base):
    """Touch policy of a client category: cadence, yearly ceiling, re-verification period."""

    __tablename__ = "category_policies"

    category: Mapped[Category] = mapped_column(enum_column(Category), primary_key=True)
    cadence_days: Mapped[int]
    max_touches_year: Mapped[int]
    reverify_days: Mapped[int]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    updated_at: Mapped[datetime | None]


class ChangeLog(Base):
    """One edited field: who, when, old → new. A contact's position history lives here."""

    __tablename__ = "change_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    # client, contact, key_date, deal
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int]
    field: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    changed_at: Mapped[datetime]


class OwnerHistory(Base):
    """Who owned a client when: the pipeline handover trail."""

    __tablename__ = "owner_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    from_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    to_member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    from_stage: Mapped[Stage | None] = mapped_column(enum_column(Stage))
    to_stage: Mapped[Stage] = mapped_column(enum_column(Stage))
    note: Mapped[str | None] = mapped_column(Text)
    by_member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    at: Mapped[datetime]


DEFAULT_POLICIES: dict[Category, tuple[int, int, int]] = {
    Category.KEY: (30, 12, 30),
    Category.VIP: (45, 8, 60),
    Category.REGULAR: (60, 6, 90),
    Category.OCCASIONAL: (120, 3, 180),
    Category.NEW: (14, 26, 30),
}
