"""Gas a reward on the ledger contract (embedded EVM, same bytecode as any node runs):
one reward alone, a batch of 200, and one Merkle anchor for 1,000 rewards.

Run: .venv/bin/python bench/ledger_gas.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from eth_utils import keccak, to_checksum_address

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ledger.chain import EmbeddedChain  # noqa: E402
from ledger.contract import compiled_contract  # noqa: E402
from ledger.deployment import Ledger  # noqa: E402
from ledger.merkle import build_tree, reward_leaf  # noqa: E402
from ledger.models import LedgerEntry  # noqa: E402


def entries(prefix: str, count: int, members: int) -> list[LedgerEntry]:
    return [
        LedgerEntry(
            reward_key="",
            reward_id="0x" + keccak(text=f"{prefix}:{i}").hex(),
            account=to_checksum_address(keccak(text=f"member:{i % members}")[:20]),
            points=10,
        )
        for i in range(count)
    ]


def main() -> None:
    chain = EmbeddedChain()
    bytecode = compiled_contract().bytecode
    signed = chain.sign(to=None, data=bytecode, gas=3_000_000)
    deployed = chain.send(signed)
    address = chain.w3.eth.get_transaction_receipt(signed.tx_hash)["contractAddress"]
    ledger = Ledger(chain=chain, address=address, deploy_block=deployed.block_number)
    print(f"deploy: {deployed.gas_used:,} gas")
    # warm the counters so each figure is what a running ledger pays
    chain.send(ledger.record_batch_tx(entries("warm", 1, 1)))
    chain.send(ledger.anchor_tx("0x" + keccak(b"warm").hex(), 1))
    for label, members in (("new members", 10_000), ("members seen before", 1)):
        if members == 1:
            chain.send(ledger.record_batch_tx(entries(f"seen-{label}", 1, 1)))
        single = chain.send(ledger.record_batch_tx(entries(f"one-{label}", 1, members)))
        batch = chain.send(ledger.record_batch_tx(entries(f"batch-{label}", 200, members)))
        print(f"record, {label}: single {single.gas_used:,} gas; ", end="")
        print(f"batch of 200 {batch.gas_used / 200:,.0f} gas a reward")
    rewards = entries("merkle", 1000, 1000)
    tree = build_tree(
        [reward_leaf(bytes.fromhex(e.reward_id[2:]), e.account, e.points) for e in rewards]
    )
    anchor = chain.send(ledger.anchor_tx("0x" + tree.root.hex(), 1000))
    print(f"merkle: one anchor {anchor.gas_used:,} gas = {anchor.gas_used / 1000:.1f} gas a reward")
    print("(issue's figures: single 58,670; batch of 200 26,151 a reward; merkle 47.7 a reward)")


if __name__ == "__main__":
    main()
