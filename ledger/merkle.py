"""Merkle trees of rewards, built to match snekmate's (OpenZeppelin's) proof verification:
pairs are hashed in sorted order, so a proof is just the siblings from leaf to root."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eth_abi import encode
from eth_utils import keccak


def reward_leaf(reward_id: bytes, account: str, points: int) -> bytes:
    """keccak256(abi_encode(id, account, points)), as the contract computes it."""
    return keccak(encode(["bytes32", "address", "uint256"], [reward_id, account, points]))


def _pair(a: bytes, b: bytes) -> bytes:
    return keccak(a + b) if a < b else keccak(b + a)


@dataclass(frozen=True)
class MerkleTree:
    root: bytes
    proofs: list[list[bytes]]  # one per leaf, in the order the leaves were given


def build_tree(leaves: Sequence[bytes]) -> MerkleTree:
    """Pairs neighbours level by level; an odd last node moves up unchanged."""
    if not leaves:
        raise ValueError("a Merkle tree needs at least one leaf")
    proofs: list[list[bytes]] = [[] for _ in leaves]
    positions = list(range(len(leaves)))  # each leaf's index in the current level
    level = list(leaves)
    while len(level) > 1:
        for leaf, position in enumerate(positions):
            sibling = position ^ 1
            if sibling < len(level):
                proofs[leaf].append(level[sibling])
            positions[leaf] = position // 2
        level = [
            _pair(level[i], level[i + 1]) if i + 1 < len(level) else level[i]
            for i in range(0, len(level), 2)
        ]
    return MerkleTree(root=level[0], proofs=proofs)


def verify_proof(root: bytes, leaf: bytes, proof: Sequence[bytes]) -> bool:
    """The check the contract makes, done locally."""
    node = leaf
    for sibling in proof:
        node = _pair(node, sibling)
    return node == root
