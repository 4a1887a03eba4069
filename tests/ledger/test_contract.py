"""The Vyper contract itself: compiled in process, points not transferable, ids used once,
Merkle proofs checked by the contract against anchored roots."""

from __future__ import annotations

from eth_utils import keccak, to_checksum_address

from community.database import Database
from community.settings import Settings
from ledger import contract
from ledger.addresses import reward_id_for
from ledger.contract import compiled_contract
from ledger.deployment import open_ledger
from ledger.merkle import build_tree, reward_leaf, verify_proof
from ledger.models import LedgerEntry


def test_the_contract_has_no_transfer_function():
    names = {item.get("name") for item in compiled_contract().abi}
    assert {"record_batch", "recorded", "anchor", "anchored", "verify_reward"} <= names
    assert "balanceOf" in names
    assert not {name for name in names if name and "transfer" in name} - {"transfer_ownership"}


def test_a_reward_id_is_recorded_once(db: Database, settings: Settings):
    ledger = open_ledger(db, settings)
    account = to_checksum_address("0x" + "ab" * 20)
    entry = LedgerEntry(
        reward_key="k", reward_id=reward_id_for(settings, "k"), account=account, points=7
    )
    for _ in range(2):
        ledger.chain.send(ledger.record_batch_tx([entry]))
    assert ledger.contract.functions.balanceOf(account).call() == 7
    assert ledger.recorded_many([entry.reward_id])[0] == (account, 7)
    assert ledger.contract.functions.reward_count().call() == 1


def test_a_proof_verifies_on_chain_and_a_tampered_one_does_not(db: Database, settings: Settings):
    ledger = open_ledger(db, settings)
    rewards = [
        (keccak(text=f"r{i}"), to_checksum_address(f"0x{i + 1:040x}"), i + 1) for i in range(13)
    ]
    tree = build_tree([reward_leaf(*reward) for reward in rewards])
    root = tree.root
    ledger.chain.send(ledger.anchor_tx("0x" + root.hex(), len(rewards)))
    verify = ledger.contract.functions.verify_reward
    for (reward_id, account, points), proof in zip(rewards, tree.proofs, strict=True):
        assert verify_proof(root, reward_leaf(reward_id, account, points), proof)
        assert verify(root, reward_id, account, points, proof).call() is True
        assert verify(root, reward_id, account, points + 1, proof).call() is False
    reward_id, account, points = rewards[4]
    proof = list(tree.proofs[4])
    proof[0] = bytes(32)
    assert verify(root, reward_id, account, points, proof).call() is False
    unknown_root = keccak(b"not anchored")
    assert verify(unknown_root, reward_id, account, points, tree.proofs[4]).call() is False


def test_the_shipped_compiled_contract_is_the_source_compiled():
    """The bytecode the service deploys ships in the package (before, it was cached in the
    shared temp folder and trusted as found). It must be exactly what the source compiles
    to with the installed Vyper: `python -m ledger.contract` makes it again."""
    source = contract.SOURCE.read_text(encoding="utf-8")
    digest = contract._source_hash(source)
    shipped = contract.shipped_output(digest)
    assert shipped is not None, "RewardLedger.json is stale: python -m ledger.contract"
    fresh = contract._compile(source)
    assert shipped["bytecode"] == fresh["bytecode"] and shipped["abi"] == fresh["abi"]
    assert contract.compiled_contract().bytecode.hex() == fresh["bytecode"].removeprefix("0x")
