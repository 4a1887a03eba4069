"""Answer a member's question from the published articles, with its source, or say we do not know.

The default answer is extractive: the passage of the article that answers (a paragraph, or a
list with the line that leads it), word for word and whole, so no fact is ever invented and no
sentence loses what gives it meaning. One article is the source, in the member's language
unless only the other language's article answers. With ALYTUS_LLM_PROVIDER set, an LLM may
rewrite the answer from the same passages (`knowledge.llm`); when it fails, is slow or breaks a
rule, the extractive answer stands. The bots render an `Answer` in the member's language (any
fixed wording such as "Updated" lives in their catalogues, not here).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from community.settings import Settings
from knowledge.evidence import (
    Evidence,
    Question,
    coverage,
    matches,
    prepare,
    topic_concepts,
    weigh,
)
from knowledge.index import IndexedArticle, KnowledgeIndex, get_index
from knowledge.passages import Passage, gives, passage_terms
from knowledge.retrieval import search
from knowledge.text import STOP_WORDS, fold, stem, words

__all__ = ["Answer", "Source", "answer_from_index", "answer_question", "topic_concepts"]

MAX_QUESTION_CHARS = 500
CANDIDATES = 6
# An answer is one passage, with the one before it when it opens by pointing back ("Jis…"),
# or a neighbour that adds what the question asks and the passage lacks (the amount beside
# "who pays"), or the runner-up passage; all of it within this length.
ANSWER_CHARS = 1000
NEIGHBOUR_GAIN = 0.15  # share of the question's topic a neighbour must add
# A second passage almost as good as the best is quoted too (whole, in the article's order).
RUNNER_UP_SHARE = 0.7
# The member's language first: its article is chosen when it answers and its ranking
# probability trails the best article's by no more than this.
LANGUAGE_MARGIN = 0.25
# Closest topics offered with a "don't know": articles holding this share of the topic.
SUGGESTION_COVERAGE = 0.3
OFF_TOPIC_CONFIDENCE = 0.2

# Places a member may ask about that are not Alytus: the knowledge base covers Alytus only,
# so "kindergartens in Kaunas" is out of scope unless the passage itself names the place.
_OTHER_PLACES = frozenset(
    stem(word, "lt")
    for word in """
    vilnius kaunas klaipeda siauliai panevezys marijampole mazeikiai jonava utena kedainiai
    taurage telsiai ukmerge visaginas palanga druskininkai birstonas varena prienai lazdijai
    trakai elektrenai kretinga silute radviliskis plunge gargzdai rokiskis birzai kaisiadorys
    jurbarkas raseiniai riga ryga warsaw varsuva tallinn talinas minsk
    """.split()
)
_FROM_WORDS = frozenset({"from", "is", "nuo"})
# A message that tries to give the bot new rules is not a question about a service: it gets
# the polite "don't know", never an answer from whatever article shares a word with it.
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b.{0,40}\b(rules?|instructions?|prompt)\b"
    r"|\bsystem prompt\b|\b(ignoruok|pamirsk|nepaisyk)\w*\b.{0,40}\b(taisykl|instrukcij)"
)
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


def other_places(question: str) -> set[str]:
    """Places outside Alytus the question is about ("in Kaunas", not "from Kaunas")."""
    found = set()
    tokens = words(question)
    for position, word in enumerate(tokens):
        if position and tokens[position - 1] in _FROM_WORDS:
            continue
        place = _place_of(stem(word, "lt"))
        if place:
            found.add(place)
    return found


def _place_of(word_stem: str) -> str | None:
    """The place a stem names: the stemmer leaves "vilni" of "Vilniuje", "viln" of
    "Vilnius", so a stem names a place when one is the start of the other."""
    for place in _OTHER_PLACES:
        shorter, longer = sorted((place, word_stem), key=len)
        if len(shorter) >= 4 and longer.startswith(shorter) and len(longer) - len(shorter) <= 2:
            return place
    return None


def preferred(
    evidence: list[Evidence], rank: Callable[[Evidence], float] = Evidence.rank_probability
) -> tuple[Evidence, Evidence]:
    """The article the ranking prefers, the member's language first (an article of theirs
    trailing the best by at most LANGUAGE_MARGIN), and the best one of any language."""
    by_rank = sorted(evidence, key=rank, reverse=True)
    best = by_rank[0]
    if not best.same_language:
        floor = rank(best) - LANGUAGE_MARGIN
        for candidate in by_rank[1:]:
            if candidate.same_language and rank(candidate) >= floor:
                return candidate, best
    return best, best


def options(
    evidence: list[Evidence],
    rank: Callable[[Evidence], float] = Evidence.rank_probability,
    confidence: Callable[[Evidence], float] = Evidence.answer_probability,
) -> list[tuple[Evidence, float]]:
    """The articles that may answer, in the order they are tried, with the confidence each
    carries: the preferred one, then the best one when it is in the other language. An
    article in the member's language that holds as much of the topic as the best one carries
    the best one's confidence too: the ranking already found it close, and the member reads it
    in their own language."""
    pick, best = preferred(evidence, rank)
    if pick is best:
        return [(pick, confidence(pick))]
    own, other = confidence(pick), confidence(best)
    if pick.coverage >= best.coverage:
        own = max(own, other)
    return [(pick, own), (best, other)]


def choose(
    evidence: list[Evidence],
    minimum: float,
    rank: Callable[[Evidence], float] = Evidence.rank_probability,
    confidence: Callable[[Evidence], float] = Evidence.answer_probability,
) -> tuple[Evidence, float] | None:
    """The article that answers, with the confidence that it does: the first of `options`
    that reaches `minimum`, None when neither does."""
    return next(
        ((candidate, p) for candidate, p in options(evidence, rank, confidence) if p >= minimum),
        None,
    )


def quote(evidence: Evidence, question: Question) -> list[Passage]:
    """The passages that answer, in the article's order: the best one whole, the one before
    when it opens by pointing back, and a neighbour that adds what the question asks."""
    best = evidence.best_passage
    if best is None:
        return []
    language = evidence.hit.article.language
    passages = list(dict.fromkeys(p for p, _ in evidence.passages))
    by_index = {p.index: p for p in passages}
    chosen = [best]
    if best.leans_back(language) and best.index - 1 in by_index:
        chosen.insert(0, by_index[best.index - 1])
    length = sum(len(p.text) for p in chosen)
    if len(chosen) == 1:
        neighbour = _neighbour(chosen, by_index, question, language)
        if neighbour is not None and length + len(neighbour.text) <= ANSWER_CHARS:
            chosen.append(neighbour)
    if len(chosen) == 1 and len(evidence.passages) > 1:
        (first, first_score), (second, second_score) = evidence.passages[:2]
        fits = len(first.text) + len(second.text) <= ANSWER_CHARS
        leans = second.leans_back(language) and second.index - 1 != first.index
        if second_score >= RUNNER_UP_SHARE * first_score and fits and not leans:
            chosen.append(second)
    return sorted(chosen, key=lambda p: p.index)


def _neighbour(
    chosen: list[Passage], by_index: dict[int, Passage], question: Question, language: str
) -> Passage | None:
    """The passage next to the chosen one that adds most of the question's topic, or the
    kind of fact asked for when the chosen one lacks it; None when neither adds anything."""
    held = frozenset().union(*(passage_terms(p, language) for p in chosen))
    text = " ".join(p.text for p in chosen)
    base = coverage(question, held) if question.concepts else 1.0
    kind_missing = bool(question.kinds) and not gives(text, question.kinds)
    best: tuple[float, Passage] | None = None
    for index in (chosen[0].index - 1, chosen[-1].index + 1):
        neighbour = by_index.get(index)
        if neighbour is None or neighbour.leans_back(language) and index < chosen[0].index:
            continue
        own = passage_terms(neighbour, language)
        if not any(matches(concept, own) for concept in question.concepts):
            continue  # not about the question at all
        gain = (coverage(question, held | own) if question.concepts else 1.0) - base
        if kind_missing and gives(neighbour.text, question.kinds):
            gain += 1.0
        if gain >= NEIGHBOUR_GAIN and (best is None or gain > best[0]):
            best = (gain, neighbour)
    return best[1] if best else None


def passage_text(passages: list[Passage]) -> str:
    """The passages as the member reads them: a section heading once, paragraphs apart."""
    parts: list[str] = []
    heading = ""
    for passage in passages:
        if passage.heading and passage.heading != heading:
            parts.append(passage.heading)
            heading = passage.heading
        parts.append(passage.text)
    return "\n\n".join(parts)


def _declined(
    evidence: list[Evidence], language: str, confidence: float, suggest: bool = True
) -> Answer:
    """ "Don't know", with the closest topics: only articles on the question's topic, so a
    question about pizza is not offered the kindergarten fees."""
    on_topic = [e for e in evidence if e.coverage >= SUGGESTION_COVERAGE] if suggest else []
    on_topic.sort(key=lambda e: (not e.same_language, -e.rank_probability()))
    suggestions = [source_of(e.hit.article) for e in on_topic[:3]]
    return Answer(False, "", [], round(confidence, 3), language, False, suggestions)


def answer_from_index(
    index: KnowledgeIndex, question: str, language: str, settings: Settings | None = None
) -> Answer:
    """The answer, given an index already in step with SQL (see `answer_question`)."""
    text = clean_question(question)
    if not any(word not in STOP_WORDS for word in words(text)) or _INSTRUCTION.search(fold(text)):
        return Answer(False, "", [], 0.0, language)
    asked, evidence = gather(index, text, language)
    if not evidence:
        return Answer(False, "", [], 0.0, language)
    top_confidence = max(e.answer_probability() for e in evidence)
    if all(e.coverage < SUGGESTION_COVERAGE for e in evidence):
        return _declined(evidence, language, min(top_confidence, OFF_TOPIC_CONFIDENCE), False)
    minimum = (
        settings.kb_min_confidence
        if settings
        else Settings.model_fields["kb_min_confidence"].default
    )
    on_place = on_the_place(evidence, text)
    choice = choose(on_place, minimum) if on_place else None
    if choice is None:
        return _declined(evidence, language, min(top_confidence, minimum - 0.001))
    chosen, confidence = choice
    passages = quote(chosen, asked)
    article = chosen.hit.article
    answer = Answer(
        True,
        passage_text(passages),
        [source_of(article)],
        round(confidence, 3),
        article.language,
        not chosen.same_language,
        [],
        [p.text for p in passages],
    )
    if settings is not None and settings.llm_provider:
        from knowledge.llm import rewrite_with_llm

        answer = rewrite_with_llm(answer, question=text, settings=settings, language=language)
    return answer


def gather(index: KnowledgeIndex, question: str, language: str) -> tuple[Question, list[Evidence]]:
    """The question as the evidence reads it, and the evidence for each of its search hits."""
    hits = search(index, question, limit=CANDIDATES)
    asked = prepare(question, index.state.lexical, language)
    if not hits:
        return asked, []
    return asked, [weigh(index.state, hit, asked, hits[0].score, language) for hit in hits]


def on_the_place(evidence: list[Evidence], question: str) -> list[Evidence]:
    """The evidence for articles that can answer about the place asked: all of it, unless the
    question is about another town ("darželiai Vilniuje") that an article does not name."""
    places = other_places(question)
    return [e for e in evidence if places <= _places_in(e)] if places else evidence


def _places_in(evidence: Evidence) -> set[str | None]:
    """Places outside Alytus the article's best passage or title names."""
    passage = evidence.best_passage
    text = f"{evidence.hit.article.title} {passage.text if passage else ''}"
    return {_place_of(stem(word, "lt")) for word in words(text)}


def answer_question(
    *, session: Session, settings: Settings, question: str, language: str
) -> Answer:
    """Answer a member's question in `language` ("lt" or "en") from the published articles.

    Loads the embedding model and the index once per process; thread-safe.
    """
    index = get_index(settings)
    index.sync(session)
    return answer_from_index(index, question, language, settings)
