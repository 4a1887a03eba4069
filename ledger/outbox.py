"""The outbox that records every reward on chain exactly once.

The rewards room calls `enqueue` inside its own transaction, right after writing the journal
row, so a reward and its ledger entry commit together. `sync` sends pending entries in
batches. A batch is written to SQL before it is sent, and before (re)sending the contract is
asked which of its rewards are already there, so a sync killed at any instant and run again
never records a reward twice and never loses one.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from eth_utils import is_address, to_checksum_address
from sqlalchemy import func, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from community.database import Database
from community.models import utcnow
from community.settings import Settings
from ledger.addresses import reward_id_for
from ledger.chain import ChainRejected, ChainUnreachable, Receipt, SignedTx
from ledger.deployment import Ledger, open_ledger
from ledger.merkle import build_tree, reward_leaf
from ledger.models import (
    BatchStatus,
    EntryStatus,
    LedgerBatch,
    LedgerContract,
    LedgerEntry,
    LedgerMode,
)

log = logging.getLogger(__name__)

MAX_POINTS = 1 << 96  # the contract packs points beside the account in one slot
MAX_RECORDS_PER_TX = 256  # the contract's MAX_BATCH
RETRY_DELAYS = (0.2, 1.0, 3.0)


class LedgerError(ValueError):
    """A reward the ledger cannot take (bad account or points)."""


def enqueue(
    *, session: Session, settings: Settings, reward_key: str, account: str, points: int
) -> None:
    """Queue a reward for the chain, in the caller's transaction; a repeated key adds nothing."""
    if not is_address(account):
        raise LedgerError(f"not an address: {account!r}")
    if not 0 <= points < MAX_POINTS:
        raise LedgerError(f"points out of range: {points}")
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(LedgerEntry)
        .values(
            reward_key=reward_key,
            reward_id=reward_id_for(settings, reward_key),
            account=to_checksum_address(account),
            points=points,
            status=EntryStatus.PENDING,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing()
    )
    session.execute(statement)


@dataclass
class SyncReport:
    """What one sync did; `reachable` False means the chain was down and nothing was lost."""

    mode: str
    reachable: bool = True
    recorded: int = 0
    already_on_chain: int = 0
    transactions: int = 0
    pending: int = 0
    chain_id: int | None = None
    contract: str | None = None
    error: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        if not self.reachable:
            return f"chain unreachable; {self.pending} rewards stay pending ({self.error})"
        text = (
            f"recorded {self.recorded} rewards in {self.transactions} transactions "
            f"({self.already_on_chain} were already on chain), {self.pending} pending, "
            f"{self.seconds:.1f} s, mode {self.mode}, contract {self.contract} "
            f"on chain {self.chain_id}"
        )
        return text + (f"; stopped: {self.error}" if self.error else "")


@dataclass(frozen=True)
class LedgerProof:
    """Where a reward stands on chain, for the chat's "/points" proof line."""

    status: str  # "pending" | "recorded"
    reward_id: str
    account: str
    points: int
    tx_hash: str | None = None
    block_number: int | None = None
    chain_id: int | None = None
    contract: str | None = None
    root: str | None = None
    proof: list[str] = field(default_factory=list)


@dataclass
class _Work:
    """A claimed batch as read from SQL, carried across the chain call."""

    batch_id: int
    mode: str
    root: str | None
    entries: list[Any]  # rows of (id, reward_id, account, points)


def sync(*, db: Database, settings: Settings, limit: int | None = None) -> SyncReport:
    """Record pending rewards (at most `limit`), then return; chain errors end up in the report."""
    started = time.monotonic()
    report = SyncReport(mode=settings.ledger_mode)
    try:
        ledger = open_ledger(db, settings)
        report.chain_id, report.contract = ledger.chain_id, ledger.address
        with ledger.lock:  # one sender per process: the nonce and the embedded EVM are shared
            for batch_id in _unfinished(db, ledger):
                _finish_with_retry(db, ledger, batch_id, report)
            while limit is None or report.recorded < limit:
                size = _batch_size(settings, limit, report)
                batch_id = _claim(db, ledger, settings.ledger_mode, size)
                if batch_id is None:
                    break
                _finish_with_retry(db, ledger, batch_id, report)
    except ChainUnreachable as error:
        report.reachable, report.error = False, str(error)
        log.warning("ledger sync: %s", error)
    except (ChainRejected, OperationalError) as error:
        report.error = str(error)[:500]
        log.error("ledger sync stopped: %s", report.error)
    with db.session() as session:
        report.pending = _count(session, EntryStatus.PENDING, EntryStatus.CLAIMED)
        if report.chain_id is not None:
            row = session.get(LedgerContract, report.chain_id)
            if row is not None:
                row.last_sync_at = utcnow()
                session.add(row)
    report.seconds = time.monotonic() - started
    return report


