"""Members for rewards tests: made directly in the database, with a channel to be told on."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from community.members import record_consent
from community.models import ChannelIdentity, Member, Notification, utcnow
from community.profile import ConsentPurpose


def make_member(
    session: Session,
    *,
    onboarded: bool = True,
    referred_by: Member | None = None,
    platform: str | None = "telegram",
    referral_code: str | None = None,
    onchain: bool = True,
) -> Member:
    """A member who finished onboarding (unless told otherwise) on one platform, and agreed
    to on-chain rewards (unless told otherwise)."""
    member = Member(
        onboarded_at=utcnow() if onboarded else None,
        referred_by_id=referred_by.id if referred_by else None,
        referral_code=referral_code,
    )
    session.add(member)
    session.flush()
    assert member.id is not None
    if platform is not None:
        session.add(
            ChannelIdentity(
                member_id=member.id, platform=platform, platform_user_id=f"user-{member.id}"
            )
        )
        session.flush()
    if onchain:
        record_consent(
            session=session,
            member_id=member.id,
            purpose=ConsentPurpose.ONCHAIN_REWARDS,
            granted=True,
            notice_version="test",
            source="test",
        )
    return member


def notifications_of(session: Session, member: Member, message_key: str) -> list[Notification]:
    statement = select(Notification).where(
        Notification.member_id == member.id, Notification.message_key == message_key
    )
    return list(session.exec(statement.order_by(col(Notification.id))))


def at(text: str) -> datetime:
    """An aware UTC time from '2026-06-01T10:00'."""
    return datetime.fromisoformat(text + "+00:00")
