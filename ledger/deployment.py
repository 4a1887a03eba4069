"""The ledger contract on a chain: deployed on first use, its address kept in SQL, and on
the embedded chain rebuilt from SQL (the same signed transactions, sent again in order).
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from eth_utils import event_abi_to_log_topic, to_checksum_address
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from community.database import Database
from community.settings import Settings
from ledger.chain import Chain, ChainRejected, SignedTx, open_chain
from ledger.contract import compiled_contract
from ledger.models import BatchStatus, LedgerBatch, LedgerContract, LedgerEntry, LedgerMode

log = logging.getLogger(__name__)

DEPLOY_GAS = 2_000_000
ANCHOR_GAS = 120_000
RECORD_BASE_GAS = 100_000
RECORD_GAS_EACH = 60_000  # a new reward for a new account costs about 48,000
LOG_BLOCK_RANGE = 10_000  # public nodes cap eth_getLogs ranges
ACCOUNT_MASK = (1 << 160) - 1
PAGE = 256  # the contract's MAX_BATCH and MAX_PAGE


@dataclass
class Ledger:
    """The contract on one chain, with the calls the outbox and verification make."""

    chain: Chain
    address: str
    deploy_block: int
    applied: set[int] = field(default_factory=set)  # embedded: batches replayed or sent here
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def chain_id(self) -> int:
        return self.chain.chain_id

    @property
    def contract(self):  # type: ignore[no-untyped-def]
        return self.chain.contract(self.address)

    def record_batch_tx(self, entries: Sequence[LedgerEntry], nonce: int | None = None) -> SignedTx:
        data = self.contract.encode_abi(
            "record_batch",
            args=[
                [bytes.fromhex(e.reward_id[2:]) for e in entries],
                [e.account for e in entries],
                [e.points for e in entries],
            ],
        )
        gas = RECORD_BASE_GAS + RECORD_GAS_EACH * len(entries)
        return self.chain.sign(to=self.address, data=_bytes(data), gas=gas, nonce=nonce)

    def anchor_tx(self, root: str, count: int, nonce: int | None = None) -> SignedTx:
        data = self.contract.encode_abi("anchor", args=[bytes.fromhex(root[2:]), count])
        return self.chain.sign(to=self.address, data=_bytes(data), gas=ANCHOR_GAS, nonce=nonce)

    def recorded_many(self, reward_ids: Sequence[str]) -> list[tuple[str, int] | None]:
        """(account, points) on chain for each id, None where it was never recorded."""
        found: list[tuple[str, int] | None] = []
        for start in range(0, len(reward_ids), PAGE):
            page = [bytes.fromhex(i[2:]) for i in reward_ids[start : start + PAGE]]
            packed = self.chain.call(self.contract.functions.recorded_many(page).call)
            found += [_unpack(value) for value in packed]
        return found

    def is_anchored(self, root: str) -> bool:
        return bool(self.chain.call(self.contract.functions.anchored(bytes.fromhex(root[2:])).call))

    def verify_rewards(
        self, root: str, rewards: Sequence[tuple[str, str, int, Sequence[str]]]
    ) -> list[bool]:
        """The contract's own proof check, for (id, account, points, proof) under `root`."""
        found: list[bool] = []
        for start in range(0, len(rewards), 256):
            page = rewards[start : start + 256]
            call = self.contract.functions.verify_rewards(
                bytes.fromhex(root[2:]),
                [bytes.fromhex(r[0][2:]) for r in page],
                [r[1] for r in page],
                [r[2] for r in page],
                [[bytes.fromhex(p[2:]) for p in r[3]] for r in page],
            )
            found += list(self.chain.call(call.call))
        return found

    def event_topics(self, event: str, first_topics: Sequence[str] | None = None) -> list[dict]:
        """Raw logs of `event` from the deployment on (ids or roots are topic 1)."""
        abi = next(e for e in compiled_contract().abi if e.get("name") == event)
        topic = "0x" + event_abi_to_log_topic(abi).hex()
        latest = int(self.chain.call(lambda: self.chain.w3.eth.block_number))
        logs: list[dict] = []
        topics: list = [topic] if first_topics is None else [topic, list(first_topics)]
        for start in range(self.deploy_block, latest + 1, LOG_BLOCK_RANGE):
            query = {
                "address": self.address,
                "fromBlock": start,
                "toBlock": min(latest, start + LOG_BLOCK_RANGE - 1),
                "topics": topics,
            }
            logs += self.chain.call(lambda q=query: self.chain.w3.eth.get_logs(q))
        return logs


def _bytes(data: str | bytes) -> bytes:
    return bytes.fromhex(data[2:]) if isinstance(data, str) else bytes(data)


def _unpack(packed: int) -> tuple[str, int] | None:
    if packed == 0:
        return None
    return to_checksum_address((packed & ACCOUNT_MASK).to_bytes(20, "big")), packed >> 160


# One ledger per Database object: the embedded chain lives as long as the process uses it.
_LEDGERS: weakref.WeakKeyDictionary[Database, dict[str, Ledger]] = weakref.WeakKeyDictionary()
_OPENING = threading.Lock()


