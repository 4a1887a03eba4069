"""`alytus ledger verify`: the rewards the journal says were given, checked against the chain.

The chain is asked, not SQL: a reward counts as recorded when the contract holds it with the
same account and points, or (Merkle mode) when its stored proof verifies on chain against an
anchored root. On-chain rewards and roots nobody expected are reported too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_utils import to_checksum_address
from sqlmodel import col, select

from community.database import Database
from community.settings import Settings
from ledger.addresses import reward_id_for
from ledger.deployment import Ledger, open_ledger, topics_of
from ledger.models import BatchStatus, LedgerBatch, LedgerEntry, LedgerMode


@dataclass(frozen=True)
class ExpectedReward:
    """A reward as the journal knows it (the rewards room supplies these)."""

    reward_key: str
    account: str
    points: int


@dataclass
class VerifyReport:
    journal: int = 0
    recorded: int = 0
    missing: list[str] = field(default_factory=list)  # reward keys
    unexpected: list[str] = field(default_factory=list)  # on-chain reward ids (or roots)
    mismatched: list[str] = field(default_factory=list)  # reward keys

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    def as_dict(self) -> dict[str, Any]:
        return {
            "journal": self.journal,
            "recorded": self.recorded,
            "missing": self.missing,
            "unexpected": self.unexpected,
            "mismatched": self.mismatched,
        }


def verify(*, db: Database, settings: Settings, expected: Iterable[ExpectedReward]) -> VerifyReport:
    """Compare the journal's rewards with what the chain holds. Raises ChainUnreachable."""
    wanted = {reward.reward_key: reward for reward in expected}
    report = VerifyReport(journal=len(wanted))
    ledger = open_ledger(db, settings)
    keys = sorted(wanted)
    ids = {key: reward_id_for(settings, key) for key in keys}
    on_chain = dict(zip(keys, ledger.recorded_many([ids[k] for k in keys]), strict=True))
    entries, roots = _merkle_entries(db, ledger)
    unproven: dict[str, list[str]] = defaultdict(list)  # root -> keys to check by proof
    for key in keys:
        reward = wanted[key]
        found = on_chain[key]
        if found is not None:
            if found == (to_checksum_address(reward.account), reward.points):
                report.recorded += 1
            else:
                report.mismatched.append(key)
        elif key in entries:
            unproven[entries[key].root].append(key)
        else:
            report.missing.append(key)
    for root, root_keys in unproven.items():
        _check_proofs(ledger, root, root_keys, wanted, entries, report)
    report.unexpected = _unexpected(ledger, set(ids.values()), entries, roots, wanted)
    report.missing.sort()
    report.mismatched.sort()
    return report


@dataclass(frozen=True)
class _Proven:
    reward_id: str
    account: str
    points: int
    root: str
    proof: list[str]
    sent: bool  # its batch is marked recorded


def _merkle_entries(db: Database, ledger: Ledger) -> tuple[dict[str, _Proven], set[str]]:
    """Entries SQL says went into Merkle roots on this chain, and those roots."""
    with db.session() as session:
        rows = session.exec(
            select(LedgerEntry, LedgerBatch)
            .join(LedgerBatch, col(LedgerEntry.batch_id) == col(LedgerBatch.id))
            .where(LedgerBatch.chain_id == ledger.chain_id)
            .where(LedgerBatch.mode == LedgerMode.MERKLE)
        ).all()
        roots = session.exec(
            select(LedgerBatch.root)
            .where(LedgerBatch.chain_id == ledger.chain_id)
            .where(LedgerBatch.mode == LedgerMode.MERKLE)
            .where(col(LedgerBatch.status).in_([BatchStatus.RECORDED, BatchStatus.PREPARED]))
        ).all()
    entries = {
        entry.reward_key: _Proven(
            entry.reward_id,
            entry.account,
            entry.points,
            batch.root or "",
            entry.proof or [],
            batch.status == BatchStatus.RECORDED,
        )
        for entry, batch in rows
    }
    return entries, {root for root in roots if root}


def _check_proofs(
    ledger: Ledger,
    root: str,
    keys: list[str],
    wanted: dict[str, ExpectedReward],
    entries: dict[str, _Proven],
    report: VerifyReport,
) -> None:
    """Ask the contract whether each reward, as the journal has it, is under `root`."""
    as_expected = [
        (entries[k].reward_id, to_checksum_address(wanted[k].account), wanted[k].points)
        for k in keys
    ]
    valid = ledger.verify_rewards(
        root, [(*reward, entries[k].proof) for reward, k in zip(as_expected, keys, strict=True)]
    )
    doubtful = [k for k, ok in zip(keys, valid, strict=True) if not ok]
    report.recorded += len(keys) - len(doubtful)
    if not doubtful:
        return
    as_stored = [
        (entries[k].reward_id, entries[k].account, entries[k].points, entries[k].proof)
        for k in doubtful
    ]
    for key, ok in zip(doubtful, ledger.verify_rewards(root, as_stored), strict=True):
        (report.mismatched if ok else report.missing).append(key)


