"""staff: staff accounts, failed logins, audit log

Revision ID: ad0001
Revises:
Create Date: 2026-11-24 06:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "ad0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("staff",)
depends_on: str | Sequence[str] | None = "pp0001"

_text = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "staff_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", _text(length=320), nullable=False),
        sa.Column("role", _text(length=20), nullable=False),
        sa.Column("password_hash", _text(length=200), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("session_epoch", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["partner_id"], ["rewards_partner.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_staff_account_email", "staff_account", ["email"], unique=True)
    op.create_table(
        "staff_login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", _text(length=320), nullable=False),
        sa.Column("address", _text(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_staff_login_failure_email", "staff_login_failure", ["email"])
    op.create_index("ix_staff_login_failure_address", "staff_login_failure", ["address"])
    op.create_index("ix_staff_login_failure_at", "staff_login_failure", ["at"])
    op.create_table(
        "staff_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("staff_email", _text(length=320), nullable=False),
        sa.Column("action", _text(length=60), nullable=False),
        sa.Column("target", _text(length=200), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_account.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_staff_audit_at", "staff_audit", ["at"])
    op.create_index("ix_staff_audit_action", "staff_audit", ["action"])


def downgrade() -> None:
    op.drop_table("staff_audit")
    op.drop_table("staff_login_failure")
    op.drop_table("staff_account")
