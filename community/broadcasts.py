"""Broadcasts: one feed item sent to its audience, one delivery row per member.

The delivery row is the unit of work and of truth. `plan` writes one per audience member
(idempotent), choosing the member's push channel; `claim` leases rows to one sender (row
locks with SKIP LOCKED on PostgreSQL, so several workers share a broadcast); `start_sending`
is the gate every message passes just before the platform call, so that a row is never sent
by two workers and a row found "sending" after a crash is known to be in doubt. Nothing here
sends anything: bots/ does (DESIGN.md).

A broadcast goes draft -> sending -> done; staff may instead schedule it (draft ->
scheduled), and `start_due` plans it once its time has passed, or cancel it first.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from community.feed import audience_query
from community.models import (
    Broadcast,
    BroadcastDelivery,
    ChannelIdentity,
    FeedItem,
    Member,
    as_utc,
    utcnow,
)
from community.notifications import enqueue
from community.timezones import quiet_until, zone_for_country

PUSH_PLATFORMS = ("telegram", "discord", "messenger")
PULL_PLATFORMS = ("web", "terminal")

DRAFT, SENDING_BROADCAST, DONE = "draft", "sending", "done"
SCHEDULED, CANCELLED = "scheduled", "cancelled"
NOT_STARTED = (DRAFT, SCHEDULED)  # what `plan` may start
PENDING, SENDING, SENT, QUEUED = "pending", "sending", "sent", "queued"
FAILED, SKIPPED, UNREACHABLE, IN_DOUBT = "failed", "skipped", "unreachable", "in_doubt"
OPEN_STATUSES = (PENDING, SENDING)
ALL_STATUSES = (PENDING, SENDING, SENT, QUEUED, FAILED, SKIPPED, UNREACHABLE, IN_DOUBT)

CLAIM_LEASE = timedelta(minutes=2)  # a claimed row nobody sent is free again after this
SENDING_LEASE = timedelta(minutes=2)  # a platform call never takes this long
GIVE_UP_AFTER = 3
INSERT_CHUNK = 1000


class BroadcastError(LookupError):
    """No such broadcast (or item)."""


class BroadcastStateError(ValueError):
    """A change the broadcast's status does not allow (cancel one already sending...)."""


@dataclass(frozen=True)
class Claimed:
    """A delivery row leased to this sender, with what sending it needs."""

    id: int
    member_id: int
    platform: str
    recipient_id: str
    language: str
    time_zone: str
    attempts: int