def _unexpected(
    ledger: Ledger,
    expected_ids: set[str],
    entries: dict[str, _Proven],
    roots: set[str],
    wanted: dict[str, ExpectedReward],
) -> list[str]:
    """Reward ids on chain that the journal does not know, and roots SQL never made."""
    on_chain = set(topics_of(ledger.event_topics("Recorded")))
    found = on_chain - expected_ids
    found |= {
        proven.reward_id for key, proven in entries.items() if proven.sent and key not in wanted
    }
    anchored = set(topics_of(ledger.event_topics("Anchored")))
    return sorted(found) + sorted(f"root:{root}" for root in anchored - roots)


@dataclass(frozen=True)
class RewardCheck:
    """What the chain says of one reward id (the public check page a member's /points links
    to): recorded, with its points and pseudonymous account, or not found."""

    reward_id: str
    recorded: bool
    points: int | None = None
    account: str | None = None
    chain_id: int | None = None
    contract: str | None = None
    block_number: int | None = None
    tx_hash: str | None = None
    root: str | None = None  # Merkle mode: the anchored root its proof verified against


def check_rewards(
    *, db: Database, settings: Settings, reward_ids: Sequence[str]
) -> list[RewardCheck]:
    """Ask the chain about each reward id (or the start of one, as short links carry them):
    in batch mode the contract's own record of it, in Merkle mode its stored proof, verified
    by the contract against the anchored root. SQL only says where to look (the whole id,
    the transaction, the root); the answer is the chain's. Raises ChainUnreachable."""
    ledger = open_ledger(db, settings)
    whole = _whole_ids(db, reward_ids)
    asked = [reward_id for reward_id in whole.values() if reward_id]
    with db.session() as session:
        rows = session.exec(
            select(LedgerEntry, LedgerBatch)
            .join(LedgerBatch, col(LedgerEntry.batch_id) == col(LedgerBatch.id))
            .where(col(LedgerEntry.reward_id).in_(asked))
            .where(LedgerBatch.chain_id == ledger.chain_id)
            .where(LedgerBatch.status == BatchStatus.RECORDED)
        ).all()
    sent = {entry.reward_id: (entry, batch) for entry, batch in rows}
    with ledger.lock:  # the embedded EVM is not for two threads at once
        on_chain = dict(zip(asked, ledger.recorded_many(asked), strict=True))
        return [
            _check(ledger, reward_id, on_chain[reward_id], *sent.get(reward_id, (None, None)))
            if reward_id
            else RewardCheck(text, False)
            for text, reward_id in whole.items()
        ]


def _check(
    ledger: Ledger,
    reward_id: str,
    record: tuple[str, int] | None,
    entry: LedgerEntry | None,
    batch: LedgerBatch | None,
) -> RewardCheck:
    """One reward as the chain has it (its record, or its Merkle proof against the root)."""
    where: dict[str, Any] = {
        "chain_id": ledger.chain_id,
        "contract": ledger.address,
        "block_number": batch.block_number if batch else None,
        "tx_hash": batch.tx_hash if batch else None,
    }
    if record is not None:
        account, points = record
        return RewardCheck(reward_id, True, points, account, **where)
    if entry is not None and batch is not None and batch.root and entry.proof:
        claim = (reward_id, to_checksum_address(entry.account), entry.points, entry.proof)
        [proven] = ledger.verify_rewards(batch.root, [claim])
        if proven:
            return RewardCheck(reward_id, True, entry.points, claim[1], root=batch.root, **where)
    return RewardCheck(reward_id, False)


def _whole_ids(db: Database, asked: Sequence[str]) -> dict[str, str | None]:
    """Each asked id as the chain knows it ("0x" and 64 hex digits); a shorter start of one
    is completed from the ledger entries when exactly one matches, else None."""
    found: dict[str, str | None] = {}
    with db.session() as session:
        for text in asked:
            digits = text.lower().removeprefix("0x")
            if len(digits) == 64:
                found[text] = "0x" + digits
                continue
            matches = session.exec(
                select(LedgerEntry.reward_id)
                .where(col(LedgerEntry.reward_id).startswith("0x" + digits, autoescape=True))
                .limit(2)
            ).all()
            found[text] = matches[0] if len(matches) == 1 else None
    return found
