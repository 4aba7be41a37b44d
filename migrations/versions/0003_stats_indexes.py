"""Indexes for team statistics at scale: touches closed in a period by member, interactions of
a period by member with channel and outcome (answered from the index), and the client columns
the statistics count (owner, category, activity, dates).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_touches_member_status_closed",
        "touches",
        ["member_id", "status", "closed_at"],
        unique=False,
    )
    op.create_index(
        "ix_interactions_member_happened_outcome",
        "interactions",
        ["member_id", "happened_at", "channel", "outcome"],
        unique=False,
    )
    op.drop_index("ix_interactions_member_happened", table_name="interactions")
    op.create_index(
        "ix_clients_owner_stats",
        "clients",
        ["owner_id", "category", "is_active", "forgotten_at", "created_at", "data_confirmed_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_clients_owner_stats", table_name="clients")
    op.create_index(
        "ix_interactions_member_happened",
        "interactions",
        ["member_id", "happened_at"],
        unique=False,
    )
    op.drop_index("ix_interactions_member_happened_outcome", table_name="interactions")
    op.drop_index("ix_touches_member_status_closed", table_name="touches")
