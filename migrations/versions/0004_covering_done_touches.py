"""Statistics count done touches from the index alone: the due date and the reason join the
(member, status, closed) index, so «on time» and «occasions» no longer read the touch rows.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_touches_member_status_closed", table_name="touches")
    op.create_index(
        "ix_touches_member_status_closed",
        "touches",
        ["member_id", "status", "closed_at", "due_on", "reason"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_touches_member_status_closed", table_name="touches")
    op.create_index(
        "ix_touches_member_status_closed",
        "touches",
        ["member_id", "status", "closed_at"],
        unique=False,
    )