def _batch_size(settings: Settings, limit: int | None, report: SyncReport) -> int:
    size = settings.ledger_batch_size
    if settings.ledger_mode == LedgerMode.BATCH:
        size = min(size, MAX_RECORDS_PER_TX)
    if limit is not None:
        size = min(size, limit - report.recorded)
    return size


def _unfinished(db: Database, ledger: Ledger) -> list[int]:
    """Batches written before a crash (or a failed send) and not yet known to be on chain."""
    with db.session() as session:
        query = (
            select(LedgerBatch.id)
            .where(LedgerBatch.chain_id == ledger.chain_id)
            .where(LedgerBatch.status == BatchStatus.PREPARED)
            .order_by(col(LedgerBatch.id))
        )
        return [batch_id for batch_id in session.exec(query).all() if batch_id is not None]


def _claim(db: Database, ledger: Ledger, mode: str, size: int) -> int | None:
    """Move up to `size` pending entries into a new prepared batch (committed before sending)."""
    with db.session() as session:
        query = (
            select(LedgerEntry.id, LedgerEntry.reward_id, LedgerEntry.account, LedgerEntry.points)
            .where(LedgerEntry.status == EntryStatus.PENDING)
            .order_by(col(LedgerEntry.id))
            .limit(size)
        )
        if db.is_postgresql:  # two workers never take the same entry
            query = query.with_for_update(skip_locked=True)
        rows = session.exec(query).all()
        if not rows:
            return None
        batch = LedgerBatch(chain_id=ledger.chain_id, mode=mode, size=len(rows))
        proofs: list[list[str] | None] = [None] * len(rows)
        if mode == LedgerMode.MERKLE:
            tree = build_tree([reward_leaf(bytes.fromhex(r[1][2:]), r[2], int(r[3])) for r in rows])
            batch.root = "0x" + tree.root.hex()
            proofs = [["0x" + node.hex() for node in proof] for proof in tree.proofs]
        session.add(batch)
        session.flush()
        changes = [
            {"id": row[0], "status": EntryStatus.CLAIMED, "batch_id": batch.id, "proof": proof}
            for row, proof in zip(rows, proofs, strict=True)
        ]
        session.execute(update(LedgerEntry), changes)
        return batch.id


def _finish_with_retry(db: Database, ledger: Ledger, batch_id: int, report: SyncReport) -> None:
    """Send a prepared batch; a rejected transaction is retried with backoff, then given up."""
    for attempt, delay in enumerate((0.0, *RETRY_DELAYS)):
        time.sleep(delay)
        try:
            _finish(db, ledger, batch_id, report)
            return
        except (ChainRejected, OperationalError) as error:
            reason = str(error)[:500]
            log.warning("ledger batch %s, attempt %s failed: %s", batch_id, attempt + 1, reason)
            _note_failure(db, batch_id, reason)
            if attempt == len(RETRY_DELAYS):
                raise


def _note_failure(db: Database, batch_id: int, reason: str) -> None:
    with db.session() as session:
        batch = session.get(LedgerBatch, batch_id)
        if batch is not None:
            batch.attempts += 1
            batch.last_error = reason
            session.add(batch)


def _finish(db: Database, ledger: Ledger, batch_id: int, report: SyncReport) -> None:
    """Check the chain, send what is missing, mark the batch and its entries recorded.

    PostgreSQL: the batch row stays locked from the check to the mark, so a second worker
    skips it. SQLite (one writer) reads, sends, then writes in a new transaction, so the chat
    is never kept waiting on the chain.
    """
    with db.session() as session:
        work = _load(session, db, batch_id)
        if work is None:
            return
        if db.is_postgresql:
            _mark(session, ledger, work, _send(ledger, work, report))
    if not db.is_postgresql:
        result = _send(ledger, work, report)
        with db.session() as session:
            _mark(session, ledger, work, result)
    report.recorded += len(work.entries)


def _load(session: Session, db: Database, batch_id: int) -> _Work | None:
    query = select(LedgerBatch).where(
        LedgerBatch.id == batch_id, LedgerBatch.status == BatchStatus.PREPARED
    )
    if db.is_postgresql:
        query = query.with_for_update(skip_locked=True)
    batch = session.exec(query).first()
    if batch is None:
        return None
    rows = session.exec(
        select(LedgerEntry.id, LedgerEntry.reward_id, LedgerEntry.account, LedgerEntry.points)
        .where(LedgerEntry.batch_id == batch_id)
        .order_by(col(LedgerEntry.id))
    ).all()
    return _Work(batch_id=batch_id, mode=batch.mode, root=batch.root, entries=list(rows))


@dataclass
class _Sent:
    signed: SignedTx | None
    receipt: Receipt | None