def worker_name() -> str:
    """This process's name in `claimed_by`: host and pid (to tell a dead owner) and a nonce."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_is_dead(claimed_by: str | None) -> bool:
    """A claim by a process of this host that no longer runs (a crash, a SIGKILL)."""
    if not claimed_by:
        return True
    host, _, rest = claimed_by.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname()[:40] or not pid.isdigit():
        return False  # another machine's worker: only its lease can tell
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def create_broadcast(*, session: Session, item_id: int) -> Broadcast:
    """A draft broadcast of one item; `plan` turns it into deliveries."""
    if session.get(FeedItem, item_id) is None:
        raise BroadcastError(f"no feed item {item_id}")
    broadcast = Broadcast(item_id=item_id)
    session.add(broadcast)
    session.flush()
    return broadcast


def get_broadcast(session: Session, broadcast_id: int) -> Broadcast:
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise BroadcastError(f"no broadcast {broadcast_id}")
    return broadcast


def _best_channels(
    session: Session, member_ids: Sequence[int], push_platforms: Iterable[str]
) -> dict[int, ChannelIdentity]:
    """Each member's preferred channel: the reachable push identity seen last, else a pull
    one (web chat, terminal) seen last."""
    push = set(push_platforms)
    best: dict[int, tuple[tuple[int, datetime], ChannelIdentity]] = {}
    for start in range(0, len(member_ids), INSERT_CHUNK):
        chunk = member_ids[start : start + INSERT_CHUNK]
        query = select(ChannelIdentity).where(col(ChannelIdentity.member_id).in_(chunk))
        for identity in session.exec(query):
            if identity.platform in push and identity.reachable:
                rank = 2
            elif identity.platform in PULL_PLATFORMS:
                rank = 1
            else:
                continue
            key = (rank, as_utc(identity.last_seen_at))
            current = best.get(identity.member_id)
            if current is None or key > current[0]:
                best[identity.member_id] = (key, identity)
    return {member_id: identity for member_id, (_, identity) in best.items()}


def plan(
    *,
    session: Session,
    broadcast_id: int,
    quiet_hours: str = "21-9",
    push_platforms: Iterable[str] = PUSH_PLATFORMS,
    now: datetime | None = None,
) -> int:
    """Write one delivery row per audience member (a second call adds only newcomers) and
    return how many were added. Pull-channel members get a community notification instead;
    members in their quiet hours wait until it ends (`not_before`)."""
    now = now or utcnow()
    broadcast = get_broadcast(session, broadcast_id)
    if broadcast.status == CANCELLED:
        raise BroadcastError(f"broadcast {broadcast_id} was cancelled")
    item = session.get(FeedItem, broadcast.item_id)
    assert item is not None
    member_ids = list(session.exec(audience_query(session, item)).all())  # type: ignore[call-overload]
    planned = set(
        session.exec(
            select(BroadcastDelivery.member_id).where(
                BroadcastDelivery.broadcast_id == broadcast_id
            )
        ).all()
    )
    new_ids = [member_id for member_id in member_ids if member_id not in planned]
    channels = _best_channels(session, new_ids, push_platforms)
    members = _members(session, new_ids)
    push_platforms = tuple(push_platforms)
    rows: list[dict[str, Any]] = []
    pulled: list[tuple[Member, ChannelIdentity]] = []
    for member_id in new_ids:
        member, identity = members[member_id], channels.get(member_id)
        zone = zone_for_country(member.country)
        row: dict[str, Any] = {
            "broadcast_id": broadcast_id,
            "member_id": member_id,
            "platform": identity.platform if identity else "",
            "recipient_id": identity.platform_user_id if identity else "",
            "language": member.language,
            "time_zone": zone,
            "status": PENDING,
            "attempts": 0,
            "not_before": quiet_until(now, zone, quiet_hours),
            # every row names the same columns: one multi-row INSERT takes one set of keys
            "error": None,
            "sent_at": None,
        }
        if identity is None:
            row |= {"status": SKIPPED, "error": "no channel", "not_before": None}
        elif identity.platform not in push_platforms:
            row |= {"status": QUEUED, "sent_at": now, "not_before": None}
            pulled.append((member, identity))
        rows.append(row)
    added = _insert(session, rows)
    for member, identity in pulled:
        _notify(session, broadcast_id, item, member, identity)
    broadcast.planned = int(
        session.exec(
            select(func.count())
            .select_from(BroadcastDelivery)
            .where(BroadcastDelivery.broadcast_id == broadcast_id)
        ).one()
    )
    if broadcast.status in NOT_STARTED:
        broadcast.status, broadcast.started_at = SENDING_BROADCAST, now
    session.add(broadcast)
    session.flush()
    return added


def schedule(
    *, session: Session, broadcast_id: int, when: datetime, now: datetime | None = None
) -> Broadcast:
    """Start a draft (or move a scheduled) broadcast at `when` (aware; stored as UTC)."""
    if when.tzinfo is None:
        raise BroadcastStateError("a scheduled time needs its time zone")
    broadcast = get_broadcast(session, broadcast_id)
    if broadcast.status not in NOT_STARTED:
        raise BroadcastStateError(f"broadcast {broadcast_id} is {broadcast.status} already")
    if when <= (now or utcnow()):
        raise BroadcastStateError("the scheduled time has already passed")
    broadcast.status, broadcast.scheduled_for = SCHEDULED, when.astimezone(UTC)
    session.add(broadcast)
    session.flush()
    return broadcast


def cancel(*, session: Session, broadcast_id: int) -> Broadcast:
    """Call off a broadcast that has not started (scheduled or draft); nothing is sent."""
    broadcast = get_broadcast(session, broadcast_id)
    if broadcast.status not in NOT_STARTED:
        raise BroadcastStateError(f"broadcast {broadcast_id} is {broadcast.status}: too late")
    broadcast.status, broadcast.finished_at = CANCELLED, utcnow()
    session.add(broadcast)
    session.flush()
    return broadcast


def start_due(
    *,
    session: Session,
    now: datetime | None = None,
    quiet_hours: str = "21-9",
    push_platforms: Iterable[str] = PUSH_PLATFORMS,
) -> list[int]:
    """Plan every scheduled broadcast whose time has passed (as `alytus broadcast send`
    does), so it is "sending" for the workers; returns their ids. The status is switched
    with one UPDATE first, so two workers never start the same broadcast."""
    now = (now or utcnow()).astimezone(UTC)  # SQLite compares the stored UTC text
    taken = session.execute(
        update(Broadcast)
        .where(
            col(Broadcast.status) == SCHEDULED,
            col(Broadcast.scheduled_for).is_not(None),
            col(Broadcast.scheduled_for) <= now,
        )
        .values(status=DRAFT)
        .returning(col(Broadcast.id))
    )
    started = sorted(row[0] for row in taken)
    for broadcast_id in started:
        session.expire(get_broadcast(session, broadcast_id))
        plan(
            session=session,
            broadcast_id=broadcast_id,
            quiet_hours=quiet_hours,
            push_platforms=push_platforms,
            now=now,
        )
    return started


def _members(session: Session, member_ids: Sequence[int]) -> dict[int, Member]:
    found: dict[int, Member] = {}
    for start in range(0, len(member_ids), INSERT_CHUNK):
        chunk = member_ids[start : start + INSERT_CHUNK]
        found |= {m.id: m for m in session.exec(select(Member).where(col(Member.id).in_(chunk)))}  # type: ignore[misc]
    return found


def _insert(session: Session, rows: list[dict[str, Any]]) -> int:
    """INSERT ... ON CONFLICT DO NOTHING: a row another planner wrote first is kept."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    added = 0
    for start in range(0, len(rows), INSERT_CHUNK):
        statement = insert(BroadcastDelivery).values(rows[start : start + INSERT_CHUNK])
        statement = statement.on_conflict_do_nothing().returning(BroadcastDelivery.id)
        added += len(session.execute(statement).all())  # rowcount is -1 here on PostgreSQL
    return added


