"""How well an article answers a question: the evidence for one search hit, and two small
logistic models over it, fitted on the tune part of the calibration questions and the older
labelled sets (`bench/kb_calibrate.py` refits them and prints the constants below).

The ranking model says which of the hits answers (the search's order is one of its inputs);
the answer model says whether the chosen one answers at all, which is the confidence an
answer carries and what the "don't know" threshold (`ALYTUS_KB_MIN_CONFIDENCE`) is set against.
The strongest evidence is lexical: how much of the question's topic the article and its best
passage hold, its rare words counting most (a word's rarity counts every form of it in both
languages, so a rare English spelling does not make "darželis" rare). A topic word no article
holds ("pensija", "apostille") is the usual sign of a question from a neighbouring service the
city does not describe.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from knowledge.index import IndexState
from knowledge.lexical import BM25Index
from knowledge.passages import Passage, asked_kinds, gives, label_terms, passage_terms
from knowledge.retrieval import ArticleHit
from knowledge.text import (
    GENERIC_STEMS,
    Correct,
    is_abroad,
    is_asking_word,
    question_concepts,
    stem,
    terms,
    words,
)

PREFIX_CHARS = 7  # "priešmokyklinukui" meets "priešmokyklinio" on a long shared start
# Lithuanian infinitives, and the colloquial ones that drop the last vowel ("nusipirkt").
_INFINITIVE = re.compile(r"\w{3}(?:tis?|(?<=[aeiouynkpsbl])t)$")
UNKNOWN_WEIGHT = 0.5  # of the rarest word's weight: a word no article holds may be a typo or slang
# Choosing the passage inside an article: what it holds of the question, then the chunk
# ranking (dense similarity and term weight) and the dense similarity itself as priors, then
# whether it gives the kind of fact asked for (a time for "kada").
PASSAGE_PRIOR = 0.5
PASSAGE_KIND = 0.3
PASSAGE_LABEL = 0.15  # the passage's label or heading names a word of the question
PASSAGE_DENSE = 5.0  # per unit of cosine similarity below the article's best chunk

RANK_FEATURES = (
    "fused",
    "bm25",
    "dense",
    "coverage",
    "title_coverage",
    "passage_coverage",
    "kind_given",
)
ANSWER_FEATURES = (
    "coverage",
    "passage_coverage",
    "title_coverage",
    "bm25",
    "unknown",
    "kind_given",
    "concepts",
    "fused",
    "dense",
    "missing",
    "rank",
)
# Fitted by bench/kb_calibrate.py --declined 0.85 on the "tune" lines of
# calibration-questions.jsonl and the dev and member questions (never the held-out lines);
# weights on the raw features, in the order above, then the bias.
RANK_WEIGHTS = (5.184, 2.538, -13.8, 0.2548, 3.819, 1.912, 0.9665)
RANK_BIAS = -1.898
ANSWER_WEIGHTS = (
    5.17,
    -2.095,
    1.482,
    0.9171,
    -0.08692,
    0.8796,
    0.1379,
    3.373,
    2.789,
    -1.768,
    4.181,
)
ANSWER_BIAS = -13.18


@dataclass(frozen=True)
class Question:
    """A question as the evidence reads it: its topic words (each with its forms in both
    languages and how rare it is in the knowledge base) and the kinds of fact it asks for."""

    text: str
    concepts: tuple[frozenset[str], ...]
    weights: tuple[float, ...]
    unknown: int  # topic words no article holds, even read as a typo
    kinds: frozenset[str]


def topic_concepts(
    question: str, correct: Correct | None = None, language: str | None = None
) -> list[frozenset[str]]:
    """The question's words that say what it is about: without asking words ("kainuoja"),
    what the member wants to do ("noriu", "get", or a verb no article uses: "nusipirkt"), who
    for ("mamai") or the country they live in ("iš Norvegijos")."""
    tokens = words(question)
    topic = [
        word
        for position, word in enumerate(tokens)
        if len(word) > 1  # the "s" of "child's"
        and not is_asking_word(word)
        and not (is_abroad(word) and _where_one_is(tokens, position))
        and not any(stem(word, language) in GENERIC_STEMS for language in ("lt", "en"))
        and not (language == "XX" and correct is not None and _unknown_verb(word, correct))
    ]
    return question_concepts(" ".join(topic), correct)


# Words before a country that make it where the member is, comes from or goes ("iš Airijos",
# "in Norway", "grįžus į Lietuvą"), and the Lithuanian locative endings that say "in" alone
# ("Norvegijoje"). A country named otherwise is what the question is about ("the capital of
# France", "Prancūzijos ambasada"): a topic the Alytus articles do not cover.
_WHERE_BEFORE = frozenset(
    "is nuo i iki per from in to back at live living lives lived gyvenu gyvename dirbu".split()
)
_LOCATIVE = ("oje", "ijoje", "uose", "yje", "eje", "ose", "ije")


def _where_one_is(tokens: list[str], position: int) -> bool:
    word = tokens[position]
    before = tokens[position - 1] if position else ""
    return before in _WHERE_BEFORE or word.endswith(_LOCATIVE)


def _unknown_verb(word: str, correct: Correct) -> bool:
    """A Lithuanian infinitive ("uzsirasyti", colloquial "nusipirkt") that no article uses:
    it says what the member wants to do; the topic is in the other words."""
    return bool(_INFINITIVE.search(word)) and correct(stem(word, "lt")) is None


def prepare(question: str, lexical: BM25Index, language: str | None = None) -> Question:
    """The question as the evidence reads it; `language` is the member's (a Lithuanian verb
    no article uses is left out of a Lithuanian question's topic)."""
    concepts = topic_concepts(question, lexical.known, language)
    vocabulary = lexical.vocabulary
    starts = _starts(frozenset(vocabulary))
    weights: list[float] = []
    unknown = 0
    for concept in concepts:
        held = {form for form in concept if form in vocabulary}
        if held:
            weights.append(lexical.concept_idf(held))
        elif any(len(form) >= PREFIX_CHARS and form[:PREFIX_CHARS] in starts for form in concept):
            # held in another form ("kompensuoja"): as rare as those forms together
            alike = {
                term
                for form in concept
                if len(form) >= PREFIX_CHARS
                for term in lexical.terms_starting(form[:PREFIX_CHARS])
            }
            weights.append(lexical.concept_idf(alike))
        else:
            weights.append(UNKNOWN_WEIGHT * lexical.term_idf(""))  # no article holds it
            unknown += 1
    return Question(question, tuple(concepts), tuple(weights), unknown, asked_kinds(question))


