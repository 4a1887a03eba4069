"""Ledger tables: the outbox of rewards to record on chain, the transactions that carried
them, and where the contract lives on each chain.

Only reward keys, pseudonymous accounts and points are kept here: no member id, name or
handle, so erasing a member needs nothing from this room. Table names carry `ledger_`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, ForeignKey, Integer, LargeBinary
from sqlmodel import Field, SQLModel

from community.models import utcnow


class EntryStatus(StrEnum):
    PENDING = "pending"  # waiting for a batch
    CLAIMED = "claimed"  # in a batch that is being sent
    RECORDED = "recorded"  # on chain (directly, or provable under an anchored root)


class BatchStatus(StrEnum):
    PREPARED = "prepared"  # written before sending, so a crash leaves something to resume
    RECORDED = "recorded"


class LedgerMode(StrEnum):
    BATCH = "batch"
    MERKLE = "merkle"


def _when(**kwargs: Any) -> Any:
    return Field(sa_type=DateTime(timezone=True), **kwargs)  # type: ignore[call-overload]


class LedgerContract(SQLModel, table=True):
    """The deployed ledger on one chain; the embedded chain is redeployed from `deploy_tx`."""

    __tablename__ = "ledger_contract"

    chain_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    address: str = Field(max_length=42)
    deployer: str = Field(max_length=42)
    deploy_tx_hash: str = Field(max_length=66)
    deploy_tx: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    deploy_block: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    source_hash: str = Field(max_length=64)
    created_at: datetime = _when(default_factory=utcnow)
    last_sync_at: datetime | None = _when(default=None, nullable=True)


class LedgerBatch(SQLModel, table=True):
    """One transaction's worth of rewards: a `record_batch` call or one Merkle anchor."""

    __tablename__ = "ledger_batch"

    id: int | None = Field(default=None, primary_key=True)
    chain_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    mode: str = Field(max_length=8)
    status: str = Field(default=BatchStatus.PREPARED, max_length=10, index=True)
    size: int = Field(default=0)
    root: str | None = Field(default=None, max_length=66, index=True)
    tx_hash: str | None = Field(default=None, max_length=66)
    block_number: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    nonce: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    gas_used: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    raw_tx: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = _when(default_factory=utcnow)
    recorded_at: datetime | None = _when(default=None, nullable=True)


class LedgerEntry(SQLModel, table=True):
    """A reward waiting for, or carried by, a ledger transaction; one row per reward key."""

    __tablename__ = "ledger_entry"

    id: int | None = Field(default=None, primary_key=True)
    reward_key: str = Field(max_length=200, unique=True)
    reward_id: str = Field(max_length=66, unique=True)
    account: str = Field(max_length=42)
    points: int = Field(sa_column=Column(BigInteger, nullable=False))
    status: str = Field(default=EntryStatus.PENDING, max_length=10, index=True)
    batch_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("ledger_batch.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    proof: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = _when(default_factory=utcnow)
    recorded_at: datetime | None = _when(default=None, nullable=True)
