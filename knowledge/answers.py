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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from sqlmodel import Session

from community.settings import Settings
from knowledge.chunking import LIST_ITEM, SENTENCE_END, Chunk
from knowledge.index import IndexedArticle, KnowledgeIndex, get_index, indexed_text
from knowledge.retrieval import ArticleHit, search
from knowledge.text import (
    GENERIC_STEMS,
    STOP_WORDS,
    Correct,
    fold,
    is_asking_word,
    question_concepts,
    stem,
    terms,
    words,
)

MAX_QUESTION_CHARS = 500
ANSWER_CHARS = 700
SOURCE_SCORE_SHARE = 0.7
OTHER_LANGUAGE_SHARE = 0.85
# Passage selection (`extract`): units of the article's best chunks, scored by the question's
# words they hold, plus the chunk's own rank as a prior; a few of the best are quoted.
UNIT_CHUNKS = 4
PRIOR_WEIGHT = 1.0
KEEP_UNITS = 5
KEEP_SHARE = 0.45
LEAD_WORDS = 4
PREFIX_CHARS = 7
PREFIX_MATCH = 1.0
# An article must hold this share of the question's topic words (weighted by rarity) to be
# answered from (and, for a question with asking words, ranked by score times that share).
MIN_TOPIC_COVERAGE = 0.3
OFF_TOPIC_CONFIDENCE = 0.2
ABBREVIATION_CHARS = 3
_ABBREVIATIONS = frozenset({"tel", "mob", "pvz", "str", "kab", "etc", "approx"})

# Confidence = logistic of the best passage's dense similarity and its BM25 score, fitted on
# the development questions (knowledge/demo/dev-questions.jsonl); `alytus kb eval` re-checks.
# The bias puts the 0.5 default threshold where 0.41 was on the fitted curve: the point that
# answers the most in-scope questions of dev-questions.jsonl and member-questions.jsonl while
# declining every out-of-scope one (a topic word no article holds already lowers the score).
_DENSE_MEAN, _DENSE_SCALE, _DENSE_WEIGHT = 0.866, 0.030, 0.358
_LEXICAL_MEAN, _LEXICAL_SCALE, _LEXICAL_WEIGHT = 2.408, 0.522, 1.770
_LENGTH_MEAN, _LENGTH_SCALE, _LENGTH_WEIGHT = 1.623, 0.398, -0.288  # log content words
_BIAS = 1.62

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


def topic_concepts(question: str, correct: Correct | None = None) -> list[frozenset[str]]:
    """The question's words that say what it is about (asking words such as "kainuoja" and
    "cost" left out), each with its forms in both languages."""
    topic = [word for word in words(question) if not is_asking_word(word)]
    return question_concepts(" ".join(topic), correct)


@lru_cache(maxsize=4096)
def _article_terms(article: IndexedArticle, chunks: tuple[Chunk, ...]) -> frozenset[str]:
    return frozenset(
        term for chunk in chunks for term in terms(indexed_text(article, chunk), article.language)
    )


def topic_coverage(index: KnowledgeIndex, hit: ArticleHit, concepts: list[frozenset[str]]) -> float:
    """Share of the question's topic that the hit's article holds: its words known to the
    knowledge base, weighted by how rare they are. 1.0 for a question with no topic words
    ("how much does it cost"); 0.0 when none of its topic words is in any article."""
    if not concepts:
        return 1.0
    state = index.state
    lexical = state.lexical
    held = _article_terms(hit.article, tuple(state.by_article[hit.article.id]))
    total = covered = 0.0
    for concept in concepts:
        known = {term for form in concept if (term := lexical.known(form))}
        if not known:
            if concept & GENERIC_STEMS:
                continue  # "noriu", "find": what the member wants to do, not the topic
            # a topic no article holds ("vairuotojo pažymėjimas"): the rarest kind of word
            total += lexical.term_idf("")
            continue
        weight = max(lexical.term_idf(term) for term in known)
        total += weight
        covered += weight if known & held else 0.0
    return covered / total if total else 0.0