def matches(concept: frozenset[str], held: frozenset[str]) -> bool:
    """Whether the text holds one of the word's forms, or a form with the same long start
    ("kompensuoja" and "kompensacija", "priešmokyklinukui" and "priešmokyklinio")."""
    if concept & held:
        return True
    starts = _starts(held)
    return any(len(form) >= PREFIX_CHARS and form[:PREFIX_CHARS] in starts for form in concept)


@lru_cache(maxsize=20_000)
def _starts(held: frozenset[str]) -> frozenset[str]:
    return frozenset(term[:PREFIX_CHARS] for term in held if len(term) >= PREFIX_CHARS)


def coverage(question: Question, held: frozenset[str]) -> float:
    """Share of the question's topic the text holds, its words weighted by rarity (1.0 for a
    question with no topic words, such as "how much does it cost")."""
    if not question.concepts:
        return 1.0
    total = sum(question.weights)
    covered = sum(
        weight
        for concept, weight in zip(question.concepts, question.weights, strict=True)
        if matches(concept, held)
    )
    return covered / total if total else 0.0


def missing(question: Question, held: frozenset[str]) -> float:
    """The share of the question's topic carried by the weightiest word the text lacks: one
    rare word missing ("apostille") says more than a few common ones."""
    total = sum(question.weights)
    lacked = [
        weight
        for concept, weight in zip(question.concepts, question.weights, strict=True)
        if not matches(concept, held)
    ]
    return max(lacked, default=0.0) / total if total else 0.0


@lru_cache(maxsize=20_000)
def _passage_terms(passage: Passage, language: str) -> frozenset[str]:
    return passage_terms(passage, language)


@lru_cache(maxsize=20_000)
def _label_terms(passage: Passage, language: str) -> frozenset[str]:
    return label_terms(passage, language)


@lru_cache(maxsize=4096)
def _title_terms(title: str, language: str) -> frozenset[str]:
    return frozenset(terms(title, language))


def article_terms(state: IndexState, article_id: str) -> frozenset[str]:
    article = state.articles[article_id]
    return _article_terms(article.title, article.language, tuple(state.passages[article_id]))


@lru_cache(maxsize=4096)
def _article_terms(title: str, language: str, passages: tuple[Passage, ...]) -> frozenset[str]:
    held = set(_title_terms(title, language))
    for passage in passages:
        held |= _passage_terms(passage, language)
    return frozenset(held)


