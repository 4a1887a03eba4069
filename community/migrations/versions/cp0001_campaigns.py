"""campaigns: invitations to prospects with personal links, and their funnel

Revision ID: cp0001
Revises:
Create Date: 2026-11-25 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "cp0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("campaigns",)
depends_on: str | Sequence[str] | None = "0006"

_text = sqlmodel.sql.sqltypes.AutoString
_when = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", _text(length=200), nullable=False),
        sa.Column("channel", _text(length=10), nullable=False),
        sa.Column("subject_lt", _text(length=200), nullable=False),
        sa.Column("subject_en", _text(length=200), nullable=False),
        sa.Column("body_lt", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("pace_ms", sa.Integer(), nullable=False),
        sa.Column("status", _text(length=12), nullable=False),
        sa.Column("created_by", _text(length=320), nullable=False),
        sa.Column("created_at", _when, nullable=False),
        sa.Column("started_at", _when, nullable=True),
        sa.Column("finished_at", _when, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_campaign_status", "campaign", ["status"])

    op.create_table(
        "campaign_invite",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("prospect_id", sa.Integer(), nullable=True),
        sa.Column("token", _text(length=64), nullable=False),
        sa.Column("channel", _text(length=10), nullable=False),
        sa.Column("status", _text(length=12), nullable=False),
        sa.Column("sent_at", _when, nullable=True),
        sa.Column("opened_at", _when, nullable=True),
        sa.Column("joined_member_id", sa.Integer(), nullable=True),
        sa.Column("joined_at", _when, nullable=True),
        sa.Column("onboarded_at", _when, nullable=True),
        sa.Column("opted_out_at", _when, nullable=True),
        sa.Column("error", _text(length=500), nullable=True),
        sa.Column("created_at", _when, nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["prospect_id"], ["prospect.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["joined_member_id"], ["member.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "prospect_id"),
    )
    op.create_index("ix_campaign_invite_campaign_id", "campaign_invite", ["campaign_id"])
    op.create_index("ix_campaign_invite_prospect_id", "campaign_invite", ["prospect_id"])
    op.create_index("ix_campaign_invite_token", "campaign_invite", ["token"], unique=True)
    op.create_index("ix_campaign_invite_status", "campaign_invite", ["status"])
    op.create_index("ix_campaign_invite_joined_member_id", "campaign_invite", ["joined_member_id"])


def downgrade() -> None:
    op.drop_table("campaign_invite")
    op.drop_index("ix_campaign_status", table_name="campaign")
    op.drop_table("campaign")
