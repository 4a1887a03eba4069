"""The outbox: every reward recorded on chain once, in batch and Merkle mode, on the
embedded EVM and on anvil (a real local node); nothing lost when the chain is down or the
embedded chain is rebuilt."""

from __future__ import annotations

from pydantic import SecretStr

from community.database import Database
from community.settings import Settings
from ledger.deployment import forget_ledgers, open_ledger
from ledger.outbox import enqueue, proof_of, status, sync
from ledger.verify import ExpectedReward, verify
from tests.ledger.anvil_node import ANVIL_KEY, free_port
from tests.ledger.conftest import add_rewards


def expected(rewards: list[tuple[str, str, int]]) -> list[ExpectedReward]:
    return [ExpectedReward(*reward) for reward in rewards]


def test_a_reward_enqueued_twice_is_recorded_once(db: Database, chain_settings: Settings):
    rewards = add_rewards(db, chain_settings, 3)
    add_rewards(db, chain_settings, 3)  # the same keys again
    with db.session() as session:
        enqueue(
            session=session,
            settings=chain_settings,
            reward_key="reward:0",
            account=rewards[0][1],
            points=999,
        )
    report = sync(db=db, settings=chain_settings)
    assert (report.recorded, report.pending, report.reachable) == (3, 0, True)
    assert sync(db=db, settings=chain_settings).transactions == 0
    ledger = open_ledger(db, chain_settings)
    assert ledger.contract.functions.reward_count().call() == 3
    result = verify(db=db, settings=chain_settings, expected=expected(rewards))
    assert result.as_dict() == {
        "journal": 3,
        "recorded": 3,
        "missing": [],
        "unexpected": [],
        "mismatched": [],
    }


def test_batch_and_merkle_mode_both_verify(db: Database, chain_settings: Settings):
    batch = chain_settings.model_copy(update={"ledger_mode": "batch", "ledger_batch_size": 40})
    merkle = chain_settings.model_copy(update={"ledger_mode": "merkle", "ledger_batch_size": 40})
    first = add_rewards(db, batch, 100, prefix="batch")
    assert sync(db=db, settings=batch).transactions == 3
    second = add_rewards(db, merkle, 100, prefix="merkle")
    report = sync(db=db, settings=merkle)
    assert (report.recorded, report.transactions) == (100, 3)
    result = verify(db=db, settings=merkle, expected=expected(first + second))
    assert (result.recorded, result.ok) == (200, True)
    with db.session() as session:
        proof = proof_of(session=session, reward_key="merkle:5")
        assert proof is not None and proof.status == "recorded"
        assert proof.root and proof.proof and proof.tx_hash and proof.block_number
        counts = status(session=session)
    assert counts["pending"] == 0 and counts["recorded"] == 200 and counts["batches"] == 6
    ledger = open_ledger(db, merkle)
    assert ledger.verify_rewards(
        proof.root, [(proof.reward_id, proof.account, proof.points, proof.proof)]
    ) == [True]
    assert ledger.verify_rewards(
        proof.root, [(proof.reward_id, proof.account, proof.points + 1, proof.proof)]
    ) == [False]


def test_a_proof_says_pending_until_synced(db: Database, settings: Settings):
    add_rewards(db, settings, 1)
    with db.session() as session:
        assert proof_of(session=session, reward_key="nobody") is None
        pending = proof_of(session=session, reward_key="reward:0")
    assert pending is not None and pending.status == "pending" and pending.tx_hash is None
    sync(db=db, settings=settings)
    with db.session() as session:
        recorded = proof_of(session=session, reward_key="reward:0")
    assert recorded is not None and recorded.status == "recorded"
    assert recorded.tx_hash and recorded.tx_hash.startswith("0x") and recorded.root is None


def test_the_embedded_chain_is_rebuilt_from_sql_after_a_restart(db: Database, settings: Settings):
    for mode in ("batch", "merkle"):
        changed = settings.model_copy(update={"ledger_mode": mode, "ledger_batch_size": 25})
        add_rewards(db, changed, 60, prefix=mode)
        sync(db=db, settings=changed)
    before = open_ledger(db, settings)
    with db.session() as session:
        proof = proof_of(session=session, reward_key="batch:3")
    forget_ledgers(db)  # what a new process sees: an empty EVM, then the replay
    after = open_ledger(db, settings)
    assert after is not before and after.address == before.address
    rewards = [
        ExpectedReward(f"{mode}:{i}", *reward[1:])
        for mode in ("batch", "merkle")
        for i, reward in enumerate(add_rewards(db, settings, 60, prefix=mode))
    ]
    result = verify(db=db, settings=settings, expected=rewards)
    assert (result.recorded, result.ok) == (120, True)
    assert proof is not None
    assert after.chain.receipt(proof.tx_hash or "") is not None  # the same transaction hash


def test_chain_down_keeps_rewards_pending_then_a_later_sync_records_them(
    db: Database, settings: Settings, anvil
):
    down = settings.model_copy(
        update={
            "chain_url": f"http://127.0.0.1:{free_port()}",
            "chain_private_key": SecretStr(ANVIL_KEY),
        }
    )
    rewards = add_rewards(db, down, 5)
    report = sync(db=db, settings=down)
    assert (report.reachable, report.recorded, report.pending) == (False, 0, 5)
    assert "unreachable" in report.summary()
    up = down.model_copy(update={"chain_url": anvil.url})
    report = sync(db=db, settings=up)
    assert (report.reachable, report.recorded, report.pending) == (True, 5, 0)
    assert verify(db=db, settings=up, expected=expected(rewards)).ok
