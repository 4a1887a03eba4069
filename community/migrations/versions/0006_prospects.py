"""community: prospects (former residents the city may invite) and the do-not-contact list

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_text = sqlmodel.sql.sqltypes.AutoString
_KEYS = ("email", "phone", "telegram", "discord")


def upgrade() -> None:
    op.create_table(
        "prospect",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", _text(length=200), nullable=False),
        sa.Column("email", _text(length=320), nullable=True),
        sa.Column("phone", _text(length=20), nullable=True),
        sa.Column("telegram", _text(length=64), nullable=True),
        sa.Column("discord", _text(length=64), nullable=True),
        sa.Column("school", _text(length=200), nullable=True),
        sa.Column("left_year", sa.Integer(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("lawful_basis", _text(length=30), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    for key in _KEYS:
        op.create_index(f"ix_prospect_{key}", "prospect", [key], unique=True)
    op.create_index("ix_prospect_member_id", "prospect", ["member_id"])

    op.create_table(
        "do_not_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", _text(length=10), nullable=False),
        sa.Column("value", _text(length=320), nullable=False),
        sa.Column("reason", _text(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "value"),
    )


def downgrade() -> None:
    op.drop_table("do_not_contact")
    op.drop_index("ix_prospect_member_id", table_name="prospect")
    for key in _KEYS:
        op.drop_index(f"ix_prospect_{key}", table_name="prospect")
    op.drop_table("prospect")
