"""The unanswered inbox: questions the bot could not answer, kept for staff.

When staff publish an article, `resolve_unanswered` finds the open questions it now answers
and marks them answered; the caller tells each member, on the platform they asked on
(knowledge itself sends nothing). Staff may also answer a group of alike questions by
linking an article (`answer_with_article`) or dismiss them (`dismiss_questions`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from community.models import utcnow
from community.notifications import enqueue
from community.settings import Settings
from knowledge.answers import Answer, answer_question, clean_question
from knowledge.articles import KnowledgeError, get_article
from knowledge.grouping import (
    CITY_TERMS,
    QuestionGroup,
    group_questions,
    shared_terms,
    topic_terms,
)
from knowledge.models import Article, ArticleStatus, QuestionStatus, UnansweredQuestion
from knowledge.text import GENERIC_STEMS, fold, query_terms

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


def _answered_dedupe_key(question_id: int | None) -> str:
    return f"kb-answered-{question_id}"


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
            dedupe_key=_answered_dedupe_key(row.id),
        )
        told += queued is not None
    return told


def open_groups(*, session: Session) -> list[QuestionGroup]:
    """The open questions, alike ones grouped (see `knowledge.grouping`)."""
    return group_questions(list_unanswered(session=session))


def open_questions(*, session: Session, question_ids: Iterable[int]) -> list[UnansweredQuestion]:
    """The questions of `question_ids` still open (others were answered or dismissed since)."""
    ids = sorted(set(question_ids))
    if not ids:
        return []
    return list(
        session.exec(
            select(UnansweredQuestion)
            .where(col(UnansweredQuestion.id).in_(ids))
            .where(UnansweredQuestion.status == QuestionStatus.OPEN)
            .order_by(col(UnansweredQuestion.asked_at), col(UnansweredQuestion.id))
        ).all()
    )


class NotPublished(KnowledgeError):
    """Members can only be pointed to an article they can read."""


@dataclass
class GroupAnswered:
    """Which questions an article now answers, and how many members will be told."""

    article: Article
    questions: list[UnansweredQuestion] = field(default_factory=list)
    told: int = 0


def answer_with_article(
    *, session: Session, question_ids: Iterable[int], article_id: str
) -> GroupAnswered:
    """Staff say `article_id` answers these questions: mark them answered and put one
    notification per member in the outbox (one per member even when they asked twice; a
    question already told is never told again)."""
    article = get_article(session=session, article_id=article_id)
    if article.status != ArticleStatus.PUBLISHED:
        raise NotPublished(f"publish article {article_id!r} before pointing members to it")
    done = GroupAnswered(article)
    members: set[tuple[int, str]] = set()
    for row in open_questions(session=session, question_ids=question_ids):
        row.status = QuestionStatus.ANSWERED
        row.article_id = article.id
        row.resolved_at = utcnow()
        session.add(row)
        done.questions.append(row)
        if row.member_id is None or (row.member_id, row.platform) in members:
            continue
        members.add((row.member_id, row.platform))
        queued = enqueue(
            session=session,
            member_id=row.member_id,
            platform=row.platform,
            message_key="kb.answer_found",
            params={
                "question": row.question[:200],
                "title": article.title,
                "url": article.source_urls[0] if article.source_urls else "",
            },
            dedupe_key=_answered_dedupe_key(row.id),
        )
        done.told += queued is not None
    session.flush()
    return done


def dismiss_questions(*, session: Session, question_ids: Iterable[int]) -> list[UnansweredQuestion]:
    """Close the still-open questions of a group that needs no article."""
    rows = open_questions(session=session, question_ids=question_ids)
    for row in rows:
        dismiss_unanswered(session=session, question_id=row.id or 0)
    return rows


_TERMS_CACHE: dict[tuple[str, str], tuple[frozenset[str], frozenset[str]]] = {}
_TERMS_CACHE_SIZE = 5000


def _article_terms(article: Article) -> tuple[frozenset[str], frozenset[str]]:
    """Title and body terms of an article, worked out once per version of its text."""
    key = (article.id, article.content_hash)
    found = _TERMS_CACHE.get(key) if article.content_hash else None
    if found is None:
        found = (
            topic_terms(article.title, article.language),
            topic_terms(article.body, article.language),
        )
        if len(_TERMS_CACHE) >= _TERMS_CACHE_SIZE:
            _TERMS_CACHE.clear()
        _TERMS_CACHE[key] = found
    return found


def suggest_articles(
    *, session: Session, text: str, language: str | None = None, limit: int = 6
) -> list[Article]:
    """Published articles that share the most topic words with `text`, in either language
    and the glossary's other words for them (title words count three times), to offer staff
    when they link an answer; a cheap search, no embeddings."""
    wanted = (
        topic_terms(text, "lt")
        | topic_terms(text, "en")
        | {term for term in query_terms(text) if term not in GENERIC_STEMS | CITY_TERMS}
    )
    folded = fold(text).strip()
    if not wanted and not folded:
        return []
    scored: list[tuple[float, str, Article]] = []
    published = session.exec(select(Article).where(Article.status == ArticleStatus.PUBLISHED))
    for article in published:
        title, body = _article_terms(article)
        score = 3 * len(shared_terms(wanted, title)) + len(wanted & body)
        if folded and folded in fold(article.title):
            score += 5
        if language and article.language == language:
            score += 0.5
        if score >= 1:
            scored.append((-score, article.id, article))
    return [article for _, _, article in sorted(scored)[:limit]]
