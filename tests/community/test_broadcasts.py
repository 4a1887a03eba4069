"""Broadcast deliveries: one row per member, the preferred channel, quiet hours, leases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from community import broadcasts
from community.database import Database
from community.models import BroadcastDelivery, Notification, as_utc
from community.timezones import quiet_until, zone_for_country
from tests.community.test_feed import add_member, item

NOON_VILNIUS = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # 12:00 in Vilnius (UTC+2)


def deliveries(session, broadcast_id: int) -> dict[int, BroadcastDelivery]:  # type: ignore[no-untyped-def]
    rows = session.exec(
        select(BroadcastDelivery).where(BroadcastDelivery.broadcast_id == broadcast_id)
    )
    return {row.member_id: row for row in rows}


def test_plan_writes_one_row_per_member_and_a_second_plan_adds_nothing(db: Database):
    with db.session() as session:
        members = [add_member(session, user=str(n)) for n in range(5)]
        broadcast = broadcasts.create_broadcast(session=session, item_id=item(session).id)
        assert broadcasts.plan(session=session, broadcast_id=broadcast.id, now=NOON_VILNIUS) == 5
        assert broadcasts.plan(session=session, broadcast_id=broadcast.id, now=NOON_VILNIUS) == 0
        late = add_member(session, user="late")
        assert broadcasts.plan(session=session, broadcast_id=broadcast.id, now=NOON_VILNIUS) == 1
        rows = deliveries(session, broadcast.id)
        assert set(rows) == {m.id for m in members} | {late.id}
        assert broadcasts.status(session, broadcast.id)["counts"]["pending"] == 6
        assert broadcast.status == "sending" and broadcast.planned == 6


def test_the_preferred_channel_is_the_reachable_push_identity_seen_last(db: Database):
    with db.session() as session:
        both = add_member(
            session, user="tg-1", extra_identities=(("discord", "dc-1", -5), ("web", "w-1", -60))
        )  # discord seen 5 minutes in the future: the latest
        blocked = add_member(session, user="tg-2", extra_identities=(("messenger", "m-2", 30),))
        from community.models import ChannelIdentity

        identity = session.exec(
            select(ChannelIdentity).where(ChannelIdentity.platform_user_id == "m-2")
        ).one()
        identity.reachable = False
        web_only = add_member(session, user="w-3", platform="web", language="en")
        broadcast = broadcasts.create_broadcast(session=session, item_id=item(session).id)
        broadcasts.plan(session=session, broadcast_id=broadcast.id, now=NOON_VILNIUS)
        rows = deliveries(session, broadcast.id)
        assert (rows[both.id].platform, rows[both.id].recipient_id) == ("discord", "dc-1")
        assert (rows[blocked.id].platform, rows[blocked.id].recipient_id) == ("telegram", "tg-2")
        assert rows[web_only.id].status == "queued"
        notes = session.exec(select(Notification).where(Notification.member_id == web_only.id))
        note = notes.one()
        assert note.message_key == "news.item" and note.platform == "web"
        assert note.params["title_en"] == "A job in Alytus"
        assert note.dedupe_key == f"broadcast:{broadcast.id}:member:{web_only.id}"
        broadcasts.plan(session=session, broadcast_id=broadcast.id, now=NOON_VILNIUS)
        assert len(list(session.exec(select(Notification)))) == 1


def test_quiet_hours_in_the_members_time_zone():
    assert zone_for_country("LT") == "Europe/Vilnius"
    assert zone_for_country(None) == "Europe/Vilnius"
    assert zone_for_country("US") == "America/New_York"
    assert zone_for_country("NO") == "Europe/Oslo"
    # 10:00 UTC: noon in Vilnius (awake), 05:00 in New York (asleep until 09:00 = 14:00 UTC)
    assert quiet_until(NOON_VILNIUS, "Europe/Vilnius", "21-9") is None
    wake = quiet_until(NOON_VILNIUS, "America/New_York", "21-9")
    assert wake == datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    late = datetime(2026, 12, 1, 20, 30, tzinfo=UTC)  # 22:30 in Vilnius
    assert quiet_until(late, "Europe/Vilnius", "21-9") == datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
    assert quiet_until(late, "Europe/Vilnius", "0-0") is None


def test_plan_defers_members_in_their_quiet_hours(db: Database):
    with db.session() as session:
        awake = add_member(session, user="1", country="LT")
        asleep = add_member(session, user="2", country="US")
        broadcast = broadcasts.create_broadcast(session=session, item_id=item(session).id)
        broadcasts.plan(session=session, broadcast_id=broadcast.id, now=NOON_VILNIUS)
        rows = deliveries(session, broadcast.id)
        assert rows[awake.id].not_before is None
        assert rows[asleep.id].time_zone == "America/New_York"
        claimed = broadcasts.claim(session, broadcast.id, 10, NOON_VILNIUS, worker="w:1:a")
        assert [row.member_id for row in claimed] == [awake.id]
        later = NOON_VILNIUS + timedelta(hours=4, minutes=1)
        claimed = broadcasts.claim(session, broadcast.id, 10, later, worker="w:1:a")
        assert asleep.id in [row.member_id for row in claimed]


def test_claims_are_leased_and_the_sending_gate_passes_a_row_once(db: Database):
    with db.session() as session:
        for n in range(4):
            add_member(session, user=str(n))
        broadcast = broadcasts.create_broadcast(session=session, item_id=item(session).id)
        broadcasts.plan(session=session, broadcast_id=broadcast.id, now=NOON_VILNIUS)
        first = broadcasts.claim(session, broadcast.id, 3, NOON_VILNIUS, worker="a:1:x")
        second = broadcasts.claim(session, broadcast.id, 3, NOON_VILNIUS, worker="b:1:y")
        assert len(first) == 3 and len(second) == 1
        assert not {r.id for r in first} & {r.id for r in second}
        ids = [row.id for row in first]
        assert broadcasts.start_sending(session, ids, worker="b:1:y", now=NOON_VILNIUS) == set()
        assert broadcasts.start_sending(session, ids, worker="a:1:x", now=NOON_VILNIUS) == set(ids)
        assert broadcasts.start_sending(session, ids, worker="a:1:x", now=NOON_VILNIUS) == set()
        # after the lease, another worker may take what was claimed but never sent
        expired = NOON_VILNIUS + broadcasts.CLAIM_LEASE + timedelta(seconds=1)
        again = broadcasts.claim(session, broadcast.id, 10, expired, worker="c:1:z")
        assert [row.id for row in again] == [second[0].id]


def test_recover_frees_a_dead_senders_claims_and_never_resends_what_it_was_sending(db: Database):
    with db.session() as session:
        for n in range(3):
            add_member(session, user=str(n))
        broadcast = broadcasts.create_broadcast(session=session, item_id=item(session).id)
        broadcasts.plan(session=session, broadcast_id=broadcast.id, now=NOON_VILNIUS)
        dead = f"{broadcasts.worker_name().split(':')[0]}:999999999:dead"
        rows = broadcasts.claim(session, broadcast.id, 3, NOON_VILNIUS, worker=dead)
        broadcasts.start_sending(session, [rows[0].id], worker=dead, now=NOON_VILNIUS)
        assert broadcasts.recover(session, broadcast.id, NOON_VILNIUS) == {
            "freed": 2,
            "in_doubt": 1,
        }
        counts = broadcasts.status(session, broadcast.id)["counts"]
        assert counts["pending"] == 2 and counts["in_doubt"] == 1
        alive = broadcasts.worker_name()
        assert len(broadcasts.claim(session, broadcast.id, 3, NOON_VILNIUS, worker=alive)) == 2
        assert broadcasts.recover(session, broadcast.id, NOON_VILNIUS) == {
            "freed": 0,
            "in_doubt": 0,
        }, "a live sender's claims stay its own"


def test_an_audience_of_every_kind_of_member_gets_one_row_each(db: Database):
    """Web, terminal, Telegram, Discord, Messenger, no channel, unreachable and asleep members
    in one audience, in an order that puts each kind of row first: before the fix a row with
    `sent_at` or `error` followed by one without them made the INSERT fail (CompileError)."""
    from community.models import ChannelIdentity

    with db.session() as session:
        web = add_member(session, user="w-1", platform="web")
        no_channel = add_member(session, user="gone")
        for identity in session.exec(
            select(ChannelIdentity).where(ChannelIdentity.member_id == no_channel.id)
        ):
            session.delete(identity)
        telegram = add_member(session, user="tg-1")
        terminal = add_member(session, user="local", platform="terminal")
        discord = add_member(session, user="dc-1", platform="discord")
        messenger = add_member(session, user="m-1", platform="messenger")
        blocked = add_member(session, user="tg-blocked")
        session.exec(
            select(ChannelIdentity).where(ChannelIdentity.platform_user_id == "tg-blocked")
        ).one().reachable = False
        asleep = add_member(session, user="tg-ny", country="US")
        session.flush()
        broadcast = broadcasts.create_broadcast(session=session, item_id=item(session).id)
        added = broadcasts.plan(session=session, broadcast_id=broadcast.id, now=NOON_VILNIUS)
        rows = deliveries(session, broadcast.id)
        everyone = (web, no_channel, telegram, terminal, discord, messenger, blocked, asleep)
        assert added == len(everyone) == len(rows)
        assert {m.id for m in everyone} == set(rows)
        assert rows[web.id].status == rows[terminal.id].status == "queued"
        assert rows[web.id].sent_at is not None
        assert (rows[no_channel.id].status, rows[no_channel.id].error) == ("skipped", "no channel")
        for member, platform in (
            (telegram, "telegram"),
            (discord, "discord"),
            (messenger, "messenger"),
        ):
            assert (rows[member.id].status, rows[member.id].platform) == ("pending", platform)
            assert rows[member.id].error is None and rows[member.id].sent_at is None
        # unreachable on its only channel: no push to try, no pull channel either
        assert rows[blocked.id].status == "skipped"
        wake = quiet_until(NOON_VILNIUS, "America/New_York", "21-9")
        assert as_utc(rows[asleep.id].not_before) == wake
        assert broadcasts.plan(session=session, broadcast_id=broadcast.id, now=NOON_VILNIUS) == 0
