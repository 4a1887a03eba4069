"""Members' chain addresses: pseudonymous, stable, and different per member and per secret."""

from __future__ import annotations

from pydantic import SecretStr

from community.settings import Settings
from ledger.addresses import member_address


def test_an_address_is_stable_and_checksummed(settings: Settings):
    first = member_address(settings, 42)
    assert first == member_address(settings, 42)
    assert first.startswith("0x") and len(first) == 42 and first != first.lower()


def test_members_get_different_addresses(settings: Settings):
    addresses = {member_address(settings, member_id) for member_id in range(1, 200)}
    assert len(addresses) == 199


def test_another_secret_gives_other_addresses(settings: Settings):
    one = settings.model_copy(update={"ledger_secret": SecretStr("one")})
    two = settings.model_copy(update={"ledger_secret": SecretStr("two")})
    assert member_address(one, 7) != member_address(two, 7)
    assert member_address(one, 7) == member_address(one, 7)


def test_the_generated_secret_survives_a_restart(settings: Settings):
    before = member_address(settings, 3)
    assert (settings.home_dir / "secrets" / "ledger").exists()
    assert member_address(Settings(home=settings.home), 3) == before


def test_a_reward_id_cannot_be_guessed_from_the_member_id(settings: Settings):
    """A journal key names the member ("onboarding.complete:17"); its plain hash could be
    recomputed by anyone for every member id, so the id on chain is keyed by the secret."""
    from eth_utils import keccak

    from ledger.addresses import reward_id_for

    key = "onboarding.complete:17"
    on_chain = reward_id_for(settings, key)
    assert on_chain != "0x" + keccak(text=key).hex()
    other = settings.model_copy(update={"ledger_secret": SecretStr("another secret")})
    assert reward_id_for(other, key) != on_chain
    assert reward_id_for(settings, key) == on_chain  # stable while the secret is kept
