"""Occasion touches remember the day of their occasion: a greeting may be due on the last
working day before it, and is closed as pointless a few days after it. Existing occasion
touches were planned on the occasion's day, so that day is their due date.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("touches") as batch:
        batch.add_column(sa.Column("occasion_on", sa.Date(), nullable=True))
    op.execute("UPDATE touches SET occasion_on = due_on WHERE reason = 'occasion'")


def downgrade() -> None:
    with op.batch_alter_table("touches") as batch:
        batch.drop_column("occasion_on")
