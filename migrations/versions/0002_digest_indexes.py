"""Indexes for the morning digest at scale: touches by client, status and due date; key dates
by client, month and day (each replaces its shorter prefix).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_touches_client_status_due", "touches", ["client_id", "status", "due_on"], unique=False
    )
    op.drop_index("ix_touches_client_status", table_name="touches")
    op.create_index(
        "ix_key_dates_client_month_day", "key_dates", ["client_id", "month", "day"], unique=False
    )
    op.drop_index("ix_key_dates_client_id", table_name="key_dates")


def downgrade() -> None:
    op.create_index("ix_key_dates_client_id", "key_dates", ["client_id"], unique=False)
    op.drop_index("ix_key_dates_client_month_day", table_name="key_dates")
    op.create_index("ix_touches_client_status", "touches", ["client_id", "status"], unique=False)
    op.drop_index("ix_touches_client_status_due", table_name="touches")
