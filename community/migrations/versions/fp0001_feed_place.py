"""feed place: where an event happens, shown with its date in /news and broadcasts

Revision ID: fp0001
Revises:
Create Date: 2026-12-10 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "fp0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("feed_place",)
depends_on: str | Sequence[str] | None = "0004"

_text = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table("feed_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("place", _text(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feed_item", schema=None) as batch_op:
        batch_op.drop_column("place")
