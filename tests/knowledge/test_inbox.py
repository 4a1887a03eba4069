"""The unanswered inbox: a question the bot could not answer waits for staff, and when they
publish an article that answers it, the member who asked can be told on their channel."""

from __future__ import annotations

from community.members import get_or_create_member
from knowledge.answers import answer_question
from knowledge.articles import ArticleDraft, publish_article, save_article
from knowledge.inbox import (
    dismiss_unanswered,
    forget_member_questions,
    list_unanswered,
    record_unanswered,
    resolve_unanswered,
)
from knowledge.models import QuestionStatus

QUESTION = "kur alytuje galima isigyti zvejybos leidima Dauguose?"

FISHING = ArticleDraft(
    id="lt-zvejybos-leidimai",
    title="Žvejybos leidimai Alytuje ir Dauguose",
    language="lt",
    category="leisure",
    body=(
        "# Žvejybos leidimai\n\nMėgėjų žvejybos leidimą (kortelę) Dauguose ir kituose Alytaus "
        "krašto ežeruose galima įsigyti internetu per sistemą „Žvejok“ (www.zvejok.lt) arba "
        "Alytaus turizmo informacijos centre."
    ),
    status="draft",
)


def test_a_published_article_resolves_the_question_and_names_who_to_tell(demo_db, settings):
    with demo_db.session() as session:
        member, _ = get_or_create_member(
            session=session, platform="telegram", user_id="42", language="lt"
        )
        first = answer_question(
            session=session, settings=settings, question=QUESTION, language="lt"
        )
        assert not first.answered
        asked = record_unanswered(
            session=session,
            question=QUESTION,
            language="lt",
            member_id=member.id,
            platform="telegram",
            confidence=first.confidence,
        )
        other = record_unanswered(
            session=session,
            question="kokie geriausi restoranai alytuje?",
            language="lt",
            member_id=None,
            platform="web",
        )
        save_article(session=session, draft=FISHING, author="staff")
        assert resolve_unanswered(session=session, settings=settings, article_id=FISHING.id) == []
        publish_article(session=session, article_id=FISHING.id, author="staff")
        resolved = resolve_unanswered(session=session, settings=settings, article_id=FISHING.id)
        assert [(r.question.id, r.question.member_id, r.question.platform) for r in resolved] == [
            (asked.id, member.id, "telegram")
        ]
        assert resolved[0].answer.sources[0].id == FISHING.id
        assert "zvejok.lt" in resolved[0].answer.text
        assert asked.status == QuestionStatus.ANSWERED and asked.article_id == FISHING.id
        assert [row.id for row in list_unanswered(session=session)] == [other.id]
        dismiss_unanswered(session=session, question_id=other.id)
        assert list_unanswered(session=session) == []
        assert forget_member_questions(session=session, member_id=member.id) == 1
