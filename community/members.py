"""Member data functions: identities, consent, referral codes, export and erasure.

Keyword-only functions on a session (STYLE.md). Consent is append-only history; the latest
record per purpose is what holds now.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import column, delete, inspect, table, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from community.models import (
    Activity,
    ChannelIdentity,
    Consent,
    Conversation,
    EventRsvp,
    Member,
    Notification,
    RateWindow,
    as_utc,
    utcnow,
)
from community.profile import ConsentPurpose

REFERRAL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed by hand
REFERRAL_LENGTH = 8


class UnknownMember(LookupError):
    """No member has that identity (or it was erased)."""


def find_identity(*, session: Session, platform: str, user_id: str) -> ChannelIdentity | None:
    statement = select(ChannelIdentity).where(
        ChannelIdentity.platform == platform, ChannelIdentity.platform_user_id == user_id
    )
    return session.exec(statement).first()


def find_member(*, session: Session, platform: str, user_id: str) -> Member | None:
    """The member behind a platform account, or None."""
    identity = find_identity(session=session, platform=platform, user_id=user_id)
    return session.get(Member, identity.member_id) if identity else None


def get_member(*, session: Session, platform: str, user_id: str) -> Member:
    """Like find_member, but an unknown member is an error the CLI turns into a message."""
    member = find_member(session=session, platform=platform, user_id=user_id)
    if member is None:
        raise UnknownMember(f"no member with {platform} user id {user_id!r}")
    return member


def touch_identity(*, session: Session, platform: str, user_id: str) -> None:
    """Note that this account was seen now (the broadcast prefers the channel seen last)."""
    identity = find_identity(session=session, platform=platform, user_id=user_id)
    if identity is not None:
        identity.last_seen_at = utcnow()
        session.add(identity)


def get_or_create_member(
    *, session: Session, platform: str, user_id: str, language: str
) -> tuple[Member, bool]:
    """The member for this platform account, created on first contact; (member, created)."""
    identity = find_identity(session=session, platform=platform, user_id=user_id)
    if identity is not None:
        identity.last_seen_at = utcnow()
        session.add(identity)
        member = session.get(Member, identity.member_id)
        assert member is not None
        return member, False
    try:
        with session.begin_nested():
            member = Member(language=language)
            session.add(member)
            session.flush()
            assert member.id is not None
            session.add(
                ChannelIdentity(member_id=member.id, platform=platform, platform_user_id=user_id)
            )
            session.flush()
    except IntegrityError:
        # Another process created the same identity a moment ago: take theirs.
        member = find_member(session=session, platform=platform, user_id=user_id)
        assert member is not None
        return member, False
    return member, True


def identities_of(*, session: Session, member_id: int) -> list[ChannelIdentity]:
    statement = select(ChannelIdentity).where(ChannelIdentity.member_id == member_id)
    return list(session.exec(statement.order_by(col(ChannelIdentity.id))))


def consent_history(*, session: Session, member_id: int) -> list[Consent]:
    statement = select(Consent).where(Consent.member_id == member_id)
    return list(session.exec(statement.order_by(col(Consent.at), col(Consent.id))))


def current_consents(*, session: Session, member_id: int) -> dict[str, bool]:
    """Every purpose with the latest decision (False when never asked)."""
    consents = {purpose.value: False for purpose in ConsentPurpose}
    for record in consent_history(session=session, member_id=member_id):
        consents[record.purpose] = record.granted
    return consents


def has_consent(*, session: Session, member_id: int, purpose: ConsentPurpose) -> bool:
    return current_consents(session=session, member_id=member_id)[purpose.value]


def record_consent(
    *,
    session: Session,
    member_id: int,
    purpose: ConsentPurpose,
    granted: bool,
    notice_version: str,
    source: str,
) -> Consent:
    """Append one consent decision; history is never rewritten."""
    record = Consent(
        member_id=member_id,
        purpose=purpose.value,
        granted=granted,
        notice_version=notice_version,
        source=source,
    )
    session.add(record)
    session.flush()
    return record


def new_referral_code() -> str:
    return "".join(secrets.choice(REFERRAL_ALPHABET) for _ in range(REFERRAL_LENGTH))


def ensure_referral_code(*, session: Session, member: Member) -> str:
    """The member's personal invitation code, made once."""
    while member.referral_code is None:
        code = new_referral_code()
        if member_by_referral_code(session=session, code=code) is None:
            member.referral_code = code
            session.add(member)
            session.flush()
    return member.referral_code


def member_by_referral_code(*, session: Session, code: str) -> Member | None:
    statement = select(Member).where(Member.referral_code == code.strip().upper())
    return session.exec(statement).first()


def referrals_count(*, session: Session, member_id: int) -> int:
    statement = select(Member).where(Member.referred_by_id == member_id)
    return len(list(session.exec(statement)))


def member_view(*, session: Session, member: Member) -> dict[str, Any]:
    """The profile as `alytus members show --json` prints it."""
    assert member.id is not None
    return {
        "id": member.id,
        "language": member.language,
        "relation": member.relation,
        "country": member.country,
        "city": member.city,
        "interests": list(member.interests),
        "return_intention": member.return_intention,
        "consents": current_consents(session=session, member_id=member.id),
        "referral_code": member.referral_code,
        "created_at": as_utc(member.created_at).isoformat(),
    }


