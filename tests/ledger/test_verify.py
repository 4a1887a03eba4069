"""`verify` compares the journal with the chain itself and names every difference."""

from __future__ import annotations

from community.database import Database
from community.settings import Settings
from ledger.addresses import reward_id_for
from ledger.deployment import open_ledger
from ledger.models import LedgerEntry
from ledger.outbox import sync
from ledger.verify import ExpectedReward, check_rewards, verify
from tests.ledger.conftest import add_rewards


def test_verify_names_missing_unexpected_and_mismatched(db: Database, chain_settings: Settings):
    rewards = add_rewards(db, chain_settings, 10)
    sync(db=db, settings=chain_settings)
    ledger = open_ledger(db, chain_settings)
    stranger = LedgerEntry(
        reward_key="",
        reward_id=reward_id_for(chain_settings, "never-enqueued"),
        account=rewards[0][1],
        points=3,
    )
    ledger.chain.send(ledger.record_batch_tx([stranger]))  # straight to the chain, not via SQL
    journal = [ExpectedReward(*reward) for reward in rewards]
    journal[2] = ExpectedReward(journal[2].reward_key, journal[2].account, 1000)
    journal.append(ExpectedReward("reward:never-sent", rewards[0][1], 4))
    result = verify(db=db, settings=chain_settings, expected=journal).as_dict()
    assert result == {
        "journal": 11,
        "recorded": 9,
        "missing": ["reward:never-sent"],
        "unexpected": [stranger.reward_id],
        "mismatched": ["reward:2"],
    }


def test_merkle_verify_uses_the_proofs_on_chain(db: Database, settings: Settings):
    merkle = settings.model_copy(update={"ledger_mode": "merkle", "ledger_batch_size": 8})
    rewards = add_rewards(db, merkle, 20)
    sync(db=db, settings=merkle)
    journal = [ExpectedReward(*reward) for reward in rewards]
    assert verify(db=db, settings=merkle, expected=journal).ok
    journal[5] = ExpectedReward(journal[5].reward_key, journal[5].account, 1)
    del journal[9]
    result = verify(db=db, settings=merkle, expected=journal)
    assert result.mismatched == ["reward:5"]
    assert result.unexpected == [reward_id_for(settings, "reward:9")]
    assert result.recorded == 18 and result.missing == []


def test_the_public_check_asks_the_chain_in_both_modes_by_whole_or_short_id(
    db: Database, settings: Settings
):
    """What the city register page shows a member who follows the link from /points."""
    for mode in ("batch", "merkle"):
        changed = settings.model_copy(update={"ledger_mode": mode, "ledger_batch_size": 8})
        rewards = add_rewards(db, changed, 10, prefix=mode)
        sync(db=db, settings=changed)
        pending = add_rewards(db, changed, 1, prefix=f"{mode}-later")  # not synced yet
        whole = reward_id_for(changed, rewards[3][0])
        short = reward_id_for(changed, rewards[4][0])[2:14]
        later = reward_id_for(changed, pending[0][0])
        found = check_rewards(db=db, settings=changed, reward_ids=[whole, short, later, "abc"])
        assert [(c.reward_id, c.recorded, c.points) for c in found] == [
            (whole, True, rewards[3][2]),
            (reward_id_for(changed, rewards[4][0]), True, rewards[4][2]),
            (later, False, None),
            ("abc", False, None),
        ], mode
        assert found[0].account == rewards[3][1] and found[0].block_number is not None
        assert (found[0].root is not None) == (mode == "merkle")
