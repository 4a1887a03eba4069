"""staff sessions held on the server (logout and idle timeout end them)

Revision ID: ad0002
Revises: ad0001
Create Date: 2026-12-07 18:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "ad0002"
down_revision: str | None = "ad0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_text = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "staff_session",
        sa.Column("id", _text(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["staff_account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_staff_session_account_id", "staff_session", ["account_id"])
    op.create_index("ix_staff_session_last_seen_at", "staff_session", ["last_seen_at"])


def downgrade() -> None:
    op.drop_index("ix_staff_session_last_seen_at", table_name="staff_session")
    op.drop_index("ix_staff_session_account_id", table_name="staff_session")
    op.drop_table("staff_session")
