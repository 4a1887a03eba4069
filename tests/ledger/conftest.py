"""Ledger fixtures: the embedded chain's settings, and anvil (a real local node) for the
tests that need a chain outside the process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from community.database import Database
from community.settings import Settings
from ledger.addresses import member_address
from ledger.outbox import enqueue
from tests.ledger.anvil_node import ANVIL_KEY, AnvilNode


@pytest.fixture(scope="session")
def anvil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilNode]:
    """One anvil for the session; each test deploys its own contract on it."""
    node = AnvilNode(state=tmp_path_factory.mktemp("anvil") / "state.json").start()
    yield node
    node.stop()


def anvil_settings(settings: Settings, node: AnvilNode, **changes: object) -> Settings:
    return settings.model_copy(
        update={"chain_url": node.url, "chain_private_key": SecretStr(ANVIL_KEY), **changes}
    )


@pytest.fixture(params=["embedded", "anvil"])
def chain_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """The same test on the embedded EVM and on anvil."""
    if request.param == "anvil":
        return anvil_settings(settings, request.getfixturevalue("anvil"))
    return settings


def add_rewards(
    db: Database, settings: Settings, count: int, prefix: str = "reward", start: int = 0
) -> list[tuple[str, str, int]]:
    """Enqueue `count` rewards for a handful of members; returns (key, account, points)."""
    rewards = [
        (f"{prefix}:{i}", member_address(settings, i % 17), 5 + i % 11)
        for i in range(start, start + count)
    ]
    with db.session() as session:
        for key, account, points in rewards:
            enqueue(
                session=session, settings=settings, reward_key=key, account=account, points=points
            )
    return rewards
