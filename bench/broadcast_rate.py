"""Broadcast throughput against the local fake Telegram Bot API server: messages a second
at a configured limit, and the time to reach N members.

    python bench/broadcast_rate.py --members 10000 --rate 30       # Telegram's real limit
    python bench/broadcast_rate.py --members 100000 --rate 1000    # a raised limit
    python bench/broadcast_rate.py --database-url postgresql+psycopg://postgres@127.0.0.1/x

The fake enforces the limit (429 when exceeded); the sender runs in this process
(`send_broadcast`) with a fresh SQLite file unless a database URL is given.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from admin.schema import SCHEMAS  # noqa: E402
from bots.broadcasting import send_broadcast  # noqa: E402
from bots.catalog import default_catalog  # noqa: E402
from bots.channels.registry import push_channels  # noqa: E402
from community import broadcasts  # noqa: E402
from community.database import Database, make_engine, migrate  # noqa: E402
from community.settings import Settings  # noqa: E402
from tests.e2e.test_broadcast_telegram import add_members, new_broadcast  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402

TOKEN = "123456:bench"


def run(members: int, rate: float, database_url: str | None) -> dict[str, float | int | str]:
    folder = Path(tempfile.mkdtemp(prefix="broadcast-bench-"))
    url = database_url or f"sqlite:///{folder / 'bench.db'}"
    migrate(url, SCHEMAS)
    db = Database(make_engine(url))
    started = time.monotonic()
    add_members(db, members, first_chat=700_000_000 + int(time.time()) % 1000 * 100_000)
    broadcast_id = new_broadcast(db)
    fake = FakeTelegram.start(token=TOKEN)
    fake.enforce_limits(per_second=rate, per_chat_per_second=1)
    settings = Settings(
        home=folder,
        telegram_token=TOKEN,
        telegram_api_base=fake.base_url,
        telegram_rate_per_second=rate,
        quiet_hours="0-0",
    )
    prepared = time.monotonic() - started
    try:
        started = time.monotonic()
        with db.session() as session:
            broadcasts.plan(session=session, broadcast_id=broadcast_id, quiet_hours="0-0")
        planned = time.monotonic() - started
        channels = push_channels(settings)
        started = time.monotonic()
        report = asyncio.run(
            send_broadcast(
                db=db,
                settings=settings,
                broadcast_id=broadcast_id,
                channels=channels,
                catalog=default_catalog(),
            )
        )
        total = time.monotonic() - started
        calls = fake.sent("sendMessage")
        refused = sum(1 for call in fake.calls if call.status == 429)
        span = calls[-1].at - calls[0].at if len(calls) > 1 else 0.0
        achieved = len(calls) / span if span else 0.0
        return {
            "platform": "telegram",
            "database": url.split(":")[0],
            "members": members,
            "limit_per_second": rate,
            "sent": len(calls),
            "refused_429": refused,
            "achieved_per_second": round(achieved, 1),
            "of_limit": round(achieved / rate, 3),
            "seconds_to_reach_all": round(total, 1),
            "plan_seconds": round(planned, 1),
            "setup_seconds": round(prepared, 1),
            "done": report.done,
        }
    finally:
        fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, nargs="+", default=[10_000])
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    for members in args.members:
        print(json.dumps(run(members, args.rate, args.database_url)), flush=True)


if __name__ == "__main__":
    main()
