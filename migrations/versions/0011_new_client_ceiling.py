"""The «new» category's default ceiling rises from 12 to 26 touches a year, so that it no longer
caps its own 14-day cadence at about one touch a month (/policy warned about that on a fresh
base). A ceiling a head has already edited stays as it is.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "UPDATE category_policies SET max_touches_year = 26 WHERE category = 'new'"
        " AND max_touches_year = 12 AND updated_by_id IS NULL"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE category_policies SET max_touches_year = 12 WHERE category = 'new'"
        " AND max_touches_year = 26 AND updated_by_id IS NULL"
    )
