"""The notification outbox: what to tell a member later. No room below bots/ sends anything;
they write here, and the bots room delivers each row once on the member's channel.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from community.models import Notification, utcnow

PENDING, SENT, FAILED = "pending", "sent", "failed"


def enqueue(
    *,
    session: Session,
    member_id: int,
    platform: str,
    message_key: str,
    params: dict[str, Any] | None = None,
    dedupe_key: str,
) -> Notification | None:
    """Add a notification once; a second call with the same dedupe_key adds nothing (None)."""
    existing = session.exec(select(Notification).where(Notification.dedupe_key == dedupe_key))
    if existing.first() is not None:
        return None
    notification = Notification(
        member_id=member_id,
        platform=platform,
        message_key=message_key,
        params=params or {},
        dedupe_key=dedupe_key,
    )
    try:
        with session.begin_nested():
            session.add(notification)
            session.flush()
    except IntegrityError:
        return None
    return notification


def claim_pending(
    *, session: Session, member_id: int | None = None, platform: str | None = None, limit: int = 50
) -> list[Notification]:
    """Pending rows, locked so that two workers never take the same one (PostgreSQL)."""
    statement = select(Notification).where(Notification.status == PENDING)
    if member_id is not None:
        statement = statement.where(Notification.member_id == member_id)
    if platform is not None:
        statement = statement.where(Notification.platform == platform)
    statement = statement.order_by(col(Notification.id)).limit(limit)
    return list(session.exec(statement.with_for_update(skip_locked=True)))


def mark_sent(*, session: Session, notification: Notification) -> None:
    notification.status = SENT
    notification.sent_at = utcnow()
    notification.attempts += 1
    session.add(notification)


def mark_failed(*, session: Session, notification: Notification, give_up_after: int = 5) -> None:
    notification.attempts += 1
    if notification.attempts >= give_up_after:
        notification.status = FAILED
    session.add(notification)
