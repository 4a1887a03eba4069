"""Counting what members do, for staff analytics: one row per message, no text.

The bots room records a row per turn and per question (answered or not); admin's analytics
reads them. Only counts leave this table: when, on which platform, answered or not.
"""

from __future__ import annotations

from sqlmodel import Session, func, select

from community.models import Activity

MESSAGE = "message"
QUESTION = "question"


def record_activity(
    *,
    session: Session,
    member_id: int | None,
    platform: str,
    kind: str,
    answered: bool | None = None,
) -> None:
    """Count one member message (`kind` MESSAGE) or service question (QUESTION)."""
    session.add(Activity(member_id=member_id, platform=platform[:20], kind=kind, answered=answered))


def questions_asked(*, session: Session, member_id: int) -> dict[str, int]:
    """How many service questions the member has asked ("all"), and how many of them were
    answered ("answered"); the current turn's included once counted."""
    statement = select(func.count(), func.count(Activity.answered).filter(Activity.answered))
    statement = statement.where(Activity.member_id == member_id, Activity.kind == QUESTION)
    total, answered = session.exec(statement).one()
    return {"all": total, "answered": answered}