def _choose(hits: list[ArticleHit], language: str) -> tuple[ArticleHit, bool]:
    """The best hit, preferring the member's language when its article is nearly as good."""
    best = hits[0]
    if best.article.language == language:
        return best, False
    for hit in hits[1:4]:
        if hit.article.language == language and hit.score >= OTHER_LANGUAGE_SHARE * best.score:
            return hit, False
    return best, True


@dataclass(frozen=True)
class _Unit:
    """A sentence or list item an answer may quote, with what it belongs to."""

    text: str
    chunk: Chunk
    position: int  # in the article, for putting the chosen units back in order
    paragraph: int  # units of one paragraph that follow each other are quoted as one line
    lead: str  # the line a list item belongs to ("Kontaktai:"), else ""
    terms: frozenset[str]


def _units(chunks: list[Chunk], language: str) -> list[_Unit]:
    """Sentences and list items of the chunks. A short lead sentence ("Terminai.", a bold
    label in the article) stays with the sentence after it; a list item knows its lead."""
    units: list[_Unit] = []
    for chunk in chunks:
        lead = ""
        for number, line in enumerate(chunk.text.splitlines()):
            line = line.strip()
            if not line:
                continue
            if LIST_ITEM.match(line):
                parts = [line]
            else:
                lead = line if line.endswith(":") else ""
                parts = sentences(line)
                if len(parts) > 1 and len(parts[0].split()) <= LEAD_WORDS:
                    parts[:2] = [f"{parts[0]} {parts[1]}"]
            for part in parts:
                own_lead = lead if LIST_ITEM.match(line) else ""
                context = f"{chunk.heading} {own_lead} {part}"
                units.append(
                    _Unit(
                        part,
                        chunk,
                        len(units) + 1000 * chunk.index,
                        number + 1000 * chunk.index,
                        own_lead,
                        frozenset(terms(context, language)),
                    )
                )
    return units


def sentences(paragraph: str) -> list[str]:
    """The sentences of a paragraph, not cut after an abbreviation or initial ("S. Dariaus
    ir S. Girėno g. 1", "tel. 1883"): a sentence ends after a word of four letters or more."""
    parts: list[str] = []
    for part in SENTENCE_END.split(paragraph):
        part = part.strip()
        if not part:
            continue
        last = parts[-1].split()[-1].rstrip(".!?") if parts else ""
        if parts and (len(last) <= ABBREVIATION_CHARS or last.lower() in _ABBREVIATIONS):
            parts[-1] = f"{parts[-1]} {part}"
        else:
            parts.append(part)
    return parts


def _matches(concept: frozenset[str], unit_terms: frozenset[str]) -> float:
    """1 when the unit has one of the word's forms, less for a shared long prefix
    ("priešmokyklinukui" and "priešmokyklinio"), else 0."""
    if concept & unit_terms:
        return 1.0
    for form in concept:
        if len(form) < PREFIX_CHARS:
            continue
        for term in unit_terms:
            if len(term) >= PREFIX_CHARS and (term.startswith(form) or form.startswith(term)):
                return PREFIX_MATCH
    return 0.0


def _unit_scores(
    units: list[_Unit], concepts: list[frozenset[str]], idf: Callable[[str], float]
) -> list[float]:
    """How much of the question each unit covers: its words weighted by how rare they are
    in the knowledge base and how few of the article's units share them (a word the whole
    article repeats, like its subject, does not tell which passage answers)."""
    n = len(units)
    matched = [[_matches(concept, unit.terms) for unit in units] for concept in concepts]
    scores = [0.0] * n
    for concept, row in zip(concepts, matched, strict=True):
        spread = sum(value > 0 for value in row)
        if not spread:
            continue
        weight = max(idf(form) for form in concept) * math.log1p(n / spread) / math.log1p(n)
        for i, value in enumerate(row):
            scores[i] += weight * value
    return scores


