"""events and suggestions: RSVPs to feed events, group-chat suggestions for staff

Revision ID: ev0001
Revises:
Create Date: 2026-11-26 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "ev0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("events_suggestions",)
depends_on: str | Sequence[str] | None = "0006"

_text = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "event_rsvp",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("answer", _text(length=3), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["feed_item.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("item_id", "member_id"),
    )
    op.create_index("ix_event_rsvp_member_id", "event_rsvp", ["member_id"])

    op.create_table(
        "group_suggestion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", _text(length=20), nullable=False),
        sa.Column("chat_id", _text(length=64), nullable=False),
        sa.Column("chat_title", _text(length=200), nullable=False),
        sa.Column("message_id", _text(length=64), nullable=False),
        sa.Column("author_id", _text(length=255), nullable=False),
        sa.Column("author_name", _text(length=200), nullable=False),
        sa.Column("author_handle", _text(length=64), nullable=True),
        sa.Column("excerpt", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("status", _text(length=12), nullable=False),
        sa.Column("prospect_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["prospect_id"], ["prospect.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "chat_id", "message_id"),
    )
    op.create_index("ix_group_suggestion_status", "group_suggestion", ["status"])
    op.create_index("ix_group_suggestion_created_at", "group_suggestion", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_group_suggestion_created_at", table_name="group_suggestion")
    op.drop_index("ix_group_suggestion_status", table_name="group_suggestion")
    op.drop_table("group_suggestion")
    op.drop_index("ix_event_rsvp_member_id", table_name="event_rsvp")
    op.drop_table("event_rsvp")
