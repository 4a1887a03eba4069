"""community: activity counts for analytics, scheduled broadcasts

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 06:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_text = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("platform", _text(length=20), nullable=False),
        sa.Column("kind", _text(length=12), nullable=False),
        sa.Column("answered", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_activity_at", "activity", ["at"])
    op.create_index("ix_activity_member_id", "activity", ["member_id"])
    op.create_index("ix_activity_kind", "activity", ["kind"])
    with op.batch_alter_table("broadcast") as batch_op:
        batch_op.add_column(sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("broadcast") as batch_op:
        batch_op.drop_column("scheduled_for")
    op.drop_table("activity")
