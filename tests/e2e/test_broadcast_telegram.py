"""Done when: a broadcast to 10,000 members through the local Telegram Bot API server, with
the server enforcing the rate limits, is SIGKILLed midway, run again, and every member got
exactly one message; the achieved rate is at least 95% of the configured limit.

The limit is raised to 100 messages a second overall (both in the fake server and in the
settings) so the test takes under two minutes instead of 5.5 at Telegram's 30/s: what is
checked is the ratio to the configured limit. Per chat the limit stays 1 a second. (300/s
also works on an idle 2-core machine; 100/s leaves room for a busy CI.)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import insert

from admin.schema import SCHEMAS
from community import broadcasts
from community.database import Database, make_engine, migrate
from community.feed import create_item
from community.models import ChannelIdentity, Consent, Member, utcnow
from tests.fakes.telegram_api import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = 10_000
RATE = 100.0
TOKEN = "123456:broadcast-test"
FIRST_CHAT = 500_000_000

pytestmark = pytest.mark.slow


def add_members(db: Database, count: int, first_chat: int = FIRST_CHAT) -> None:
    """Members who joined, agreed to news and use Telegram (bulk inserts: fast)."""
    now = utcnow()
    with db.session() as session:
        start = session.execute(
            insert(Member).values(language="lt", interests=[], created_at=now).returning(Member.id)
        )
        base = start.scalar_one()
        session.execute(
            insert(Member),
            [
                {
                    "language": "en" if n % 3 == 0 else "lt",
                    "relation": "emigrant",
                    "country": "LT",
                    "interests": ["jobs"],
                    "onboarded_at": now,
                    "created_at": now,
                }
                for n in range(count)
            ],
        )
        ids = list(range(base + 1, base + 1 + count))
        session.execute(
            insert(ChannelIdentity),
            [
                {
                    "member_id": member_id,
                    "platform": "telegram",
                    "platform_user_id": str(first_chat + n),
                    "reachable": True,
                    "created_at": now,
                    "last_seen_at": now,
                }
                for n, member_id in enumerate(ids)
            ],
        )
        session.execute(
            insert(Consent),
            [
                {"member_id": member_id, "purpose": "news", "granted": True,
                 "notice_version": "2026-11", "source": "test", "at": now}
                for member_id in ids
            ],
        )  # fmt: skip


def new_broadcast(db: Database) -> int:
    with db.session() as session:
        item = create_item(
            session=session,
            kind="event",
            title_lt="Alytaus miesto šventė",
            title_en="Alytus city festival",
            body_lt="Laukiame jūsų!",
            body_en="Come and join us!",
            url="https://alytus.lt/svente",
            audience={"relations": ["emigrant"]},
        )
        broadcast = broadcasts.create_broadcast(session=session, item_id=item.id)
        assert broadcast.id is not None
        return broadcast.id


def sending_span(times: list[float]) -> float:
    return max(times) - min(times) if len(times) > 1 else 0.0


def test_sigkill_midway_and_restart_sends_each_member_exactly_once_at_the_limit(
    live_database_url: str, tmp_path: Path
):
    migrate(live_database_url, SCHEMAS)
    engine = make_engine(live_database_url)
    db = Database(engine)
    add_members(db, MEMBERS)
    broadcast_id = new_broadcast(db)
    fake = FakeTelegram.start(token=TOKEN)
    fake.enforce_limits(per_second=RATE, per_chat_per_second=1)
    env = {
        **os.environ,
        "ALYTUS_HOME": str(tmp_path / "home"),
        "ALYTUS_DATABASE_URL": live_database_url,
        "ALYTUS_TELEGRAM_TOKEN": TOKEN,
        "ALYTUS_TELEGRAM_API_BASE": fake.base_url,
        "ALYTUS_TELEGRAM_RATE_PER_SECOND": str(RATE),
        "ALYTUS_TELEGRAM_CHAT_RATE_PER_SECOND": "1",
        "ALYTUS_QUIET_HOURS": "0-0",
    }
    command = [sys.executable, "-m", "bots.broadcast_cli", "send", str(broadcast_id), "--json"]
    try:
        first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while len(fake.calls) < MEMBERS // 3 and time.monotonic() < deadline:
            time.sleep(0.1)  # cheaper than scanning the calls (the fake shares our CPU)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        time.sleep(0.5)  # the sender notices its parent is gone and records what it sent
        killed_at = len(fake.sent("sendMessage"))
        assert 0 < killed_at < MEMBERS, "the kill landed midway"
        second = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=300)
        assert second.returncode == 0, second.stderr.decode()[-2000:]
        report = json.loads(second.stdout.decode().strip().splitlines()[-1])
        assert report["done"], report
        calls = fake.sent("sendMessage")
        per_chat = Counter(call.chat_id for call in calls)
        assert len(per_chat) == MEMBERS, f"{MEMBERS - len(per_chat)} members got nothing"
        assert max(per_chat.values()) == 1, [c for c, n in per_chat.items() if n > 1][:10]
        refused = [call for call in fake.calls if call.status == 429]
        first_run = [call.at for call in calls[:killed_at]]
        second_run = [call.at for call in calls[killed_at:]]
        active = sending_span(first_run) + sending_span(second_run)
        rate = len(calls) / active
        print(f"\nachieved {rate:.1f} msg/s of {RATE:.0f} ({rate / RATE:.1%}); "
              f"{len(refused)} refused with 429; killed after {killed_at}")  # fmt: skip
        assert rate >= 0.95 * RATE
        with db.session() as session:
            found = broadcasts.status(session, broadcast_id)
        assert found["counts"]["sent"] == MEMBERS and found["status"] == "done", found
    finally:
        fake.stop()
        engine.dispose()


def test_a_hard_crash_of_the_sender_itself_never_sends_twice(
    live_database_url: str, tmp_path: Path
):
    """SIGKILL of the process that talks to Telegram (no supervisor to stop it gently): no
    member gets two messages; at most one group is left in doubt and not sent again, and
    only those members may have missed the message (at most once)."""
    members = 1500
    migrate(live_database_url, SCHEMAS)
    engine = make_engine(live_database_url)
    db = Database(engine)
    add_members(db, members, first_chat=FIRST_CHAT + MEMBERS)
    broadcast_id = new_broadcast(db)
    fake = FakeTelegram.start(token=TOKEN)
    fake.enforce_limits(per_second=RATE, per_chat_per_second=1)
    env = {
        **os.environ,
        "ALYTUS_HOME": str(tmp_path / "home"),
        "ALYTUS_DATABASE_URL": live_database_url,
        "ALYTUS_TELEGRAM_TOKEN": TOKEN,
        "ALYTUS_TELEGRAM_API_BASE": fake.base_url,
        "ALYTUS_TELEGRAM_RATE_PER_SECOND": str(RATE),
        "ALYTUS_QUIET_HOURS": "0-0",
    }
    command = [
        *(sys.executable, "-m", "bots.broadcast_cli", "send", str(broadcast_id)),
        *("--json", "--in-process"),
    ]
    try:
        first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while len(fake.calls) < members // 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        second = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=120)
        assert second.returncode == 0, second.stderr.decode()[-2000:]
        per_chat = Counter(call.chat_id for call in fake.sent("sendMessage"))
        assert max(per_chat.values()) == 1
        with db.session() as session:
            found = broadcasts.status(session, broadcast_id)["counts"]
        group = int(RATE * 0.05)
        missing = members - len(per_chat)
        assert found["in_doubt"] <= group and missing <= found["in_doubt"], found
        assert found["sent"] + found["in_doubt"] == members
    finally:
        fake.stop()
        engine.dispose()
