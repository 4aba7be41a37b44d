"""A company event names the time zone of its day and time (`events.timezone`): a manager in
another zone reads «11:00 по Москве, у вас 15:00». Existing events were typed on their creating
head's clock, so they take that head's zone.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
    op.execute(
        "UPDATE events SET timezone = "
        "(SELECT members.timezone FROM members WHERE members.id = events.created_by_id)"
    )
    with op.batch_alter_table("events") as batch:
        batch.alter_column("timezone", existing_type=sa.String(length=64), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("timezone")
