"""Visitors who began joining and left nothing are not kept for ever: a day later the worker
deletes them (they never consented to be kept). Anyone who consented, joined, or left
anything another table holds (a question for staff, a reply owed) stays."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from community.database import Database
from community.members import purge_abandoned_visitors, record_consent
from community.models import ChannelIdentity, Conversation, Member, Notification, utcnow
from community.profile import ConsentPurpose
from knowledge.inbox import record_unanswered


def visitor(session, user: str, hours_ago: float = 30) -> Member:  # type: ignore[no-untyped-def]
    member = Member(language="lt", created_at=utcnow() - timedelta(hours=hours_ago))
    session.add(member)
    session.flush()
    session.add(ChannelIdentity(member_id=member.id, platform="web", platform_user_id=user))
    session.add(Conversation(member_id=member.id, flow="onboarding", step="consent"))
    session.flush()
    return member


def test_a_day_old_visitor_who_left_nothing_is_deleted_and_the_rest_are_kept(db: Database):
    with db.session() as session:
        gone = visitor(session, "left-at-consent")
        recent = visitor(session, "still-deciding", hours_ago=2)
        consented = visitor(session, "said-no")
        record_consent(session=session, member_id=consented.id, purpose=ConsentPurpose.MEMBERSHIP,
                       granted=False, notice_version="2026-11", source="web")  # fmt: skip
        joined = visitor(session, "joined")
        joined.onboarded_at = utcnow() - timedelta(hours=29)
        asked = visitor(session, "asked-staff")
        record_unanswered(session=session, question="kur mano siuksles", language="lt",
                          member_id=asked.id, platform="web", confidence=0.1)  # fmt: skip
        owed = visitor(session, "reply-owed")
        session.add(Notification(member_id=owed.id, platform="web", message_key="chat.reply_later",
                                 params={"text": "..."}, dedupe_key="reply:x"))  # fmt: skip
        session.flush()
        assert purge_abandoned_visitors(session=session) == 1
        left = {m.id for m in session.exec(select(Member))}
        assert gone.id not in left
        assert {recent.id, consented.id, joined.id, asked.id, owed.id} <= left
        users = {i.platform_user_id for i in session.exec(select(ChannelIdentity))}
        assert "left-at-consent" not in users and "reply-owed" in users
        assert purge_abandoned_visitors(session=session) == 0
