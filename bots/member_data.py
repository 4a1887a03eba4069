"""A member's data across every room, for GDPR export and erasure.

community holds the profile; other rooms hold what the member did (questions asked...).
Only a room above them all can gather it, so the chat and the CLI both come here.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from bots import way_home
from community import mentoring, polls
from community.members import erase_member, export_member
from community.models import Member, as_utc
from knowledge.inbox import forget_member_questions
from knowledge.models import UnansweredQuestion
from rewards import journal, passport


def export_everything(*, session: Session, member: Member) -> dict[str, Any]:
    """Everything we hold about a member, JSON-ready."""
    data = export_member(session=session, member=member)
    questions = session.exec(
        select(UnansweredQuestion)
        .where(UnansweredQuestion.member_id == member.id)
        .order_by(col(UnansweredQuestion.asked_at))
    )
    data["questions_for_staff"] = [
        {"question": q.question, "asked_at": as_utc(q.asked_at).isoformat(), "status": q.status}
        for q in questions
    ]
    assert member.id is not None
    data["rewards"] = journal.export_member(session=session, member_id=member.id)
    data["passports"] = passport.export_passports(session, member.id)
    data["way_home"] = way_home.export_member(session=session, member_id=member.id)
    data["mentoring"] = mentoring.export_member(session=session, member_id=member.id)
    data["poll_answers"] = polls.export_member(session=session, member_id=member.id)
    return data


def erase_everything(*, session: Session, member: Member, notice_version: str) -> list[str]:
    """Erase a member in every room; returns what was removed."""
    assert member.id is not None
    member_id = member.id
    removed = erase_member(session=session, member=member, notice_version=notice_version)
    if forget_member_questions(session=session, member_id=member_id):
        removed.append("questions_for_staff")
    # reward entries stay (they are on the ledger) but no longer point to the member
    journal.forget_member(session=session, member_id=member_id)
    passport.forget_member(session, member_id)
    removed.append("rewards_link")
    removed += way_home.forget_member(session=session, member_id=member_id)
    if mentoring.forget_member(session=session, member_id=member_id):
        removed.append("mentoring")
    if polls.forget_member(session=session, member_id=member_id):
        removed.append("poll_answers_link")
    return removed
