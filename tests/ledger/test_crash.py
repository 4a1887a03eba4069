"""Done when: a sync SIGKILLed at 20 random instants and run again records every reward
exactly once — on the embedded chain and on anvil (a real local node that keeps running
between the kills)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import func
from sqlmodel import select

from admin.schema import SCHEMAS
from community.database import Database, migrate
from community.settings import Settings
from ledger.deployment import open_ledger, topics_of
from ledger.models import BatchStatus, LedgerBatch
from ledger.verify import ExpectedReward, verify
from tests.ledger.anvil_node import ANVIL_KEY, AnvilNode
from tests.ledger.conftest import add_rewards

ROOT = Path(__file__).resolve().parents[2]
REWARDS = 3000
KILLS = 20


def _run_sync(env: dict[str, str], kill_after: float | None) -> int:
    process = subprocess.Popen(
        [sys.executable, "-m", "ledger", "sync", "--json"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    if kill_after is None:
        out, _ = process.communicate(timeout=120)
        report = json.loads(out.decode().strip().splitlines()[-1])
        assert report["reachable"] and report["error"] is None, report
        return process.returncode
    time.sleep(kill_after)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return process.returncode


def _kill_and_finish(
    settings: Settings, env: dict[str, str], waves: bool, delays: tuple[float, float]
) -> list[ExpectedReward]:
    """Kill 20 syncs at random instants, then run one to the end. With `waves`, rewards keep
    arriving before each run (as in production), so a fast node still has work when killed."""
    db = Database.from_settings(settings)
    per_run = REWARDS // KILLS if waves else REWARDS
    rewards = add_rewards(db, settings, per_run)
    chance = random.Random(2026)
    interrupted = 0  # kills that left a batch written but not yet marked recorded
    for run in range(KILLS):
        if waves and run:
            rewards += add_rewards(db, settings, per_run, start=run * per_run)
        _run_sync(env, kill_after=chance.uniform(*delays))
        with db.session() as session:
            prepared = select(func.count()).select_from(LedgerBatch)
            interrupted += bool(
                session.exec(prepared.where(LedgerBatch.status == BatchStatus.PREPARED)).one()
            )
    # A loaded machine may start Python slowly enough that every kill lands before or after
    # the batches: then kill more (with new rewards, later), so the window is really hit.
    for extra in range(KILLS):
        if interrupted:
            break
        start = (KILLS + extra) * per_run
        rewards += add_rewards(db, settings, per_run, start=start)
        _run_sync(env, kill_after=chance.uniform(delays[0], delays[1] * 2))
        with db.session() as session:
            prepared = select(func.count()).select_from(LedgerBatch)
            interrupted += bool(
                session.exec(prepared.where(LedgerBatch.status == BatchStatus.PREPARED)).one()
            )
    assert interrupted > 0, "no kill landed between writing a batch and marking it"
    assert _run_sync(env, kill_after=None) == 0
    return [ExpectedReward(*reward) for reward in rewards]


def _environment(settings: Settings) -> dict[str, str]:
    env = {
        **os.environ,
        "ALYTUS_HOME": str(settings.home_dir),
        "ALYTUS_DATABASE_URL": settings.resolved_database_url,
        "ALYTUS_LEDGER_MODE": settings.ledger_mode,
        "ALYTUS_LEDGER_BATCH_SIZE": str(settings.ledger_batch_size),
    }
    if settings.ledger_secret is not None:  # reward ids on chain are keyed by it
        env["ALYTUS_LEDGER_SECRET"] = settings.ledger_secret.get_secret_value()
    if settings.chain_url:
        env["ALYTUS_CHAIN_URL"] = settings.chain_url
        env["ALYTUS_CHAIN_PRIVATE_KEY"] = ANVIL_KEY
    return env


def _assert_each_once(settings: Settings, journal: list[ExpectedReward], env: dict) -> None:
    db = Database.from_settings(settings)  # a new process's view: the embedded chain replays
    result = verify(db=db, settings=settings, expected=journal)
    assert result.as_dict() == {
        "journal": len(journal),
        "recorded": len(journal),
        "missing": [],
        "unexpected": [],
        "mismatched": [],
    }
    ledger = open_ledger(db, settings)
    if settings.ledger_mode == "batch":
        recorded = Counter(topics_of(ledger.event_topics("Recorded")))
        assert len(recorded) == len(journal) and max(recorded.values()) == 1
        assert ledger.contract.functions.reward_count().call() == len(journal)
    else:
        anchored = Counter(topics_of(ledger.event_topics("Anchored")))
        assert max(anchored.values()) == 1
    cli = subprocess.run(
        [sys.executable, "-m", "ledger", "verify", "--json"], cwd=ROOT, env=env, capture_output=True
    )
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)["recorded"] == len(journal)


@pytest.fixture
def crash_settings(tmp_path: Path, live_database_url: str) -> Settings:
    migrate(live_database_url, SCHEMAS)
    return Settings(
        home=tmp_path / "home",
        database_url=live_database_url,
        ledger_batch_size=50,
        ledger_secret=SecretStr("crash-test"),
    )


def test_sync_killed_20_times_on_the_embedded_chain_records_each_reward_once(
    crash_settings: Settings,
):
    settings = crash_settings.model_copy(update={"ledger_mode": "batch"})
    env = _environment(settings)
    journal = _kill_and_finish(settings, env, waves=False, delays=(0.8, 3.0))
    _assert_each_once(settings, journal, env)


@pytest.mark.parametrize("mode", ["batch", "merkle"])
def test_sync_killed_20_times_on_anvil_records_each_reward_once(
    crash_settings: Settings, anvil: AnvilNode, mode: str
):
    settings = crash_settings.model_copy(
        update={
            "ledger_mode": mode,
            "chain_url": anvil.url,
            "chain_private_key": SecretStr(ANVIL_KEY),
            "ledger_batch_size": 10,
        }
    )
    env = _environment(settings)
    journal = _kill_and_finish(settings, env, waves=True, delays=(1.5, 3.5))
    _assert_each_once(settings, journal, env)
