"""Team members, their personal settings, and one-time invites."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import BigInteger, Boolean, ForeignKey, String, Time
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, enum_column
from models.enums import Role


class Member(Base):
    """A person on the team: a manager or a head of sales."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    username: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    timezone: Mapped[str] = mapped_column(String(64))
    work_start: Mapped[time] = mapped_column(Time, default=time(9, 0))
    work_end: Mapped[time] = mapped_column(Time, default=time(18, 0))
    # Week days as digits, Monday = 0: "01234" is Monday to Friday.
    work_days: Mapped[str] = mapped_column(String(7), default="01234")
    digest_time: Mapped[time] = mapped_column(Time, default=time(9, 0))
    language: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime]
    deactivated_at: Mapped[datetime | None]

    @property
    def weekdays(self) -> frozenset[int]:
        """Working days as integers, Monday = 0."""
        return frozenset(int(day) for day in self.work_days)


class Invite(Base):
    """A one-time deep-link code that lets a new person join with a role."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    role: Mapped[Role] = mapped_column(enum_column(Role))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    used_at: Mapped[datetime | None]
