"""community: the feed, per-topic opt-outs, broadcasts and their deliveries

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_text = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "feed_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", _text(length=20), nullable=False),
        sa.Column("title_lt", _text(length=200), nullable=False),
        sa.Column("title_en", _text(length=200), nullable=False),
        sa.Column("body_lt", _text(length=3000), nullable=False),
        sa.Column("body_en", _text(length=3000), nullable=False),
        sa.Column("url", _text(length=500), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("feed_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feed_item_kind"), ["kind"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_feed_item_published_at"), ["published_at"], unique=False
        )

    op.create_table(
        "news_opt_out",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", _text(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("member_id", "kind"),
    )

    op.create_table(
        "broadcast",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("status", _text(length=12), nullable=False),
        sa.Column("planned", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["feed_item.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("broadcast", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_broadcast_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_broadcast_status"), ["status"], unique=False)

    op.create_table(
        "broadcast_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("platform", _text(length=20), nullable=False),
        sa.Column("recipient_id", _text(length=255), nullable=False),
        sa.Column("language", _text(length=8), nullable=False),
        sa.Column("time_zone", _text(length=64), nullable=False),
        sa.Column("status", _text(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", _text(length=80), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", _text(length=500), nullable=True),
        sa.ForeignKeyConstraint(["broadcast_id"], ["broadcast.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("broadcast_id", "member_id"),
    )
    with op.batch_alter_table("broadcast_delivery", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_broadcast_delivery_broadcast_id"), ["broadcast_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_broadcast_delivery_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_broadcast_delivery_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("broadcast_delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_broadcast_delivery_status"))
        batch_op.drop_index(batch_op.f("ix_broadcast_delivery_member_id"))
        batch_op.drop_index(batch_op.f("ix_broadcast_delivery_broadcast_id"))
    op.drop_table("broadcast_delivery")
    with op.batch_alter_table("broadcast", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_broadcast_status"))
        batch_op.drop_index(batch_op.f("ix_broadcast_item_id"))
    op.drop_table("broadcast")
    op.drop_table("news_opt_out")
    with op.batch_alter_table("feed_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feed_item_published_at"))
        batch_op.drop_index(batch_op.f("ix_feed_item_kind"))
    op.drop_table("feed_item")
