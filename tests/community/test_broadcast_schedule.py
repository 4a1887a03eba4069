"""Scheduled broadcasts: nothing goes before the scheduled time, the worker's round starts
them after it (planned as `alytus broadcast send` plans), and a cancelled one never starts."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bots.broadcasting import start_scheduled_broadcasts
from bots.catalog import default_catalog
from community import broadcasts
from community.database import Database
from community.settings import Settings
from tests.community.test_feed import add_member, item

NOON_VILNIUS = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
AT = NOON_VILNIUS + timedelta(hours=2)


def scheduled_broadcast(db: Database, members: int = 3, when: datetime = AT) -> int:
    with db.session() as session:
        for n in range(members):
            add_member(session, user=f"s-{n}", country="LT")
        broadcast = broadcasts.create_broadcast(session=session, item_id=item(session).id)
        assert broadcast.id is not None
        broadcasts.schedule(session=session, broadcast_id=broadcast.id, when=when, now=NOON_VILNIUS)
        return broadcast.id


def test_a_scheduled_broadcast_waits_for_its_time_then_starts(db: Database, settings: Settings):
    broadcast_id = scheduled_broadcast(db)
    early = start_scheduled_broadcasts(db=db, settings=settings, now=AT - timedelta(seconds=1))
    assert early == []
    with db.session() as session:
        found = broadcasts.status(session, broadcast_id)
    assert found["status"] == "scheduled" and found["planned"] == 0
    assert found["scheduled_for"] == AT.isoformat()

    assert start_scheduled_broadcasts(db=db, settings=settings, now=AT) == [broadcast_id]
    with db.session() as session:
        found = broadcasts.status(session, broadcast_id)
        assert broadcasts.sending_broadcasts(session) == [broadcast_id]
    assert found["status"] == "sending" and found["planned"] == 3
    assert found["counts"]["pending"] == 3
    assert found["started_at"] == AT.isoformat()
    again = start_scheduled_broadcasts(db=db, settings=settings, now=AT + timedelta(hours=1))
    assert again == [], "a started broadcast is not started twice"


def test_the_schedule_is_stored_in_utc_whatever_zone_staff_typed_it_in(db: Database):
    vilnius = datetime(2026, 12, 1, 14, 0, tzinfo=ZoneInfo("Europe/Vilnius"))
    broadcast_id = scheduled_broadcast(db, members=1, when=vilnius)
    with db.session() as session:
        assert (
            broadcasts.start_due(session=session, now=datetime(2026, 12, 1, 11, 59, tzinfo=UTC))
            == []
        )
        assert broadcasts.start_due(
            session=session, now=datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
        ) == [broadcast_id]


def test_a_cancelled_broadcast_never_starts_and_cannot_be_sent(db: Database, settings: Settings):
    broadcast_id = scheduled_broadcast(db)
    with db.session() as session:
        broadcasts.cancel(session=session, broadcast_id=broadcast_id)
    assert start_scheduled_broadcasts(db=db, settings=settings, now=AT + timedelta(days=1)) == []
    with db.session() as session:
        assert broadcasts.status(session, broadcast_id)["status"] == "cancelled"
        with pytest.raises(broadcasts.BroadcastError):
            broadcasts.plan(session=session, broadcast_id=broadcast_id, now=AT)
        with pytest.raises(broadcasts.BroadcastStateError):
            broadcasts.cancel(session=session, broadcast_id=broadcast_id)


def test_a_broadcast_already_sending_can_be_neither_scheduled_nor_cancelled(db: Database):
    with db.session() as session:
        add_member(session, user="1")
        broadcast = broadcasts.create_broadcast(session=session, item_id=item(session).id)
        assert broadcast.id is not None
        broadcasts.plan(session=session, broadcast_id=broadcast.id, now=NOON_VILNIUS)
        with pytest.raises(broadcasts.BroadcastStateError):
            broadcasts.schedule(
                session=session, broadcast_id=broadcast.id, when=AT, now=NOON_VILNIUS
            )
        with pytest.raises(broadcasts.BroadcastStateError):
            broadcasts.cancel(session=session, broadcast_id=broadcast.id)


def test_a_time_in_the_past_or_without_a_zone_is_refused(db: Database):
    with db.session() as session:
        broadcast = broadcasts.create_broadcast(session=session, item_id=item(session).id)
        assert broadcast.id is not None
        with pytest.raises(broadcasts.BroadcastStateError, match="passed"):
            broadcasts.schedule(
                session=session, broadcast_id=broadcast.id, when=NOON_VILNIUS, now=AT
            )
        with pytest.raises(broadcasts.BroadcastStateError, match="time zone"):
            broadcasts.schedule(
                session=session, broadcast_id=broadcast.id, when=datetime(2030, 1, 1), now=AT
            )
        assert broadcasts.status(session, broadcast.id)["status"] == "draft"


def test_sending_a_scheduled_broadcast_now_starts_it_at_once(db: Database):
    """`alytus broadcast send` on a scheduled broadcast: staff chose to send it now."""
    broadcast_id = scheduled_broadcast(db, members=2)
    with db.session() as session:
        assert broadcasts.plan(session=session, broadcast_id=broadcast_id, now=NOON_VILNIUS) == 2
        assert broadcasts.status(session, broadcast_id)["status"] == "sending"


def test_the_worker_round_starts_a_broadcast_whose_time_has_passed(
    db: Database, settings: Settings
):
    from bots.push_delivery import work

    broadcast_id = scheduled_broadcast(db, members=2)
    with db.session() as session:  # the time passes
        assert broadcasts.get_broadcast(session, broadcast_id).status == "scheduled"
        broadcast = broadcasts.get_broadcast(session, broadcast_id)
        broadcast.scheduled_for = datetime.now(UTC) - timedelta(seconds=1)
    stop = threading.Event()

    async def one_round() -> None:
        task = asyncio.create_task(
            work(
                db=db,
                settings=settings.model_copy(update={"quiet_hours": "0-0"}),
                channels={},
                catalog=default_catalog(),
                interval=0.1,
                stop=stop,
            )
        )
        await asyncio.sleep(0.5)
        stop.set()
        await task

    asyncio.run(one_round())
    with db.session() as session:
        found = broadcasts.status(session, broadcast_id)
    assert found["status"] != "scheduled" and found["planned"] == 2
