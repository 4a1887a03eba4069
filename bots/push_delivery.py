"""The delivery worker for push platforms: notification rows whose platform is Telegram,
Discord or Messenger, sent in the member's language within the platform's limits, and the
broadcasts in progress; `run_forever` is what `alytus worker` runs.

A notification is marked "sending" (committed) just before its platform call and "sent"
right after, so a row found "sending" after a crash is in doubt and is not sent again:
at most once, like broadcasts.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from bots.broadcasting import (
    GROUP_SECONDS,
    Pacer,
    StopFlag,
    send_broadcast,
    start_scheduled_broadcasts,
)
from bots.catalog import Catalog, default_catalog
from bots.channels.base import PushChannel, SendOutcome
from bots.channels.registry import push_channels
from bots.delivery import render
from community import broadcasts
from community.database import Database
from community.models import ChannelIdentity, Member, Notification
from community.notifications import PENDING, claim_pending, mark_failed, mark_sent
from community.settings import Settings

log = logging.getLogger(__name__)

SENDING, UNREACHABLE = "sending", "unreachable"


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    unreachable: int = 0
    deferred: int = 0
    by_platform: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Job:
    notification_id: int
    platform: str
    recipient_id: str | None
    member: Member
    notification: Notification


def _claim(session: Session, platform: str, limit: int) -> list[_Job]:
    """Lock pending rows (SKIP LOCKED), pass them through the "sending" gate, commit."""
    jobs = []
    for notification in claim_pending(session=session, platform=platform, limit=limit):
        member = session.get(Member, notification.member_id)
        identity = session.exec(
            select(ChannelIdentity).where(
                ChannelIdentity.member_id == notification.member_id,
                ChannelIdentity.platform == platform,
            )
        ).first()
        assert notification.id is not None and member is not None
        recipient = identity.platform_user_id if identity and identity.reachable else None
        notification.status = SENDING
        session.add(notification)
        jobs.append(_Job(notification.id, platform, recipient, member, notification))
    return jobs


def _record(session: Session, job: _Job, outcome: SendOutcome, report: DeliveryReport) -> None:
    notification = session.get(Notification, job.notification_id)
    assert notification is not None
    if outcome.delivered:
        mark_sent(session=session, notification=notification)
        report.sent += 1
        report.by_platform[job.platform] = report.by_platform.get(job.platform, 0) + 1
    elif outcome.retry_after:
        notification.status = PENDING  # refused before delivery: try again after the wait
        session.add(notification)
        report.deferred += 1
    elif outcome.unreachable:
        notification.status = UNREACHABLE
        session.add(notification)
        if job.recipient_id is not None:
            session.execute(
                update(ChannelIdentity)
                .where(
                    col(ChannelIdentity.platform) == job.platform,
                    col(ChannelIdentity.platform_user_id) == job.recipient_id,
                )
                .values(reachable=False)
            )
        report.unreachable += 1
    else:
        notification.status = PENDING
        mark_failed(session=session, notification=notification)
        report.failed += 1


async def _push(
    channel: PushChannel, pacer: Pacer, catalog: Catalog, job: _Job, stop: StopFlag | None
) -> SendOutcome:
    if job.recipient_id is None:
        return SendOutcome(delivered=False, unreachable=True, error="no reachable identity")
    await pacer.slot(job.recipient_id)
    try:
        outcome = await channel.push(
            job.recipient_id, render(catalog, job.member, job.notification)
        )
    except Exception as error:  # one bad row must not stop the worker
        log.exception("notification %s failed", job.notification_id)
        outcome = SendOutcome(delivered=False, error=f"{type(error).__name__}: {error}")
    if outcome.retry_after:
        pacer.pause(outcome.retry_after)
    return outcome


async def _deliver_platform(
    db: Database,
    platform: str,
    channel: PushChannel,
    catalog: Catalog,
    report: DeliveryReport,
    stop: StopFlag | None,
    pacer: Pacer,
) -> None:
    group = max(1, math.ceil(channel.rate.per_second * GROUP_SECONDS))
    while stop is None or not stop.is_set():
        with db.session() as session:
            jobs = _claim(session, platform, group)
        if not jobs:
            return
        # Committed as "sending": from here a crash leaves them in doubt, never sent twice.
        outcomes: Sequence[SendOutcome] = await asyncio.gather(
            *(_push(channel, pacer, catalog, job, stop) for job in jobs)
        )
        with db.session() as session:
            for job, outcome in zip(jobs, outcomes, strict=True):
                _record(session, job, outcome, report)
        if any(outcome.retry_after for outcome in outcomes):
            return  # the rest waits for the next round, after the platform's pause


async def deliver_notifications(
    *,
    db: Database,
    settings: Settings,
    channels: dict[str, PushChannel],
    catalog: Catalog,
    stop: StopFlag | None = None,
    pacers: dict[str, Pacer] | None = None,
) -> DeliveryReport:
    """Send every pending notification on the push platforms given; return when none is
    left (or a platform asked to wait). Pass `pacers` to keep the pace across rounds."""
    report = DeliveryReport()
    pacers = pacers if pacers is not None else {}
    for platform, channel in channels.items():
        pacers.setdefault(platform, Pacer(channel.rate))
    await asyncio.gather(
        *(
            _deliver_platform(db, platform, channel, catalog, report, stop, pacers[platform])
            for platform, channel in channels.items()
        )
    )
    return report


async def work(
    *,
    db: Database,
    settings: Settings,
    channels: dict[str, PushChannel],
    catalog: Catalog,
    interval: float = 2.0,
    stop: StopFlag,
) -> None:
    """Rounds of notifications and broadcasts in progress until `stop` is set."""
    pacers: dict[str, Pacer] = {}
    while not stop.is_set():
        try:
            await deliver_notifications(
                db=db,
                settings=settings,
                channels=channels,
                catalog=catalog,
                stop=stop,
                pacers=pacers,
            )
            start_scheduled_broadcasts(db=db, settings=settings)
            with db.session() as session:
                active = broadcasts.sending_broadcasts(session)
            for broadcast_id in active:
                if stop.is_set():
                    break
                report = await send_broadcast(
                    db=db,
                    settings=settings,
                    broadcast_id=broadcast_id,
                    channels=channels,
                    catalog=catalog,
                    stop=stop,
                )
                if report.sent or report.failed:
                    log.info("broadcast %s: %s", broadcast_id, report.as_dict())
        except Exception:  # the loop must outlive any one bad round
            log.exception("delivery round failed")
        for _ in range(int(interval * 10)):
            if stop.is_set():
                break
            await asyncio.sleep(0.1)


def run_forever(
    *,
    db: Database,
    settings: Settings,
    interval: float = 2.0,
    stop: threading.Event | None = None,
) -> None:
    """`alytus worker`'s push loop (blocking; run it in a thread beside the ledger loop).
    Several worker processes may run it at once: rows are claimed with row locks."""
    channels = push_channels(settings)
    if not channels:  # still start scheduled broadcasts: web chat members get them queued
        log.info("push delivery: no push platform configured")
    asyncio.run(
        work(
            db=db,
            settings=settings,
            channels=channels,
            catalog=default_catalog(),
            interval=interval,
            stop=stop or threading.Event(),
        )
    )
