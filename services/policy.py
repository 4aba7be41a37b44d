"""Category touch policies as the head sets them with /policy: cadence, yearly ceiling, re-check.

The planner reads them through services/touches.py `policy_for`; this module lists and changes
them, checks the numbers, tells when the ceiling caps the cadence, and records who changed what.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import CategoryPolicy, Member
from models.clients import DEFAULT_POLICIES
from models.enums import Category, Role
from services import audit
from services.validation import ValidationError

DAYS_IN_YEAR: Final = 365
# field → (lowest, highest) accepted value
LIMITS: Final[dict[str, tuple[int, int]]] = {
    "cadence_days": (1, 365),
    "max_touches_year": (1, 365),
    "reverify_days": (7, 730),
}
FIELDS: Final = tuple(LIMITS)


class PolicyAccessError(Exception):
    """Only a head of sales changes policies."""


@dataclass(frozen=True)
class PolicyRow:
    """A category's policy with who changed it last."""

    category: Category
    cadence_days: int
    max_touches_year: int
    reverify_days: int
    updated_by: str | None
    updated_at: datetime | None

    @property
    def ceiling_caps_cadence(self) -> bool:
        """Whether the yearly ceiling allows fewer touches than the cadence asks for."""
        return ceiling_caps(self.cadence_days, self.max_touches_year)


@dataclass(frozen=True)
class PolicyChange:
    """A changed number, and the category's policy after the change."""

    field: str
    old: int
    new: int
    row: PolicyRow


def ceiling_caps(cadence_days: int, max_touches_year: int) -> bool:
    """Whether the cadence asks for more touches a year than the ceiling allows.

    A 30-day cadence fits 12 whole intervals in a year: a ceiling of 12 matches it (no warning,
    though 30 × 12 = 360 is a few days short of a year), a ceiling of 6 halves it.
    """
    return DAYS_IN_YEAR // cadence_days > max_touches_year


def effective_cadence(cadence_days: int, max_touches_year: int) -> int:
    """The days between touches once the ceiling applies (never shorter than the cadence)."""
    return max(cadence_days, -(-DAYS_IN_YEAR // max_touches_year))


def parse_number(field: str, text: str) -> int:
    """A whole number in the field's range; «30», «30 дней» are fine."""
    if field not in LIMITS:
        raise ValidationError("choice_invalid")
    lowest, highest = LIMITS[field]
    digits = text.strip().split()[0] if text.strip() else ""
    # «-5» is a whole number too, only out of range: say the range, not «нужно целое число».
    if not digits.lstrip("-−").isdigit():
        raise ValidationError("number_invalid", text=text.strip()[:20])
    value = int(digits.replace("−", "-"))
    if not lowest <= value <= highest:
        raise ValidationError("number_range", low=lowest, high=highest)
    return value


async def _row(session: AsyncSession, category: Category) -> CategoryPolicy:
    row = await session.get(CategoryPolicy, category)
    if row is None:
        # The migration seeds every category; a database built by hand may lack one.
        cadence, ceiling, reverify = DEFAULT_POLICIES[category]
        row = CategoryPolicy(
            category=category,
            cadence_days=cadence,
            max_touches_year=ceiling,
            reverify_days=reverify,
        )
        session.add(row)
        await session.flush()
    return row


async def _as_row(session: AsyncSession, row: CategoryPolicy) -> PolicyRow:
    name = None
    if row.updated_by_id is not None:
        name = await session.scalar(select(Member.full_name).where(Member.id == row.updated_by_id))
    return PolicyRow(
        row.category,
        row.cadence_days,
        row.max_touches_year,
        row.reverify_days,
        name,
        row.updated_at,
    )


async def list_policies(session: AsyncSession) -> list[PolicyRow]:
    """Every category's policy in category order (the defaults where a row is missing)."""
    stored = {row.category: row for row in await session.scalars(select(CategoryPolicy))}
    editors = {row.updated_by_id for row in stored.values() if row.updated_by_id is not None}
    names: dict[int, str] = {}
    if editors:
        found = await session.execute(
            select(Member.id, Member.full_name).where(Member.id.in_(editors))
        )
        names = {row.id: row.full_name for row in found}
    rows = []
    for category in Category:
        row = stored.get(category)
        if row is None:
            rows.append(PolicyRow(category, *DEFAULT_POLICIES[category], None, None))
            continue
        rows.append(
            PolicyRow(
                category,
                row.cadence_days,
                row.max_touches_year,
                row.reverify_days,
                names.get(row.updated_by_id) if row.updated_by_id else None,
                row.updated_at,
            )
        )
    return rows


async def get_policy(session: AsyncSession, category: Category) -> PolicyRow:
    """One category's policy."""
    stored = await session.get(CategoryPolicy, category)
    if stored is None:
        return PolicyRow(category, *DEFAULT_POLICIES[category], None, None)
    return await _as_row(session, stored)


async def set_value(
    session: AsyncSession,
    member: Member,
    category: Category,
    field: str,
    text: str,
    *,
    now: datetime,
) -> PolicyChange:
    """A head changes one number of a category's policy; the change is audited."""
    if member.role is not Role.HEAD:
        await audit.record(session, member=member, action="denied", now=now, target="policy")
        raise PolicyAccessError(member.id)
    value = parse_number(field, text)
    row = await _row(session, category)
    old = int(getattr(row, field))
    if value != old:
        setattr(row, field, value)
        row.updated_by_id = member.id
        row.updated_at = now
        await audit.record(
            session,
            member=member,
            action="policy_change",
            now=now,
            category=category.value,
            field=field,
            old=old,
            new=value,
        )
    await session.flush()
    return PolicyChange(field, old, value, await _as_row(session, row))
