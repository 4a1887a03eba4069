"""Sending broadcasts and push notifications through a PushChannel: each member once, in
their language, at the platform's pace; 429s wait as told; a blocked member is unreachable;
quiet hours defer; two workers share one broadcast without sending anything twice."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import select

from admin.schema import SCHEMAS
from bots.broadcasting import Pacer, send_broadcast
from bots.catalog import default_catalog
from bots.channels.base import RateLimit, SendOutcome
from bots.messages import Reply
from bots.push_delivery import deliver_notifications
from community import broadcasts
from community.database import Database, make_engine, migrate
from community.models import BroadcastDelivery, ChannelIdentity, utcnow
from community.notifications import enqueue
from community.settings import Settings
from tests.community.test_feed import add_member, item


@dataclass
class FakePush:
    """A PushChannel that records what it was given and refuses as told."""

    platform: str = "telegram"
    rate: RateLimit = field(default_factory=lambda: RateLimit(200, 50))
    blocked: set[str] = field(default_factory=set)
    throttle: list[float] = field(default_factory=list)  # retry_after answers to give first
    sent: list[tuple[str, Reply, float]] = field(default_factory=list)
    refused: list[tuple[str, float]] = field(default_factory=list)

    async def push(self, recipient_id: str, reply: Reply) -> SendOutcome:
        now = time.monotonic()
        if recipient_id in self.blocked:
            return SendOutcome(delivered=False, unreachable=True, error="Forbidden: blocked")
        if self.throttle:
            self.refused.append((recipient_id, now))
            return SendOutcome(delivered=False, retry_after=self.throttle.pop(0), error="429")
        await asyncio.sleep(0.001)
        self.sent.append((recipient_id, reply, now))
        return SendOutcome(delivered=True)


def awake_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"quiet_hours": "0-0"})


def make_broadcast(db: Database, members: int, **kwargs) -> int:  # type: ignore[no-untyped-def]
    with db.session() as session:
        for n in range(members):
            add_member(session, user=str(1000 + n), language="en" if n % 2 else "lt", **kwargs)
        broadcast = broadcasts.create_broadcast(session=session, item_id=item(session).id)
        assert broadcast.id is not None
        return broadcast.id


def plan(db: Database, broadcast_id: int, quiet_hours: str = "0-0") -> int:
    with db.session() as session:
        return broadcasts.plan(session=session, broadcast_id=broadcast_id, quiet_hours=quiet_hours)


async def send(db: Database, settings: Settings, broadcast_id: int, push: FakePush, **kw):  # type: ignore[no-untyped-def]
    return await send_broadcast(
        **kw,
        db=db,
        settings=settings,
        broadcast_id=broadcast_id,
        channels={push.platform: push},
        catalog=default_catalog(),
    )


async def test_each_member_gets_the_item_once_in_their_language(db: Database, settings: Settings):
    broadcast_id = make_broadcast(db, 6)
    plan(db, broadcast_id)
    push = FakePush()
    report = await send(db, awake_settings(settings), broadcast_id, push)
    assert report.sent == 6 and report.done
    assert Counter(recipient for recipient, _, _ in push.sent) == {
        str(1000 + n): 1 for n in range(6)
    }
    replies = {recipient: reply for recipient, reply, _ in push.sent}
    assert replies["1000"].text.startswith("📣 Darbas Alytuje")
    assert replies["1001"].text.startswith("📣 A job in Alytus")
    assert replies["1001"].links[0].url == "https://alytus.lt/darbas"
    assert [b.payload for b in replies["1001"].buttons] == ["/more job", "/optout job"]
    again = await send(db, awake_settings(settings), broadcast_id, push)
    assert again.sent == 0 and len(push.sent) == 6, "a finished broadcast sends nothing more"
    with db.session() as session:
        assert broadcasts.status(session, broadcast_id)["status"] == "done"


async def test_a_429_waits_as_long_as_the_platform_says(db: Database, settings: Settings):
    broadcast_id = make_broadcast(db, 4)
    plan(db, broadcast_id)
    push = FakePush(throttle=[0.5])
    report = await send(db, awake_settings(settings), broadcast_id, push)
    assert report.sent == 4 and report.deferred == 1 and report.done
    refused_at = push.refused[0][1]
    after = [at for _, _, at in push.sent if at > refused_at]
    assert after and min(after) >= refused_at + 0.5
    assert sorted(r for r, _, _ in push.sent) == ["1000", "1001", "1002", "1003"]


async def test_a_member_who_blocked_the_bot_is_unreachable(db: Database, settings: Settings):
    broadcast_id = make_broadcast(db, 3)
    plan(db, broadcast_id)
    push = FakePush(blocked={"1001"})
    report = await send(db, awake_settings(settings), broadcast_id, push)
    assert report.sent == 2 and report.unreachable == 1
    with db.session() as session:
        identity = session.exec(
            select(ChannelIdentity).where(ChannelIdentity.platform_user_id == "1001")
        ).one()
        assert identity.reachable is False
        assert broadcasts.status(session, broadcast_id)["counts"]["unreachable"] == 1


async def test_quiet_hours_defer_and_the_rows_go_out_later(db: Database, settings: Settings):
    hour = utcnow().astimezone(ZoneInfo("Europe/Vilnius")).hour
    quiet = settings.model_copy(update={"quiet_hours": f"{hour}-{(hour + 1) % 24}"})
    broadcast_id = make_broadcast(db, 3, country="LT")
    plan(db, broadcast_id, quiet_hours=quiet.quiet_hours)
    push = FakePush()
    report = await send(db, quiet, broadcast_id, push)
    assert report.sent == 0 and not report.done and report.next_due_at is not None
    with db.session() as session:
        waiting = session.exec(
            select(BroadcastDelivery).where(BroadcastDelivery.broadcast_id == broadcast_id)
        ).all()
        assert all(row.not_before is not None and row.status == "pending" for row in waiting)
        session.execute(  # the night is over
            update(BroadcastDelivery)
            .where(BroadcastDelivery.broadcast_id == broadcast_id)
            .values(not_before=utcnow() - timedelta(seconds=1))
        )
    report = await send(db, awake_settings(settings), broadcast_id, push)
    assert report.sent == 3 and report.done and len(push.sent) == 3


async def test_the_sender_also_checks_quiet_hours_when_it_sends(db: Database, settings: Settings):
    hour = utcnow().astimezone(ZoneInfo("Europe/Vilnius")).hour
    quiet = settings.model_copy(update={"quiet_hours": f"{hour}-{(hour + 1) % 24}"})
    broadcast_id = make_broadcast(db, 2, country="LT")
    plan(db, broadcast_id, quiet_hours="0-0")  # planned by day, sent at night
    report = await send(db, quiet, broadcast_id, FakePush())
    assert report.sent == 0 and report.deferred == 2


async def test_pacer_keeps_the_overall_and_per_chat_pace():
    pacer = Pacer(RateLimit(per_second=100, per_chat_per_second=10), burst_seconds=0)
    started = time.monotonic()
    for n in range(20):
        await pacer.slot(str(n))
    assert time.monotonic() - started >= 0.18
    started = time.monotonic()
    for _ in range(3):
        await pacer.slot("same-chat")
    assert time.monotonic() - started >= 0.19


async def test_push_notifications_go_once_and_a_chat_is_paced(db: Database, settings: Settings):
    with db.session() as session:
        member = add_member(session, user="777")
        for key in ("a", "b"):
            enqueue(
                session=session,
                member_id=member.id,
                platform="telegram",
                message_key="news.item",
                params={"title_lt": "T", "title_en": "T", "body_lt": key, "body_en": key},
                dedupe_key=key,
            )
    push = FakePush(rate=RateLimit(100, 5))
    report = await deliver_notifications(
        db=db, settings=settings, channels={"telegram": push}, catalog=default_catalog()
    )
    assert report.sent == 2 and [r for r, _, _ in push.sent] == ["777", "777"]
    assert push.sent[1][2] - push.sent[0][2] >= 0.19
    report = await deliver_notifications(
        db=db, settings=settings, channels={"telegram": push}, catalog=default_catalog()
    )
    assert report.sent == 0


def test_two_workers_share_one_broadcast_without_sending_twice(
    live_database_url: str, settings: Settings, tmp_path: Path
):
    """Two processes' worth of senders (threads, each with its own engine and connections)
    on one broadcast: row locks (SKIP LOCKED on PostgreSQL) and the sending gate."""
    migrate(live_database_url, SCHEMAS)
    engines = [make_engine(live_database_url) for _ in range(2)]
    dbs = [Database(engine) for engine in engines]
    broadcast_id = make_broadcast(dbs[0], 400)
    plan(dbs[0], broadcast_id)
    pushes = [FakePush(rate=RateLimit(2000, 50)) for _ in range(2)]
    reports = []

    def worker(index: int) -> None:
        reports.append(
            asyncio.run(
                send(
                    dbs[index], awake_settings(settings), broadcast_id, pushes[index], batch_size=20
                )
            )
        )

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    sent = Counter(recipient for push in pushes for recipient, _, _ in push.sent)
    assert len(sent) == 400 and max(sent.values()) == 1
    assert all(push.sent for push in pushes), "both workers took a share"
    with dbs[0].session() as session:
        assert broadcasts.status(session, broadcast_id)["counts"]["sent"] == 400
    for engine in engines:
        engine.dispose()
