"""Answer a member's question from the published articles, with sources, or say we do not know.

The default answer is extractive: the passage of the best article that answers, trimmed to a
few sentences, word for word, so no fact is ever invented. With ALYTUS_LLM_PROVIDER set, an
LLM may rewrite it from the same passages (`knowledge.llm`); when it fails, is slow or breaks
a rule, the extractive answer stands. The bots render an `Answer` in the member's language
(any fixed wording such as "Updated" lives in their catalogues, not here).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from community.settings import Settings
from knowledge.chunking import Chunk, split_units
from knowledge.index import IndexedArticle, KnowledgeIndex, get_index
from knowledge.retrieval import ArticleHit, search
from knowledge.text import STOP_WORDS, query_terms, stem, terms, words

MAX_QUESTION_CHARS = 500
ANSWER_CHARS = 700
SOURCE_SCORE_SHARE = 0.7
OTHER_LANGUAGE_SHARE = 0.85

# Confidence = logistic of the best passage's dense similarity and its BM25 score, fitted on
# the development questions (knowledge/demo/dev-questions.jsonl); `alytus kb eval` re-checks.
# The bias puts the 0.5 default threshold where 0.4 was on the fitted curve, so that an
# out-of-scope question is declined rather than answered from a loosely related article.
_DENSE_MEAN, _DENSE_SCALE, _DENSE_WEIGHT = 0.866, 0.030, 0.358
_LEXICAL_MEAN, _LEXICAL_SCALE, _LEXICAL_WEIGHT = 2.408, 0.522, 1.770
_LENGTH_MEAN, _LENGTH_SCALE, _LENGTH_WEIGHT = 1.623, 0.398, -0.288  # log content words
_BIAS = 1.27

# Places a member may ask about that are not Alytus: the knowledge base covers Alytus only,
# so "kindergartens in Kaunas" is out of scope unless the passage itself names the place.
_OTHER_PLACES = frozenset(
    stem(word, "lt")
    for word in """
    vilnius kaunas klaipeda siauliai panevezys marijampole mazeikiai jonava utena kedainiai
    taurage telsiai ukmerge visaginas palanga druskininkai birstonas varena prienai lazdijai
    trakai elektrenai kretinga silute radviliskis plunge gargzdai rokiskis birzai kaisiadorys
    jurbarkas raseiniai riga warsaw varsuva tallinn talinas minsk
    """.split()
)
_FROM_WORDS = frozenset({"from", "is", "nuo"})
_MARKUP = re.compile(r"<[^>]{0,200}>|```|\[(?:[^\]]{0,200})\]\((?:[^)]{0,500})\)")


@dataclass(frozen=True)
class Source:
    """An article an answer comes from: id, title, first source link, the date it was updated."""

    id: str
    title: str
    url: str | None
    updated: date | None


@dataclass(frozen=True)
class Answer:
    """What the bot may say: the text (from articles only) and where it comes from.

    `answered` False means "don't know": `suggestions` then lists the closest topics.
    `other_language` is True when the answer comes from an article in the other language.
    """

    answered: bool
    text: str
    sources: list[Source]
    confidence: float
    language: str
    other_language: bool = False
    suggestions: list[Source] = field(default_factory=list)
    passages: list[str] = field(default_factory=list, compare=False, repr=False)


def source_of(article: IndexedArticle) -> Source:
    url = article.source_urls[0] if article.source_urls else None
    return Source(article.id, article.title, url, article.updated)


def clean_question(question: str) -> str:
    """The question without markup and extra space, cut to a length worth searching."""
    text = " ".join(_MARKUP.sub(" ", question or "").split())
    if len(text) > MAX_QUESTION_CHARS:
        # a very long message: its distinct words, in order, are what can be searched
        seen: dict[str, None] = {}
        for word in text.split():
            seen.setdefault(word, None)
        text = " ".join(seen)
    return text[:MAX_QUESTION_CHARS]


def confidence_of(hit: ArticleHit, question: str) -> float:
    """How sure we are that the hit answers: a logistic of dense similarity, BM25 (which
    grows with the question's length, hence the length term) and the number of words."""
    content_words = sum(word not in STOP_WORDS for word in words(question))
    z = (
        _DENSE_WEIGHT * (hit.dense - _DENSE_MEAN) / _DENSE_SCALE
        + _LEXICAL_WEIGHT * (math.log1p(hit.bm25) - _LEXICAL_MEAN) / _LEXICAL_SCALE
        + _LENGTH_WEIGHT * (math.log(max(content_words, 1)) - _LENGTH_MEAN) / _LENGTH_SCALE
        + _BIAS
    )
    return 1.0 / (1.0 + math.exp(-z))


def other_places(question: str) -> set[str]:
    """Places outside Alytus the question is about ("in Kaunas", not "from Kaunas")."""
    found = set()
    tokens = words(question)
    for position, word in enumerate(tokens):
        place = stem(word, "lt")
        if place in _OTHER_PLACES and (position == 0 or tokens[position - 1] not in _FROM_WORDS):
            found.add(place)
    return found


def _choose(hits: list[ArticleHit], language: str) -> tuple[ArticleHit, bool]:
    """The best hit, preferring the member's language when its article is nearly as good."""
    best = hits[0]
    if best.article.language == language:
        return best, False
    for hit in hits[1:4]:
        if hit.article.language == language and hit.score >= OTHER_LANGUAGE_SHARE * best.score:
            return hit, False
    return best, True


def _unit_score(unit: str, question_terms: set[str], language: str) -> float:
    unit_terms = set(terms(unit, language))
    return float(len(unit_terms & question_terms))


def extract(hit: ArticleHit, question: str) -> tuple[str, list[str]]:
    """The passage that answers: the best chunk (and the next, if close and short), trimmed
    to the sentences that match the question, in the article's order."""
    language = hit.article.language
    question_terms = set(query_terms(question))
    best_chunk, best_score = hit.chunks[0]
    chosen: list[Chunk] = [best_chunk]
    for chunk, score in hit.chunks[1:2]:
        if score >= 0.6 * best_score and len(chunk.text) + len(best_chunk.text) <= ANSWER_CHARS:
            chosen.append(chunk)
    chosen.sort(key=lambda chunk: chunk.index)
    passages = [chunk.text for chunk in chosen]
    text = "\n\n".join(passages)
    if len(text) <= ANSWER_CHARS:
        return text, passages
    units = split_units(best_chunk.text)
    ranked = sorted(
        range(len(units)),
        key=lambda i: (_unit_score(units[i], question_terms, language), -i),
        reverse=True,
    )
    keep = {0} if len(units[0]) < 80 else set()  # the lead line that says what follows
    length = sum(len(units[i]) for i in keep)
    for i in ranked:
        if i in keep:
            continue
        if keep and length + len(units[i]) > ANSWER_CHARS:
            continue
        keep.add(i)
        length += len(units[i]) + 1
    lines: list[str] = []
    for i in sorted(keep):
        unit = units[i]
        if lines and not unit.startswith(("-", "*", "+")) and not lines[-1].startswith("-"):
            lines[-1] = f"{lines[-1]} {unit}"
        else:
            lines.append(unit)
    return "\n".join(lines), [best_chunk.text]


def _declined(hits: list[ArticleHit], language: str, confidence: float) -> Answer:
    preferred = sorted(hits[:5], key=lambda hit: hit.article.language != language)
    suggestions: list[Source] = []
    for hit in preferred:
        if len(suggestions) < 3:
            suggestions.append(source_of(hit.article))
    return Answer(False, "", [], round(confidence, 3), language, False, suggestions)


def answer_from_index(
    index: KnowledgeIndex, question: str, language: str, settings: Settings | None = None
) -> Answer:
    """The answer, given an index already in step with SQL (see `answer_question`)."""
    text = clean_question(question)
    if not any(word not in STOP_WORDS for word in words(text)):
        return Answer(False, "", [], 0.0, language)
    hits = search(index, text, limit=6)
    if not hits:
        return Answer(False, "", [], 0.0, language)
    chosen, other_language = _choose(hits, language)
    confidence = confidence_of(chosen, text)
    places = other_places(text)
    if places:
        passage_words = {stem(word, "lt") for word in words(chosen.best_chunk.text)}
        if not places <= passage_words:
            confidence = min(confidence, 0.2)
    minimum = (
        settings.kb_min_confidence
        if settings
        else Settings.model_fields["kb_min_confidence"].default
    )
    if confidence < minimum:
        return _declined(hits, language, confidence)
    sources = [source_of(chosen.article)]
    for hit in hits:
        if (
            len(sources) < 3
            and hit is not chosen
            and hit.score >= SOURCE_SCORE_SHARE * chosen.score
        ):
            sources.append(source_of(hit.article))
    body, passages = extract(chosen, text)
    answer = Answer(
        True,
        body,
        sources,
        round(confidence, 3),
        chosen.article.language,
        other_language,
        [],
        passages,
    )
    if settings is not None and settings.llm_provider:
        from knowledge.llm import rewrite_with_llm

        answer = rewrite_with_llm(answer, question=text, settings=settings, language=language)
    return answer


def answer_question(
    *, session: Session, settings: Settings, question: str, language: str
) -> Answer:
    """Answer a member's question in `language` ("lt" or "en") from the published articles.

    Loads the embedding model and the index once per process; thread-safe.
    """
    index = get_index(settings)
    index.sync(session)
    return answer_from_index(index, question, language, settings)
