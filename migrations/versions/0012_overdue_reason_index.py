"""Overdue touches counted from the index alone again: statistics count what the manager's
digest shows, where a «проверить данные» check riding along with another touch of its client is
not a second item, so the count needs each touch's reason — now in the (member, status, due,
client) index instead of read from 10,000 rows of a morning's backlog.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_touches_member_status_due", table_name="touches")
    op.create_index(
        "ix_touches_member_status_due",
        "touches",
        ["member_id", "status", "due_on", "client_id", "reason"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_touches_member_status_due", table_name="touches")
    op.create_index(
        "ix_touches_member_status_due",
        "touches",
        ["member_id", "status", "due_on", "client_id"],
        unique=False,
    )