def extract(
    hit: ArticleHit,
    question: str,
    idf: Callable[[str], float],
    correct: Correct | None = None,
) -> tuple[str, list[str]]:
    """The passage that answers: the sentences and list items of the article that best
    cover the question's words (rare ones count more), with the chunk ranking as a prior,
    a few of them, word for word and in the article's order."""
    language = hit.article.language
    ranked = hit.chunks[:UNIT_CHUNKS]
    top = ranked[0][1] or 1.0
    prior = {chunk.index: score / top for chunk, score in ranked}
    units = _units(sorted((chunk for chunk, _ in ranked), key=lambda c: c.index), language)
    if not units:
        return hit.best_chunk.text, [hit.best_chunk.text]
    lexical = _unit_scores(units, question_concepts(question, correct), idf)
    best_lexical = max(lexical) or 1.0
    scores = [
        lexical[i] / best_lexical + PRIOR_WEIGHT * prior[unit.chunk.index]
        for i, unit in enumerate(units)
    ]
    order = sorted(range(len(units)), key=lambda i: scores[i], reverse=True)
    keep: list[int] = []
    length = 0
    for i in order:
        unit = units[i]
        if keep and (scores[i] < KEEP_SHARE * scores[order[0]] or len(keep) >= KEEP_UNITS):
            break
        extra = len(unit.text) + (len(unit.lead) if unit.lead else 0)
        if keep and length + extra > ANSWER_CHARS:
            continue
        keep.append(i)
        length += extra
    lines: list[str] = []
    previous: _Unit | None = None
    for i in sorted(keep, key=lambda i: units[i].position):
        unit = units[i]
        if unit.lead and unit.lead not in lines:
            lines.append(unit.lead)
        follows = (
            previous is not None
            and previous.paragraph == unit.paragraph
            and previous.position + 1 == unit.position
        )
        if follows and not LIST_ITEM.match(unit.text):
            lines[-1] = f"{lines[-1]} {unit.text}"
        elif unit.text not in lines:
            lines.append(unit.text)
        previous = unit
    chunks = sorted({units[i].chunk for i in keep}, key=lambda chunk: chunk.index)
    return "\n".join(lines), [chunk.text for chunk in chunks]


def _declined(hits: list[ArticleHit], language: str, confidence: float) -> Answer:
    """ "Don't know", with the closest topics: only articles on the question's topic (see
    `topic_coverage`), so a question about pizza is not offered the kindergarten fees."""
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
    if not any(word not in STOP_WORDS for word in words(text)) or _INSTRUCTION.search(fold(text)):
        return Answer(False, "", [], 0.0, language)
    hits = search(index, text, limit=6)
    if not hits:
        return Answer(False, "", [], 0.0, language)
    concepts = topic_concepts(text, index.state.lexical.known)
    # Asking words ("kiek kainuoja") pull the ranking towards any article about prices, so
    # then the articles holding more of the topic go first; otherwise the ranking stands.
    asking = any(is_asking_word(word) for word in words(text))
    on_topic_score = {
        id(hit): hit.score * (coverage if asking else 1.0)
        for hit in hits
        if (coverage := topic_coverage(index, hit, concepts)) >= MIN_TOPIC_COVERAGE
    }
    on_topic = sorted(
        (hit for hit in hits if id(hit) in on_topic_score),
        key=lambda hit: on_topic_score[id(hit)],
        reverse=True,
    )
    if not on_topic:
        return _declined([], language, min(confidence_of(hits[0], text), OFF_TOPIC_CONFIDENCE))
    chosen, other_language = _choose(on_topic, language)
    confidence = confidence_of(chosen, text)
    places = other_places(text)
    if places:
        passage_places = {_place_of(stem(word, "lt")) for word in words(chosen.best_chunk.text)}
        if not places <= passage_places:
            confidence = min(confidence, 0.2)
    minimum = (
        settings.kb_min_confidence
        if settings
        else Settings.model_fields["kb_min_confidence"].default
    )
    if confidence < minimum:
        return _declined(on_topic, language, confidence)
    sources = [source_of(chosen.article)]
    for hit in on_topic:
        if (
            len(sources) < 3
            and hit is not chosen
            and on_topic_score[id(hit)] >= SOURCE_SCORE_SHARE * on_topic_score[id(chosen)]
        ):
            sources.append(source_of(hit.article))
    lexical = index.state.lexical
    body, passages = extract(chosen, text, lexical.term_idf, lexical.known)
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
