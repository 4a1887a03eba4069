# pragma version ~=0.4.3
"""
@title Alytus Connect reward ledger
@notice Records each reward once, under an opaque id (keccak256 of the
        reward's key in SQL), for a pseudonymous account. Points cannot be
        transferred: there is no transfer function, only `balanceOf`.
        Two ways in: `record_batch` stores every reward (one slot each), and
        `anchor` stores one Merkle root for many rewards, each provable
        later with `verify_reward`. No personal data is ever passed in.
"""

from snekmate.auth import ownable
from snekmate.utils import merkle_proof_verification as merkle

initializes: ownable
exports: (ownable.owner, ownable.transfer_ownership)


MAX_BATCH: constant(uint256) = 256  # calldata arrays are copied to memory at full size: keep it small
MAX_PROOF: constant(uint256) = 32
MAX_PAGE: constant(uint256) = 256
ACCOUNT_BITS: constant(uint256) = 160
ACCOUNT_MASK: constant(uint256) = (1 << 160) - 1


event Recorded:
    id: indexed(bytes32)
    account: indexed(address)
    points: uint256


event Anchored:
    root: indexed(bytes32)
    count: uint256


# Reward id -> (points << 160) | account: one storage slot a reward.
_rewards: HashMap[bytes32, uint256]
balanceOf: public(HashMap[address, uint256])
reward_count: public(uint256)
anchored: public(HashMap[bytes32, bool])


@deploy
def __init__():
    ownable.__init__()


@external
def record_batch(
    ids: DynArray[bytes32, MAX_BATCH],
    accounts: DynArray[address, MAX_BATCH],
    points: DynArray[uint256, MAX_BATCH],
) -> uint256:
    """
    @notice Records the rewards whose ids are new and skips the rest, so a
            batch sent again after a crash changes nothing. Returns how
            many were new.
    """
    ownable._check_owner()
    assert len(ids) == len(accounts) and len(ids) == len(points), "ledger: lengths differ"
    added: uint256 = 0
    for i: uint256 in range(len(ids), bound=MAX_BATCH):
        reward_id: bytes32 = ids[i]
        if self._rewards[reward_id] != 0:
            continue
        account: address = accounts[i]
        amount: uint256 = points[i]
        assert account != empty(address), "ledger: zero account"
        assert amount < (1 << 96), "ledger: points too large"
        self._rewards[reward_id] = (amount << ACCOUNT_BITS) | convert(account, uint256)
        self.balanceOf[account] += amount
        log Recorded(id=reward_id, account=account, points=amount)
        added += 1
    if added != 0:
        self.reward_count += added
    return added


@view
@external
def recorded(reward_id: bytes32) -> (address, uint256):
    """
    @notice The account and points recorded under `reward_id`, or
            (empty address, 0) when it was never recorded.
    """
    packed: uint256 = self._rewards[reward_id]
    return convert(packed & ACCOUNT_MASK, address), packed >> ACCOUNT_BITS


@view
@external
def recorded_many(ids: DynArray[bytes32, MAX_BATCH]) -> DynArray[uint256, MAX_BATCH]:
    """
    @notice For each of `ids`, (points << 160) | account, or 0 when it was
            never recorded: one call checks a whole batch before it is sent.
    """
    found: DynArray[uint256, MAX_BATCH] = []
    for reward_id: bytes32 in ids:
        found.append(self._rewards[reward_id])
    return found


@external
def anchor(root: bytes32, count: uint256):
    """
    @notice Anchors the Merkle root of `count` rewards; anchoring the same
            root again (a resent batch) changes nothing.
    """
    ownable._check_owner()
    if self.anchored[root]:
        return
    self.anchored[root] = True
    log Anchored(root=root, count=count)


@view
@external
def verify_reward(
    root: bytes32,
    reward_id: bytes32,
    account: address,
    points: uint256,
    proof: DynArray[bytes32, MAX_PROOF],
) -> bool:
    """
    @notice True when `root` is anchored and `proof` shows the reward is in it.
    """
    return self.anchored[root] and self._in_tree(root, reward_id, account, points, proof)


@view
@external
def verify_rewards(
    root: bytes32,
    ids: DynArray[bytes32, MAX_PAGE],
    accounts: DynArray[address, MAX_PAGE],
    points: DynArray[uint256, MAX_PAGE],
    proofs: DynArray[DynArray[bytes32, MAX_PROOF], MAX_PAGE],
) -> DynArray[bool, MAX_PAGE]:
    """
    @notice `verify_reward` for many rewards under one root in one call.
    """
    found: DynArray[bool, MAX_PAGE] = []
    is_anchored: bool = self.anchored[root]
    for i: uint256 in range(len(ids), bound=MAX_PAGE):
        found.append(
            is_anchored and self._in_tree(root, ids[i], accounts[i], points[i], proofs[i])
        )
    return found


@pure
@internal
def _in_tree(
    root: bytes32,
    reward_id: bytes32,
    account: address,
    points: uint256,
    proof: DynArray[bytes32, MAX_PROOF],
) -> bool:
    leaf: bytes32 = keccak256(abi_encode(reward_id, account, points))
    return merkle._verify(proof, root, leaf)