def _notify(
    session: Session, broadcast_id: int, item: FeedItem, member: Member, identity: ChannelIdentity
) -> None:
    """The item as a notification on a pull channel, rendered in the member's language."""
    assert member.id is not None
    link = f"\n{item.url}" if item.url else ""
    enqueue(
        session=session,
        member_id=member.id,
        platform=identity.platform,
        message_key="news.item",
        params={
            "title_lt": item.title_lt,
            "title_en": item.title_en,
            "body_lt": item.body_lt + link,
            "body_en": item.body_en + link,
            "item_id": item.id,
            "broadcast_id": broadcast_id,
        },
        dedupe_key=f"broadcast:{broadcast_id}:member:{member.id}",
    )


def claim(
    session: Session,
    broadcast_id: int,
    limit: int,
    now: datetime,
    *,
    worker: str,
    platforms: Iterable[str] | None = None,
) -> list[Claimed]:
    """Lease up to `limit` due rows to `worker` (SKIP LOCKED on PostgreSQL: two workers never
    take the same row; SQLite has one writer at a time)."""
    due = (
        select(BroadcastDelivery.id)
        .where(
            BroadcastDelivery.broadcast_id == broadcast_id,
            BroadcastDelivery.status == PENDING,
            or_(
                col(BroadcastDelivery.not_before).is_(None),
                col(BroadcastDelivery.not_before) <= now,
            ),
            or_(
                col(BroadcastDelivery.claimed_by).is_(None),
                col(BroadcastDelivery.claimed_at) < now - CLAIM_LEASE,
            ),
        )
        .order_by(col(BroadcastDelivery.id))
        .limit(limit)
    )
    if platforms is not None:
        due = due.where(col(BroadcastDelivery.platform).in_(list(platforms)))
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    statement = (
        update(BroadcastDelivery)
        .where(col(BroadcastDelivery.id).in_(due.scalar_subquery()))
        .values(claimed_by=worker, claimed_at=now)
        .returning(
            col(BroadcastDelivery.id),
            col(BroadcastDelivery.member_id),
            col(BroadcastDelivery.platform),
            col(BroadcastDelivery.recipient_id),
            col(BroadcastDelivery.language),
            col(BroadcastDelivery.time_zone),
            col(BroadcastDelivery.attempts),
        )
    )
    rows = [Claimed(*row) for row in session.execute(statement)]
    return sorted(rows, key=lambda row: row.id)