@dataclass(frozen=True)
class Evidence:
    """What speaks for one article answering the question, and its passages best first."""

    hit: ArticleHit
    passages: tuple[tuple[Passage, float], ...]
    fused: float  # the search's score, as a share of the best hit's
    bm25: float
    dense: float
    coverage: float
    missing: float  # the largest share of the topic one word the article lacks carries
    title_coverage: float
    passage_coverage: float
    kind_given: float
    unknown: float
    concepts: float
    same_language: bool

    @property
    def article_id(self) -> str:
        return self.hit.article.id

    @property
    def best_passage(self) -> Passage | None:
        return self.passages[0][0] if self.passages else None

    def rank_probability(self) -> float:
        """How likely this is the article that answers, of the hits for the question."""
        values = [getattr(self, name) for name in RANK_FEATURES]
        return _logistic(values, RANK_WEIGHTS, RANK_BIAS)

    def answer_probability(self) -> float:
        """How likely the article's best passage answers the question (the confidence)."""
        values = [getattr(self, name) for name in ANSWER_FEATURES[:-1]]
        values.append(self.rank_probability())
        return _logistic(values, ANSWER_WEIGHTS, ANSWER_BIAS)

    def features(self) -> dict[str, float]:
        """Every feature by name (for refitting the weights)."""
        names = dict.fromkeys(RANK_FEATURES + ANSWER_FEATURES[:-1])
        return {name: float(getattr(self, name)) for name in names}


def _logistic(values: Sequence[float], weights: Sequence[float], bias: float) -> float:
    z = bias + sum(value * weight for value, weight in zip(values, weights, strict=True))
    return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))


def weigh(
    state: IndexState, hit: ArticleHit, question: Question, top_score: float, language: str
) -> Evidence:
    """The evidence that the hit's article answers the question."""
    article = hit.article
    ranked = _ranked_passages(state, hit, question)
    best = ranked[0][0] if ranked else None
    held = _passage_terms(best, article.language) if best else frozenset()
    return Evidence(
        hit=hit,
        passages=tuple(ranked),
        fused=hit.score / top_score if top_score else 0.0,
        bm25=math.log1p(hit.bm25),
        dense=hit.dense,
        coverage=coverage(question, article_terms(state, article.id)),
        missing=missing(question, article_terms(state, article.id)),
        title_coverage=coverage(question, _title_terms(article.title, article.language))
        if question.concepts
        else 0.0,
        passage_coverage=coverage(question, held) if question.concepts else 0.0,
        kind_given=float(best is not None and gives(best.text, question.kinds)),
        unknown=float(question.unknown),
        concepts=float(len(question.concepts)),
        same_language=article.language == language,
    )


def _ranked_passages(
    state: IndexState, hit: ArticleHit, question: Question
) -> list[tuple[Passage, float]]:
    """The article's passages, best first: what each holds of the question (a word the whole
    article repeats, such as its subject, tells little about which passage answers), the
    ranking of the chunk it is in, whether its label names what is asked ("Terminai" for "per
    kiek laiko") and whether it gives the kind of fact asked for."""
    language = hit.article.language
    passages = state.passages.get(hit.article.id, [])
    held = [_passage_terms(passage, language) for passage in passages]
    n = len(passages)
    weights = []
    for concept, weight in zip(question.concepts, question.weights, strict=True):
        spread = sum(matches(concept, terms_) for terms_ in held)
        weights.append(weight * math.log1p(n / spread) / math.log1p(n) if spread else 0.0)
    total = sum(weights) or 1.0
    top = hit.chunks[0][1] if hit.chunks else 1.0
    scored = []
    for passage, terms_ in zip(passages, held, strict=True):
        inside = [
            (score, hit.similarity.get(chunk.id, 0.0))
            for chunk, score in hit.chunks
            if passage.text in chunk.text or chunk.text in passage.text
        ]
        prior = max((score for score, _ in inside), default=0.0)
        near = max((similarity for _, similarity in inside), default=0.0)
        own = sum(
            weight
            for concept, weight in zip(question.concepts, weights, strict=True)
            if weight and matches(concept, terms_)
        )
        kind = float(bool(question.kinds) and gives(passage.text, question.kinds))
        labels = _label_terms(passage, language)
        named = sum(
            weight
            for concept, weight in zip(question.concepts, question.weights, strict=True)
            if labels and matches(concept, labels)
        )
        score = (
            own / total
            + PASSAGE_LABEL * (named > 0)
            + PASSAGE_PRIOR * prior / (top or 1.0)
            + PASSAGE_KIND * kind
            + PASSAGE_DENSE * (near - hit.dense)
        )
        scored.append((passage, score))
    return sorted(scored, key=lambda item: -item[1])