def _send(ledger: Ledger, work: _Work, report: SyncReport) -> _Sent:
    """Ask the contract what is already there; send only what is not."""
    if work.mode == LedgerMode.MERKLE:
        assert work.root is not None
        if ledger.is_anchored(work.root):
            report.already_on_chain += len(work.entries)
            return _Sent(None, _found(ledger, "Anchored", work.root))
        signed = ledger.anchor_tx(work.root, len(work.entries))
    else:
        on_chain = ledger.recorded_many([row[1] for row in work.entries])
        todo = []
        for row, found in zip(work.entries, on_chain, strict=True):
            if found is None:
                todo.append(_entry(row))
            elif found != (row[2], int(row[3])):
                log.warning("reward %s is on chain as %s, not %s", row[1], found, row[2:])
        report.already_on_chain += len(work.entries) - len(todo)
        if not todo:
            return _Sent(None, _found(ledger, "Recorded", work.entries[0][1]))
        signed = ledger.record_batch_tx(todo)
    receipt = ledger.chain.send(signed)
    report.transactions += 1
    return _Sent(signed, receipt)


def _entry(row: Any) -> LedgerEntry:
    return LedgerEntry(reward_key="", reward_id=row[1], account=row[2], points=int(row[3]))


def _found(ledger: Ledger, event: str, topic: str) -> Receipt | None:
    """The transaction that put `topic` (a reward id or root) on chain, from its event."""
    logs = ledger.event_topics(event, [topic])
    if not logs:
        return None
    first = logs[0]
    return Receipt(
        tx_hash="0x" + bytes(first["transactionHash"]).hex(),
        block_number=int(first["blockNumber"]),
        gas_used=0,
    )


def _mark(session: Session, ledger: Ledger, work: _Work, sent: _Sent) -> None:
    now = utcnow()
    batch = session.get(LedgerBatch, work.batch_id)
    assert batch is not None
    batch.status, batch.recorded_at = BatchStatus.RECORDED, now
    if sent.receipt is not None:
        batch.tx_hash, batch.block_number = sent.receipt.tx_hash, sent.receipt.block_number
        batch.gas_used = sent.receipt.gas_used or None
    if sent.signed is not None:  # kept so the embedded chain can be rebuilt from SQL
        batch.raw_tx, batch.nonce = sent.signed.raw, sent.signed.nonce
    session.add(batch)
    session.execute(
        update(LedgerEntry),
        [
            {"id": row[0], "status": EntryStatus.RECORDED, "recorded_at": now}
            for row in work.entries
        ],
    )
    session.flush()
    if ledger.chain.embedded and sent.signed is not None:
        ledger.applied.add(work.batch_id)


def _count(session: Session, *statuses: str) -> int:
    query = select(func.count()).select_from(LedgerEntry)
    query = query.where(col(LedgerEntry.status).in_(statuses))
    return int(session.exec(query).one())


def proof_of(*, session: Session, reward_key: str) -> LedgerProof | None:
    """The reward's place on chain (tx, block, and in Merkle mode root and proof), or None."""
    entry = session.exec(select(LedgerEntry).where(LedgerEntry.reward_key == reward_key)).first()
    if entry is None:
        return None
    batch = session.get(LedgerBatch, entry.batch_id) if entry.batch_id else None
    recorded = entry.status == EntryStatus.RECORDED and batch is not None
    if not recorded or batch is None:
        return LedgerProof(
            status="pending", reward_id=entry.reward_id, account=entry.account, points=entry.points
        )
    contract = session.get(LedgerContract, batch.chain_id)
    return LedgerProof(
        status="recorded",
        reward_id=entry.reward_id,
        account=entry.account,
        points=entry.points,
        tx_hash=batch.tx_hash,
        block_number=batch.block_number,
        chain_id=batch.chain_id,
        contract=contract.address if contract else None,
        root=batch.root if batch.mode == LedgerMode.MERKLE else None,
        proof=list(entry.proof or []) if batch.mode == LedgerMode.MERKLE else [],
    )


def status(*, session: Session) -> dict[str, Any]:
    """Counts for staff: pending and recorded rewards, batches, last sync, the contract."""
    contract = session.exec(
        select(LedgerContract).order_by(
            col(LedgerContract.last_sync_at).desc(), col(LedgerContract.created_at).desc()
        )
    ).first()
    batches = session.exec(
        select(func.count())
        .select_from(LedgerBatch)
        .where(LedgerBatch.status == BatchStatus.RECORDED)
    ).one()
    return {
        "pending": _count(session, EntryStatus.PENDING, EntryStatus.CLAIMED),
        "recorded": _count(session, EntryStatus.RECORDED),
        "batches": int(batches),
        "last_sync_at": (
            contract.last_sync_at.isoformat() if contract and contract.last_sync_at else None
        ),
        "contract": contract.address if contract else None,
        "chain_id": contract.chain_id if contract else None,
    }


def run_forever(
    *,
    db: Database,
    settings: Settings,
    interval: float = 5.0,
    stop: threading.Event | None = None,
) -> None:
    """`alytus worker`'s ledger loop: sync, wait, again, until `stop` is set."""
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            report = sync(db=db, settings=settings)
            if report.transactions or report.error:
                log.info("ledger: %s", report.summary())
        except Exception:  # the loop must outlive any one bad sync
            log.exception("ledger sync failed")
        stop.wait(interval)