def start_sending(session: Session, ids: Sequence[int], *, worker: str, now: datetime) -> set[int]:
    """The gate before the platform call: pending rows still leased to `worker` become
    "sending". Only the ids returned may be sent; commit before sending them."""
    if not ids:
        return set()
    statement = (
        update(BroadcastDelivery)
        .where(
            col(BroadcastDelivery.id).in_(list(ids)),
            BroadcastDelivery.status == PENDING,
            BroadcastDelivery.claimed_by == worker,
        )
        .values(status=SENDING, claimed_at=now, attempts=BroadcastDelivery.attempts + 1)
        .returning(col(BroadcastDelivery.id))
    )
    return {row[0] for row in session.execute(statement)}


def _set(session: Session, delivery_id: int, **values: Any) -> None:
    session.execute(
        update(BroadcastDelivery).where(col(BroadcastDelivery.id) == delivery_id).values(**values)
    )


def mark_sent(
    session: Session, delivery_ids: int | Sequence[int], now: datetime | None = None
) -> None:
    """The platform accepted these rows' messages (one UPDATE for a whole group)."""
    ids = [delivery_ids] if isinstance(delivery_ids, int) else list(delivery_ids)
    if ids:
        session.execute(
            update(BroadcastDelivery)
            .where(col(BroadcastDelivery.id).in_(ids))
            .values(status=SENT, sent_at=now or utcnow(), error=None)
        )


def mark_failed(
    session: Session, delivery_id: int, error: str, *, attempts: int, retry_in: float = 30.0
) -> None:
    """A refusal that is not about the member: retried later, given up after a few tries."""
    if attempts >= GIVE_UP_AFTER:
        _set(session, delivery_id, status=FAILED, error=error[:500], claimed_by=None)
    else:
        until = utcnow() + timedelta(seconds=retry_in * attempts)
        _set(
            session,
            delivery_id,
            status=PENDING,
            error=error[:500],
            not_before=until,
            claimed_by=None,
        )


def mark_unreachable(
    session: Session, delivery_id: int, *, platform: str, recipient_id: str, error: str = ""
) -> None:
    """The member blocked the bot or left: no more messages on that identity."""
    _set(session, delivery_id, status=UNREACHABLE, error=(error or "unreachable")[:500])
    session.execute(
        update(ChannelIdentity)
        .where(
            col(ChannelIdentity.platform) == platform,
            col(ChannelIdentity.platform_user_id) == recipient_id,
        )
        .values(reachable=False)
    )


def defer(
    session: Session,
    delivery_id: int,
    until: datetime,
    *,
    error: str | None = None,
    undo_attempt: bool = False,
) -> None:
    """Back to pending, not before `until` (quiet hours, a platform's "retry after")."""
    values: dict[str, Any] = {
        "status": PENDING,
        "not_before": until,
        "claimed_by": None,
        "claimed_at": None,
    }
    if error is not None:
        values["error"] = error[:500]
    if undo_attempt:  # the platform refused before delivering: not a real try
        values["attempts"] = BroadcastDelivery.attempts - 1
    _set(session, delivery_id, **values)


def release(session: Session, ids: Sequence[int], *, worker: str) -> None:
    """Give back leased rows that were never sent (a sender stopping early)."""
    if ids:
        session.execute(
            update(BroadcastDelivery)
            .where(
                col(BroadcastDelivery.id).in_(list(ids)),
                BroadcastDelivery.status == PENDING,
                BroadcastDelivery.claimed_by == worker,
            )
            .values(claimed_by=None, claimed_at=None)
        )


def recover(session: Session, broadcast_id: int, now: datetime | None = None) -> dict[str, int]:
    """After a crash: rows leased by a dead sender are free again; rows it was sending are
    "in_doubt" and are NOT sent again (at most once: the platform may already have shown
    the message, and Telegram has no way to ask)."""
    now = now or utcnow()
    open_rows = session.exec(
        select(
            BroadcastDelivery.id,
            BroadcastDelivery.status,
            BroadcastDelivery.claimed_by,
            BroadcastDelivery.claimed_at,
        ).where(
            BroadcastDelivery.broadcast_id == broadcast_id,
            col(BroadcastDelivery.status).in_(OPEN_STATUSES),
            col(BroadcastDelivery.claimed_by).is_not(None),
        )
    ).all()
    freed, doubted = [], []
    dead: dict[str, bool] = {}
    for delivery_id, status, owner, claimed_at in open_rows:
        if owner not in dead:
            dead[owner] = owner_is_dead(owner)
        expired = claimed_at is None or as_utc(claimed_at) < now - (
            SENDING_LEASE if status == SENDING else CLAIM_LEASE
        )
        if dead[owner] or expired:
            (doubted if status == SENDING else freed).append(delivery_id)
    if freed:
        session.execute(
            update(BroadcastDelivery)
            .where(col(BroadcastDelivery.id).in_(freed))
            .values(claimed_by=None, claimed_at=None)
        )
    if doubted:
        session.execute(
            update(BroadcastDelivery)
            .where(col(BroadcastDelivery.id).in_(doubted), BroadcastDelivery.status == SENDING)
            .values(status=IN_DOUBT, error="the sender stopped during the platform call")
        )
    return {"freed": len(freed), "in_doubt": len(doubted)}