def open_ledger(db: Database, settings: Settings) -> Ledger:
    """The ledger for these settings, deploying the contract (or rebuilding the embedded
    chain from SQL) on first use. Raises ChainUnreachable when the node is down."""
    key = settings.chain_url or "embedded"
    with _OPENING:
        ledger = _LEDGERS.setdefault(db, {}).get(key)
        if ledger is None:
            chain = open_chain(settings)
            ledger = _attach(db, chain)
            _LEDGERS[db][key] = ledger
    if ledger.chain.embedded:
        catch_up(db, ledger)
    return ledger


def _attach(db: Database, chain: Chain) -> Ledger:
    chain_id = chain.chain_id
    with db.session() as session:
        row = session.get(LedgerContract, chain_id)
    if row is None:  # outside the read: compiling and deploying takes seconds
        return _deploy(db, chain)
    if chain.embedded:
        if row.deploy_tx is None:
            raise ChainRejected("the embedded ledger cannot be rebuilt: no deployment kept")
        chain.send(SignedTx(raw=row.deploy_tx, tx_hash=row.deploy_tx_hash, nonce=0))
    if not chain.has_code(row.address):
        raise ChainRejected(
            f"no ledger contract at {row.address} on chain {chain_id}: the node lost its "
            "state (start anvil with --state FILE)"
        )
    return Ledger(chain=chain, address=row.address, deploy_block=row.deploy_block)


def _deploy(db: Database, chain: Chain) -> Ledger:
    contract = compiled_contract()
    gas = max(DEPLOY_GAS, int(chain.estimate_gas(to=None, data=contract.bytecode) * 1.3))
    signed = chain.sign(to=None, data=contract.bytecode, gas=gas)
    receipt = chain.send(signed)
    tx = chain.call(lambda: chain.w3.eth.get_transaction_receipt(signed.tx_hash))
    address = to_checksum_address(tx["contractAddress"])
    values = {
        "chain_id": chain.chain_id,
        "address": address,
        "deployer": chain.account.address,
        "deploy_tx_hash": signed.tx_hash,
        "deploy_tx": signed.raw,
        "deploy_block": receipt.block_number,
        "source_hash": contract.source_hash,
    }
    with db.session() as session:
        insert = pg_insert if db.is_postgresql else sqlite_insert
        statement = insert(LedgerContract).values(**values).on_conflict_do_nothing()
        session.execute(statement)
        row = session.get(LedgerContract, chain.chain_id)
        assert row is not None
        if row.address != address:  # another worker deployed first: use theirs
            log.warning("ledger deployed twice on chain %s; using %s", chain.chain_id, row.address)
        log.info("ledger contract deployed at %s on chain %s", row.address, chain.chain_id)
        return Ledger(chain=chain, address=row.address, deploy_block=row.deploy_block)


def catch_up(db: Database, ledger: Ledger) -> None:
    """Embedded chain: send every batch SQL has recorded that this EVM has not seen yet."""
    with ledger.lock, db.session() as session:
        batches = session.exec(
            select(LedgerBatch)
            .where(LedgerBatch.chain_id == ledger.chain_id)
            .where(LedgerBatch.status == BatchStatus.RECORDED)
            .where(col(LedgerBatch.raw_tx).is_not(None))
            .order_by(col(LedgerBatch.nonce), col(LedgerBatch.id))
        ).all()
        for batch in batches:
            if batch.id not in ledger.applied:
                _replay(session, ledger, batch)
                ledger.applied.add(batch.id or 0)


def _replay(session: Session, ledger: Ledger, batch: LedgerBatch) -> None:
    assert batch.raw_tx is not None and batch.tx_hash is not None
    signed = SignedTx(raw=batch.raw_tx, tx_hash=batch.tx_hash, nonce=batch.nonce or 0)
    try:
        ledger.chain.send(signed)
        return
    except ChainRejected as error:  # e.g. its nonce was taken: sign it again
        log.warning("replaying ledger batch %s again with a new nonce: %s", batch.id, error)
    entries = batch_entries(session, batch)
    if batch.mode == LedgerMode.MERKLE:
        assert batch.root is not None
        signed = ledger.anchor_tx(batch.root, batch.size)
    else:
        signed = ledger.record_batch_tx(entries)
    receipt = ledger.chain.send(signed)
    batch.raw_tx, batch.tx_hash, batch.nonce = signed.raw, signed.tx_hash, signed.nonce
    batch.block_number = receipt.block_number
    session.add(batch)


def batch_entries(session: Session, batch: LedgerBatch) -> list[LedgerEntry]:
    return list(
        session.exec(
            select(LedgerEntry)
            .where(LedgerEntry.batch_id == batch.id)
            .order_by(col(LedgerEntry.id))
        ).all()
    )


def forget_ledgers(db: Database) -> None:
    """Drop this process's ledger for `db` (tests simulate a restart with it)."""
    _LEDGERS.pop(db, None)


def topics_of(logs: Iterable[dict]) -> list[str]:
    return ["0x" + bytes(entry["topics"][1]).hex() for entry in logs]
