"""community: mentoring and helping hands (offers, matches), city polls and their answers

Revision ID: mp0001
Revises:
Create Date: 2026-11-26 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "mp0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("mentoring_polls",)
depends_on: str | Sequence[str] | None = "0006"

_text = sqlmodel.sql.sqltypes.AutoString


def _member(name: str, *, nullable: bool = False, ondelete: str = "CASCADE") -> sa.Column:
    return sa.Column(
        name, sa.Integer(), sa.ForeignKey("member.id", ondelete=ondelete), nullable=nullable
    )


def upgrade() -> None:
    op.create_table(
        "help_offer",
        sa.Column("id", sa.Integer(), nullable=False),
        _member("member_id"),
        sa.Column("kind", _text(length=20), nullable=False),
        sa.Column("role", _text(length=10), nullable=False),
        sa.Column("topic", _text(length=300), nullable=False),
        sa.Column("words", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_help_offer_member_id", "help_offer", ["member_id"])
    op.create_index("ix_help_offer_kind", "help_offer", ["kind"])

    op.create_table(
        "help_match",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "offer_a_id",
            sa.Integer(),
            sa.ForeignKey("help_offer.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "offer_b_id",
            sa.Integer(),
            sa.ForeignKey("help_offer.id", ondelete="CASCADE"),
            nullable=False,
        ),
        _member("member_a_id"),
        _member("member_b_id"),
        sa.Column("kind", _text(length=20), nullable=False),
        sa.Column("reason", sa.JSON(), nullable=False),
        sa.Column("status", _text(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("offer_a_id", "offer_b_id"),
    )
    op.create_index("ix_help_match_member_a_id", "help_match", ["member_a_id"])
    op.create_index("ix_help_match_member_b_id", "help_match", ["member_b_id"])
    op.create_index("ix_help_match_status", "help_match", ["status"])

    op.create_table(
        "poll",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_lt", _text(length=300), nullable=False),
        sa.Column("question_en", _text(length=300), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("status", _text(length=10), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", _text(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_poll_status", "poll", ["status"])

    op.create_table(
        "poll_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "poll_id", sa.Integer(), sa.ForeignKey("poll.id", ondelete="CASCADE"), nullable=False
        ),
        _member("member_id", nullable=True, ondelete="SET NULL"),
        sa.Column("choice", sa.Integer(), nullable=False),
        sa.Column("relation", _text(length=20), nullable=True),
        sa.Column("country", _text(length=2), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("poll_id", "member_id"),
    )
    op.create_index("ix_poll_answer_poll_id", "poll_answer", ["poll_id"])


def downgrade() -> None:
    op.drop_table("poll_answer")
    op.drop_table("poll")
    op.drop_table("help_match")
    op.drop_table("help_offer")