def counts(session: Session, broadcast_id: int) -> dict[str, int]:
    rows = session.exec(
        select(BroadcastDelivery.status, func.count())
        .where(BroadcastDelivery.broadcast_id == broadcast_id)
        .group_by(col(BroadcastDelivery.status))
    ).all()
    found = dict.fromkeys(ALL_STATUSES, 0)
    found |= {status: int(number) for status, number in rows}
    return found


def next_due(session: Session, broadcast_id: int) -> datetime | None:
    """When the earliest waiting row (quiet hours, retry after) may go."""
    moment = session.exec(
        select(func.min(BroadcastDelivery.not_before)).where(
            BroadcastDelivery.broadcast_id == broadcast_id, BroadcastDelivery.status == PENDING
        )
    ).one()
    return as_utc(moment) if moment else None


def finish_if_done(session: Session, broadcast_id: int) -> bool:
    """Close the broadcast when no row is pending or being sent; keep its final counts."""
    broadcast = get_broadcast(session, broadcast_id)
    found = counts(session, broadcast_id)
    if broadcast.status == DONE:
        return True
    if broadcast.status != SENDING_BROADCAST or any(found[status] for status in OPEN_STATUSES):
        return False
    broadcast.status, broadcast.finished_at, broadcast.counts = DONE, utcnow(), found
    session.add(broadcast)
    session.flush()
    return True


def status(session: Session, broadcast_id: int) -> dict[str, Any]:
    """What `alytus broadcast status --json` prints: the broadcast and counts by status."""
    broadcast = get_broadcast(session, broadcast_id)
    found = counts(session, broadcast_id)
    upcoming = next_due(session, broadcast_id)
    return {
        "id": broadcast.id,
        "item_id": broadcast.item_id,
        "status": broadcast.status,
        "planned": broadcast.planned,
        "counts": found,
        "done": sum(found[s] for s in ALL_STATUSES if s not in OPEN_STATUSES),
        "created_at": as_utc(broadcast.created_at).isoformat(),
        "started_at": as_utc(broadcast.started_at).isoformat() if broadcast.started_at else None,
        "finished_at": (
            as_utc(broadcast.finished_at).isoformat() if broadcast.finished_at else None
        ),
        "next_due_at": upcoming.isoformat() if upcoming else None,
        "scheduled_for": (
            as_utc(broadcast.scheduled_for).isoformat() if broadcast.scheduled_for else None
        ),
    }


def sending_broadcasts(session: Session) -> list[int]:
    """Broadcasts with work left, oldest first (for `alytus worker`)."""
    query = (
        select(Broadcast.id)
        .where(Broadcast.status == SENDING_BROADCAST)
        .order_by(col(Broadcast.id))
    )
    return [broadcast_id for broadcast_id in session.exec(query).all() if broadcast_id]


def open_work(
    session: Session, broadcast_id: int, now: datetime, platform: str | None = None
) -> dict[str, Any]:
    """What is left that cannot be claimed now: rows other senders hold ("held") and the
    time the earliest deferred row may go ("later")."""
    query = select(
        BroadcastDelivery.status, BroadcastDelivery.claimed_by, BroadcastDelivery.not_before
    ).where(
        BroadcastDelivery.broadcast_id == broadcast_id,
        col(BroadcastDelivery.status).in_(OPEN_STATUSES),
    )
    if platform is not None:
        query = query.where(BroadcastDelivery.platform == platform)
    held, later = 0, None
    for status_, owner, not_before in session.exec(query):
        if status_ == SENDING or owner is not None:
            held += 1
        elif not_before is not None and as_utc(not_before) > now:
            moment = as_utc(not_before)
            later = moment if later is None or moment < later else later
    return {"held": held, "later": later}
