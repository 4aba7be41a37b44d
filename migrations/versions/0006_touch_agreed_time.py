"""A touch keeps the time agreed with the client («встреча в пятницу в 15:00»): the digest shows
it and the reminder comes shortly before it, instead of when the calling window opens.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("touches") as batch:
        batch.add_column(sa.Column("due_at", models.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("touches") as batch:
        batch.drop_column("due_at")
