"""Activity counts for analytics: kept without text, unlinked from a member who is erased."""

from __future__ import annotations

from sqlmodel import select

from community.activity import MESSAGE, QUESTION, record_activity
from community.database import Database
from community.members import erase_member, get_or_create_member
from community.models import Activity


def test_erasure_unlinks_the_members_activity_but_keeps_the_counts(db: Database):
    with db.session() as session:
        member, _ = get_or_create_member(
            session=session, platform="telegram", user_id="77", language="lt"
        )
        other, _ = get_or_create_member(
            session=session, platform="telegram", user_id="78", language="en"
        )
        for who in (member, other):
            record_activity(session=session, member_id=who.id, platform="telegram", kind=MESSAGE)
        record_activity(
            session=session, member_id=member.id, platform="telegram", kind=QUESTION, answered=True
        )
        session.flush()
        removed = erase_member(session=session, member=member, notice_version="v1")
        rows = session.exec(select(Activity)).all()
    assert "activity" in removed
    assert len(rows) == 3
    assert [row.member_id for row in rows if row.member_id is not None] == [other.id]