def export_member(*, session: Session, member: Member) -> dict[str, Any]:
    """Everything we hold about a member (GDPR access and portability), JSON-ready."""
    assert member.id is not None
    conversation = session.get(Conversation, member.id)
    return {
        "profile": member_view(session=session, member=member)
        | {
            "referred_by": member.referred_by_id,
            "onboarded_at": as_utc(member.onboarded_at).isoformat()
            if member.onboarded_at
            else None,
        },
        "channels": [
            {
                "platform": identity.platform,
                "user_id": identity.platform_user_id,
                "since": as_utc(identity.created_at).isoformat(),
            }
            for identity in identities_of(session=session, member_id=member.id)
        ],
        "consent_history": [
            {
                "purpose": record.purpose,
                "granted": record.granted,
                "notice_version": record.notice_version,
                "at": as_utc(record.at).isoformat(),
            }
            for record in consent_history(session=session, member_id=member.id)
        ],
        "conversation": {
            "flow": conversation.flow if conversation else None,
            "step": conversation.step if conversation else None,
        },
    }


ERASABLE_FIELDS = ("relation", "country", "city", "interests", "return_intention", "referral_code")


def erase_member(*, session: Session, member: Member, notice_version: str) -> list[str]:
    """Remove a member's personal data and the links to their accounts; say what went.

    The member row stays as a tombstone so the reward journal and the chain keep their
    entries, but nothing in it points to a person any more.
    """
    assert member.id is not None
    removed: list[str] = []
    for field in ERASABLE_FIELDS:
        value = getattr(member, field)
        if value:
            removed.append(field)
        setattr(member, field, [] if field == "interests" else None)
    identities = identities_of(session=session, member_id=member.id)
    for identity in identities:
        removed.append(f"channel:{identity.platform}")
        session.delete(identity)
    # the rate limit's counters name the account too (community/rate_limits.py)
    keys = [f"{identity.platform}:{identity.platform_user_id}" for identity in identities]
    if keys:
        session.exec(delete(RateWindow).where(col(RateWindow.key).in_(keys)))  # type: ignore[call-overload]
    for purpose, granted in current_consents(session=session, member_id=member.id).items():
        if granted:
            record_consent(
                session=session,
                member_id=member.id,
                purpose=ConsentPurpose(purpose),
                granted=False,
                notice_version=notice_version,
                source="erasure",
            )
    conversation = session.get(Conversation, member.id)
    if conversation is not None:
        removed.append("conversation")
        session.delete(conversation)
    notifications = list(
        session.exec(select(Notification).where(Notification.member_id == member.id))
    )
    if notifications:
        removed.append("notifications")
    for notification in notifications:
        session.delete(notification)
    answers = session.exec(delete(EventRsvp).where(col(EventRsvp.member_id) == member.id))
    if answers.rowcount:
        removed.append("event_answers")
    unlinked = session.exec(
        update(Activity).where(col(Activity.member_id) == member.id).values(member_id=None)
    )
    if unlinked.rowcount:
        removed.append("activity")
    member.referred_by_id = None
    member.erased_at = utcnow()
    session.add(member)
    session.flush()
    return removed


# Rows any visit leaves; a visitor with nothing in any other table left nothing to keep.
VISIT_TABLES = frozenset({"channelidentity", "conversation", "activity"})
ABANDONED_AFTER = timedelta(hours=24)


def purge_abandoned_visitors(*, session: Session, now: datetime | None = None) -> int:
    """Delete visitors who began joining (chose a language) a day ago or more and then
    neither consented nor declined nor left anything else: they gave no consent to keep even
    that. Every table that points at a member is checked, whichever room owns it, so a
    visitor with a question filed for staff, a reward or a reply owed is kept. Returns how
    many went."""
    cutoff = (now or utcnow()) - ABANDONED_AFTER
    candidates = select(Member.id).where(
        col(Member.onboarded_at).is_(None),
        col(Member.erased_at).is_(None),
        col(Member.created_at) < cutoff,
        ~select(Consent.id).where(Consent.member_id == Member.id).exists(),
    )
    for reference in _member_references(session):
        candidates = candidates.where(~select(reference).where(reference == Member.id).exists())
    doomed = list(session.exec(candidates))
    for start in range(0, len(doomed), 500):
        chunk = doomed[start : start + 500]
        session.exec(delete(Activity).where(col(Activity.member_id).in_(chunk)))  # type: ignore[call-overload]
        session.exec(delete(Conversation).where(col(Conversation.member_id).in_(chunk)))  # type: ignore[call-overload]
        session.exec(delete(ChannelIdentity).where(col(ChannelIdentity.member_id).in_(chunk)))  # type: ignore[call-overload]
        session.exec(delete(Member).where(col(Member.id).in_(chunk)))  # type: ignore[call-overload]
    return len(doomed)


def _member_references(session: Session) -> list[Any]:
    """Every column in the database that is a foreign key to member.id, read from the
    database itself (whichever room's models this process has imported), except the tables
    a plain visit writes and the consent table, checked on its own."""
    inspector = inspect(session.connection())
    found = []
    for name in inspector.get_table_names():
        if name in VISIT_TABLES or name in ("member", "consent"):
            continue
        for key in inspector.get_foreign_keys(name):
            if key["referred_table"] == "member" and key["referred_columns"] == ["id"]:
                found.extend(
                    table(name, column(part)).c[part] for part in key["constrained_columns"]
                )
    return found
