"""way home: checklist progress per member, and requests for a human coordinator

Revision ID: wh0001
Revises:
Create Date: 2026-11-26 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "wh0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("way_home",)
depends_on: str | Sequence[str] | None = "0006"

_text = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "way_home_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("step", _text(length=40), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("member_id", "step"),
    )
    with op.batch_alter_table("way_home_step", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_way_home_step_member_id"), ["member_id"])

    op.create_table(
        "handover",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("platform", _text(length=20), nullable=False),
        sa.Column("topic", _text(length=40), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("progress", sa.JSON(), nullable=False),
        sa.Column("status", _text(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by", _text(length=320), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("handover", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_handover_member_id"), ["member_id"])
        batch_op.create_index(batch_op.f("ix_handover_status"), ["status"])
        batch_op.create_index(batch_op.f("ix_handover_created_at"), ["created_at"])


def downgrade() -> None:
    with op.batch_alter_table("handover", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handover_created_at"))
        batch_op.drop_index(batch_op.f("ix_handover_status"))
        batch_op.drop_index(batch_op.f("ix_handover_member_id"))
    op.drop_table("handover")
    with op.batch_alter_table("way_home_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_way_home_step_member_id"))
    op.drop_table("way_home_step")
