"""The unanswered inbox: questions the bot could not answer, kept for staff.

When staff publish an article, `resolve_unanswered` finds the open questions it now answers
and marks them answered; the caller tells each member, on the platform they asked on
(knowledge itself sends nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from community.models import utcnow
from community.notifications import enqueue
from community.settings import Settings
from knowledge.answers import Answer, answer_question, clean_question
from knowledge.models import QuestionStatus, UnansweredQuestion

MAX_STORED_CHARS = 2000


def record_unanswered(
    *,
    session: Session,
    question: str,
    language: str,
    member_id: int | None,
    platform: str,
    confidence: float = 0.0,
) -> UnansweredQuestion:
    """File a question the bot could not answer (text, language, member, channel, time)."""
    row = UnansweredQuestion(
        question=" ".join(question.split())[:MAX_STORED_CHARS],
        language=language[:8],
        member_id=member_id,
        platform=platform[:20],
        confidence=confidence,
    )
    session.add(row)
    session.flush()
    return row


def list_unanswered(
    *, session: Session, status: str | None = QuestionStatus.OPEN
) -> Sequence[UnansweredQuestion]:
    query = select(UnansweredQuestion).order_by(col(UnansweredQuestion.asked_at).desc())
    if status:
        query = query.where(UnansweredQuestion.status == status)
    return session.exec(query).all()


@dataclass(frozen=True)
class ResolvedQuestion:
    """An open question that an article now answers: who asked, where, and the answer."""

    question: UnansweredQuestion
    answer: Answer


def resolve_unanswered(
    *, session: Session, settings: Settings, article_id: str
) -> list[ResolvedQuestion]:
    """Mark answered the open questions that `article_id` (just published) now answers.

    A question counts as answered when asking it again gets a confident answer citing the
    article. Returns them, so the caller can tell each member on their platform.
    """
    resolved: list[ResolvedQuestion] = []
    for row in list_unanswered(session=session):
        answer = answer_question(
            session=session,
            settings=settings,
            question=clean_question(row.question),
            language=row.language,
        )
        if answer.answered and any(source.id == article_id for source in answer.sources):
            row.status = QuestionStatus.ANSWERED
            row.article_id = article_id
            row.resolved_at = utcnow()
            session.add(row)
            resolved.append(ResolvedQuestion(row, answer))
    session.flush()
    return resolved


def dismiss_unanswered(*, session: Session, question_id: int) -> UnansweredQuestion | None:
    """Staff close a question that needs no article (spam, not the city's business)."""
    row = session.get(UnansweredQuestion, question_id)
    if row is not None:
        row.status = QuestionStatus.DISMISSED
        row.resolved_at = utcnow()
        session.add(row)
        session.flush()
    return row


def forget_member_questions(*, session: Session, member_id: int) -> int:
    """Erasure: delete the questions a member asked (they may hold personal data)."""
    rows = session.exec(
        select(UnansweredQuestion).where(UnansweredQuestion.member_id == member_id)
    ).all()
    for row in rows:
        session.delete(row)
    session.flush()
    return len(rows)


def tell_askers(*, session: Session, settings: Settings, article_id: str) -> int:
    """After `article_id` is published: mark the open questions it answers, and put one
    notification per asker in the outbox (the bots room delivers it on the channel they
    asked on). Returns how many members will be told."""
    told = 0
    for resolved in resolve_unanswered(session=session, settings=settings, article_id=article_id):
        row = resolved.question
        source = next((s for s in resolved.answer.sources if s.id == article_id), None)
        if row.member_id is None or source is None:
            continue
        queued = enqueue(
            session=session,
            member_id=row.member_id,
            platform=row.platform,
            message_key="kb.answer_found",
            params={"question": row.question[:200], "title": source.title, "url": source.url or ""},
            dedupe_key=f"kb-answered-{row.id}",
        )
        told += queued is not None
    return told
