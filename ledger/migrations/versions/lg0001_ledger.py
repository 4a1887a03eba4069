"""ledger: contract per chain, batches, entries (the outbox of rewards to record on chain)

Revision ID: lg0001
Revises:
Create Date: 2026-11-26 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "lg0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("ledger",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_contract",
        sa.Column("chain_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("deployer", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("deploy_tx_hash", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("deploy_tx", sa.LargeBinary(), nullable=True),
        sa.Column("deploy_block", sa.BigInteger(), nullable=False),
        sa.Column("source_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("chain_id"),
    )
    op.create_table(
        "ledger_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("mode", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("root", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=True),
        sa.Column("tx_hash", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("nonce", sa.BigInteger(), nullable=True),
        sa.Column("gas_used", sa.BigInteger(), nullable=True),
        sa.Column("raw_tx", sa.LargeBinary(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ledger_batch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_batch_chain_id"), ["chain_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ledger_batch_root"), ["root"], unique=False)
        batch_op.create_index(batch_op.f("ix_ledger_batch_status"), ["status"], unique=False)

    op.create_table(
        "ledger_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reward_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("reward_id", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("account", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("proof", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["batch_id"], ["ledger_batch.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reward_key"),
        sa.UniqueConstraint("reward_id"),
    )
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_entry_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ledger_entry_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_entry_status"))
        batch_op.drop_index(batch_op.f("ix_ledger_entry_batch_id"))

    op.drop_table("ledger_entry")
    with op.batch_alter_table("ledger_batch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_batch_status"))
        batch_op.drop_index(batch_op.f("ix_ledger_batch_root"))
        batch_op.drop_index(batch_op.f("ix_ledger_batch_chain_id"))

    op.drop_table("ledger_batch")
    op.drop_table("ledger_contract")
