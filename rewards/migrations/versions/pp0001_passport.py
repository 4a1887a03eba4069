"""passport: Alytus Passports, partners, offers, redemptions

Revision ID: pp0001
Revises:
Create Date: 2026-11-24 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "pp0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("passport",)
depends_on: str | Sequence[str] | None = "0001"


def upgrade() -> None:
    op.create_table(
        "rewards_passport",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoke_reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rewards_passport", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rewards_passport_number"), ["number"], unique=True)
        batch_op.create_index(
            batch_op.f("ix_rewards_passport_member_id"), ["member_id"], unique=False
        )

    op.create_table(
        "rewards_partner",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("contact", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )

    op.create_table(
        "rewards_offer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("title_lt", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("title_en", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("min_level", sa.Integer(), nullable=False),
        sa.Column("limit_per_member", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["rewards_partner.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rewards_offer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rewards_offer_partner_id"), ["partner_id"], unique=False
        )

    op.create_table(
        "rewards_redemption",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("passport_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("redeemed_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.ForeignKeyConstraint(["offer_id"], ["rewards_offer.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["passport_id"], ["rewards_passport.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rewards_redemption", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rewards_redemption_offer_id"), ["offer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_rewards_redemption_passport_id"), ["passport_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_rewards_redemption_member_id"), ["member_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("rewards_redemption", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rewards_redemption_member_id"))
        batch_op.drop_index(batch_op.f("ix_rewards_redemption_passport_id"))
        batch_op.drop_index(batch_op.f("ix_rewards_redemption_offer_id"))
    op.drop_table("rewards_redemption")
    with op.batch_alter_table("rewards_offer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rewards_offer_partner_id"))
    op.drop_table("rewards_offer")
    op.drop_table("rewards_partner")
    with op.batch_alter_table("rewards_passport", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rewards_passport_member_id"))
        batch_op.drop_index(batch_op.f("ix_rewards_passport_number"))
    op.drop_table("rewards_passport")
