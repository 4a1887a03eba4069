"""Rewards recorded a second through the outbox (enqueue, then sync to the end), on the
embedded EVM and on anvil, a real local node. Aim: 100,000 rewards in <= 60 s on anvil in
Merkle mode.

Run: .venv/bin/python bench/ledger_throughput.py [--rewards 100000] [--embedded 2000]
(SQLite in a temp folder; ALYTUS_BENCH_DATABASE_URL=postgresql+psycopg://... for PostgreSQL,
an empty database.)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from pydantic import SecretStr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from admin.schema import SCHEMAS  # noqa: E402
from community.database import Database, migrate  # noqa: E402
from community.settings import Settings  # noqa: E402
from ledger.addresses import address_for  # noqa: E402
from ledger.outbox import enqueue, sync  # noqa: E402
from ledger.verify import ExpectedReward, verify  # noqa: E402
from tests.ledger.anvil_node import ANVIL_KEY, AnvilNode  # noqa: E402

JOURNAL: list[ExpectedReward] = []  # every reward enqueued so far, in every run


def run(label: str, settings: Settings, count: int) -> None:
    db = Database.from_settings(settings)
    accounts = [address_for(b"bench", member) for member in range(5000)]
    rewards = [(f"{label}:{i}", accounts[i % len(accounts)], 1 + i % 50) for i in range(count)]
    started = time.perf_counter()
    with db.session() as session:
        for key, account, points in rewards:
            enqueue(
                session=session, settings=settings, reward_key=key, account=account, points=points
            )
    queued = time.perf_counter() - started
    started = time.perf_counter()
    report = sync(db=db, settings=settings)
    synced = time.perf_counter() - started
    assert report.recorded == count and report.error is None, report.summary()
    started = time.perf_counter()
    JOURNAL.extend(ExpectedReward(*reward) for reward in rewards)
    result = verify(db=db, settings=settings, expected=JOURNAL)
    checked = time.perf_counter() - started
    assert result.ok, {name: len(value) for name, value in result.as_dict().items()}
    print(
        f"{label:<28} {count:>7,} rewards: enqueue {queued:6.1f} s, sync {synced:6.1f} s "
        f"= {count / synced:8,.0f} rewards/s in {report.transactions} tx; verify {checked:5.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rewards", type=int, default=100_000, help="rewards on anvil")
    parser.add_argument("--embedded", type=int, default=2_000, help="rewards on py-evm")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ledger-bench-"))
    url = os.environ.get("ALYTUS_BENCH_DATABASE_URL") or f"sqlite:///{folder / 'bench.db'}"
    migrate(url, SCHEMAS)
    base = Settings(home=folder, database_url=url, ledger_secret=SecretStr("bench"))
    print(f"database: {url.split('://')[0]}")
    for mode, size in (("batch", 200), ("merkle", 1000)):
        settings = base.model_copy(update={"ledger_mode": mode, "ledger_batch_size": size})
        run(f"embedded {mode} ({size}/tx)", settings, args.embedded)
    JOURNAL.clear()  # another chain: verify only what went to it
    node = AnvilNode(state=folder / "anvil-state.json").start()
    try:
        for mode, size, count in (("batch", 200, args.embedded), ("merkle", 1000, args.rewards)):
            settings = base.model_copy(
                update={
                    "ledger_mode": mode,
                    "ledger_batch_size": size,
                    "chain_url": node.url,
                    "chain_private_key": SecretStr(ANVIL_KEY),
                }
            )
            run(f"anvil {mode} ({size}/tx)", settings, count)
    finally:
        node.stop()


if __name__ == "__main__":
    main()
