"""Service questions answered from the knowledge base, rendered for the member.

The knowledge room finds the answer and its sources; this module words it from the message
catalogues (source, updated date, other language, "don't know") and files questions it
cannot answer in the staff inbox.
"""

from __future__ import annotations

from typing import Protocol

from sqlmodel import Session

from bots.messages import Button, Link, Reply
from bots.turn import Turn
from community.activity import QUESTION, record_activity
from community.members import consent_history
from community.profile import ConsentPurpose
from community.settings import Settings
from knowledge.answers import Answer, Source
from knowledge.inbox import record_unanswered

SUGGESTION_PREFIX = "kb:"  # payload of a "closest topic" button: kb:<article id>
MAX_LABEL = 60


class AnswerFn(Protocol):
    def __call__(
        self, *, session: Session, settings: Settings, question: str, language: str
    ) -> Answer: ...


# Quotation marks a title may already carry; the catalogue puts its own around the title.
_QUOTES = (("„", "“"), ("“", "”"), ('"', '"'), ("«", "»"), ("'", "'"))


def unquoted(title: str) -> str:
    """The title without the quotation marks around the whole of it ("„Ugdau alytiškį“"),
    so the source line does not quote it twice."""
    text = title.strip()
    for opening, closing in _QUOTES:
        inner = text[len(opening) : -len(closing)]
        if len(text) > 2 and text.startswith(opening) and text.endswith(closing):
            if opening not in inner and closing not in inner:
                return inner.strip()
    return text


# Quotes inside a title become the inner kind, as nested quotes are written („‚Grįžtu LT‘ –…“).
_INNER_QUOTES = str.maketrans({"„": "‚", "“": "‘", "”": "’", '"': "'"})


def _source_line(turn: Turn, source: Source) -> str:
    title = unquoted(source.title).translate(_INNER_QUOTES)
    if source.updated:
        return turn.t("kb.source_updated", title=title, updated=source.updated.isoformat())
    return turn.t("kb.source", title=title)


def render_answer(turn: Turn, answer: Answer) -> Reply:
    """The answer text, where it comes from and when that was updated, with links."""
    parts = []
    if answer.other_language:
        parts.append(turn.t("kb.other_language"))
    parts.append(answer.text)
    parts.extend(_source_line(turn, source) for source in answer.sources[:2])
    links = tuple(
        Link(label=source.title, url=source.url) for source in answer.sources[:2] if source.url
    )
    return Reply(text="\n\n".join(parts), links=links)


def render_dont_know(turn: Turn, answer: Answer, filed: bool = True) -> Reply:
    """Said plainly, with the closest topics and a way to reach people; whether the question
    went to staff, as it did or did not."""
    buttons = [
        Button(label=_short(source.title), payload=f"{SUGGESTION_PREFIX}{source.id}")
        for source in answer.suggestions[:3]
    ]
    buttons.append(turn.button("intent.label_talk_to_human", "intent:talk_to_human"))
    key = "kb.dont_know" if filed else "kb.dont_know_not_kept"
    key += "_topics" if answer.suggestions else ""
    return Reply(text=turn.t(key), buttons=tuple(buttons))


def declined_to_join(turn: Turn) -> bool:
    """The member said no to keeping their data ("Nesutinku"): what they type is not kept,
    as the bot then promised."""
    history = consent_history(session=turn.session, member_id=turn.member_id)
    said = [record.granted for record in history if record.purpose == ConsentPurpose.MEMBERSHIP]
    return bool(said) and not said[-1]


def _short(title: str) -> str:
    return title if len(title) <= MAX_LABEL else title[: MAX_LABEL - 1].rstrip() + "…"


def _ask(turn: Turn, question: str, answer_fn: AnswerFn) -> Answer:
    return answer_fn(
        session=turn.session, settings=turn.settings, question=question, language=turn.language
    )


def _count(turn: Turn, answered: bool) -> None:
    """A question for the analytics (asked, answered or not), never its text."""
    record_activity(
        session=turn.session,
        member_id=turn.member_id,
        platform=turn.incoming.platform,
        kind=QUESTION,
        answered=answered,
    )


def answer_replies(turn: Turn, question: str, answer_fn: AnswerFn) -> list[Reply]:
    """Answer a member's question, or say we don't know and file it for staff."""
    answer = _ask(turn, question, answer_fn)
    _count(turn, answer.answered)
    if answer.answered:
        return [render_answer(turn, answer)]
    if declined_to_join(turn):
        return [render_dont_know(turn, answer, filed=False)]
    record_unanswered(
        session=turn.session,
        question=question,
        language=turn.language,
        member_id=turn.member_id,
        platform=turn.incoming.platform,
        confidence=answer.confidence,
    )
    return [render_dont_know(turn, answer)]


def known_answer(turn: Turn, question: str, answer_fn: AnswerFn) -> Reply | None:
    """The answer when the knowledge base has one, else None and nothing filed or counted:
    for a request a feature of the bot serves anyway (mentoring, events), or one the intent
    model calls out of scope, a missing article is no gap."""
    answer = _ask(turn, question, answer_fn)
    if not answer.answered:
        return None
    _count(turn, True)
    return render_answer(turn, answer)


def suggestion_question(turn: Turn, payload: str) -> str | None:
    """The question a 'closest topic' button stands for: that article's title."""
    from knowledge.articles import ArticleNotFound, get_article

    try:
        return get_article(session=turn.session, article_id=payload[len(SUGGESTION_PREFIX) :]).title
    except ArticleNotFound:
        return None
