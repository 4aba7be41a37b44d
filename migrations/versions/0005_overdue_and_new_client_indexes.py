"""Statistics without reading rows: overdue touches carry their client in the (member, status,
due) index, and clients are found by owner and creation date for «new clients» (a handful a
month) instead of by skipping through the whole base.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_touches_member_status_due", table_name="touches")
    op.create_index(
        "ix_touches_member_status_due",
        "touches",
        ["member_id", "status", "due_on", "client_id"],
        unique=False,
    )
    op.create_index(
        "ix_clients_owner_created", "clients", ["owner_id", "created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_clients_owner_created", table_name="clients")
    op.drop_index("ix_touches_member_status_due", table_name="touches")
    op.create_index(
        "ix_touches_member_status_due",
        "touches",
        ["member_id", "status", "due_on"],
        unique=False,
    )
