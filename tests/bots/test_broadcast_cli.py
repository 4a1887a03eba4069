"""`alytus broadcast send` to an audience that mixes every kind of member, as staff run it:
a real subprocess, the test's database, and local servers on 127.0.0.1 that speak Telegram's
Bot API, Discord's HTTP API and Meta's Send API (tests/fakes/), since the real platforms
cannot be reached from here."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import select

from admin.schema import SCHEMAS
from community import broadcasts
from community.database import Database, make_engine, migrate
from community.models import BroadcastDelivery, ChannelIdentity, Notification
from tests.community.test_feed import add_member, item
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.messenger_api import FakeMessenger
from tests.fakes.telegram_api import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
TELEGRAM_TOKEN = "123456:mixed-audience"
DISCORD_TOKEN = "MTA5ODc2NTQzMjEwOTg3NjU0Mw.GhIjKl.fake-token-for-tests"


def quiet_now_in_new_york() -> str:
    """Quiet hours that hold now in New York and not in Europe (7 hours ahead): two hours
    starting at New York's current hour."""
    hour = datetime.now(ZoneInfo("America/New_York")).hour
    return f"{hour}-{(hour + 2) % 24}"


def mixed_audience(db: Database) -> dict[str, int]:
    """Every kind of member, web first and no-channel second (the order that broke plan)."""
    with db.session() as session:
        members = {
            "web": add_member(session, user="w-1", platform="web"),
            "no_channel": add_member(session, user="gone"),
            "telegram": add_member(session, user="5001"),
            "terminal": add_member(session, user="local", platform="terminal"),
            "discord": add_member(session, user="900000000000000001", platform="discord"),
            "messenger": add_member(session, user="psid-1", platform="messenger"),
            "unreachable": add_member(session, user="5002"),
            "blocks_now": add_member(session, user="5003"),
            "asleep": add_member(session, user="5004", country="US"),
        }
        for identity in session.exec(select(ChannelIdentity)):
            if identity.member_id == members["no_channel"].id:
                session.delete(identity)
            if identity.platform_user_id == "5002":
                identity.reachable = False
        ids = {name: member.id for name, member in members.items()}
        broadcast = broadcasts.create_broadcast(session=session, item_id=item(session).id)
        ids["broadcast"] = broadcast.id
    return ids  # type: ignore[return-value]


async def test_one_send_reaches_each_kind_of_member_once(live_database_url: str, tmp_path: Path):
    migrate(live_database_url, SCHEMAS)
    db = Database(make_engine(live_database_url))
    ids = mixed_audience(db)
    telegram = FakeTelegram.start(token=TELEGRAM_TOKEN)
    telegram.block(5003)
    messenger = FakeMessenger.start()
    try:
        async with FakeDiscord() as discord:
            env = {
                **os.environ,
                "ALYTUS_HOME": str(tmp_path / "home"),
                "ALYTUS_DATABASE_URL": live_database_url,
                "ALYTUS_TELEGRAM_TOKEN": TELEGRAM_TOKEN,
                "ALYTUS_TELEGRAM_API_BASE": telegram.base_url,
                "ALYTUS_DISCORD_TOKEN": DISCORD_TOKEN,
                "ALYTUS_DISCORD_API_BASE": discord.api_base,
                "ALYTUS_MESSENGER_VERIFY_TOKEN": "verify",
                "ALYTUS_MESSENGER_APP_SECRET": "app-secret",
                "ALYTUS_MESSENGER_PAGE_TOKEN": messenger.page_token,
                "ALYTUS_MESSENGER_API_BASE": messenger.base_url,
                "ALYTUS_QUIET_HOURS": quiet_now_in_new_york(),
            }
            command = [sys.executable, "-m", "admin", "broadcast", "send", str(ids["broadcast"])]
            process = await asyncio.create_subprocess_exec(
                *command, "--json", cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            out, err = await asyncio.wait_for(process.communicate(), 120)
            assert process.returncode == 0, err.decode()
            report = json.loads(out.decode().strip().splitlines()[-1])
            discord_messages = discord.calls_to("POST", r"/channels/\d+/messages")
    finally:
        telegram.stop()
        messenger.stop()

    assert report["sent"] == 3 and report["unreachable"] == 1, report
    assert len(telegram.sent("sendMessage", chat_id=5001)) == 1
    assert not telegram.sent("sendMessage", chat_id=5002)  # known unreachable: not tried
    assert not telegram.sent("sendMessage", chat_id=5004)  # asleep: waits for the morning
    assert len(discord_messages) == 1
    assert len(messenger.sent_to("psid-1")) == 1
    with db.session() as session:
        rows = {
            row.member_id: row
            for row in session.exec(
                select(BroadcastDelivery).where(BroadcastDelivery.broadcast_id == ids["broadcast"])
            )
        }
        notes = session.exec(select(Notification.member_id, Notification.platform)).all()
    status = {name: rows[ids[name]].status for name in ids if name != "broadcast"}
    assert status == {
        "web": "queued",
        "terminal": "queued",
        "no_channel": "skipped",
        "unreachable": "skipped",
        "telegram": "sent",
        "discord": "sent",
        "messenger": "sent",
        "blocks_now": "unreachable",
        "asleep": "pending",
    }
    assert sorted(notes) == sorted([(ids["web"], "web"), (ids["terminal"], "terminal")])
