"""Group alike unanswered questions, so staff answer a topic once rather than each wording.

Each question becomes its topic terms: folded (no diacritics), stop words and asking words
("noriu", "gauti", "how") dropped, each word cut to its stem ("darželyje", "darzelio" ->
"darzel"). Two questions are alike when at least half of the terms of the longer one are
found in the other, a term matching a term of the same stem, a longer form of it ("isvez",
"isvezim") or one typo away (rapidfuzz ratio).
Questions join the first group, oldest first, holding a question they are alike to, so the
grouping is the same on every page load and each group can say which words it shares.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from rapidfuzz import fuzz

from knowledge.text import GENERIC_STEMS, content_words, is_asking_word, stem

MIN_SHARE = 0.5  # share of the longer question's terms the other must hold
TYPO_RATIO = 85.0  # rapidfuzz ratio at which two stems count as one word mistyped
TYPO_MIN_CHARS = 5  # shorter stems must match exactly ("kada" is not "kava")
# The city itself: nearly every question names it, so it says nothing about the topic.
CITY_TERMS = frozenset({"alyt", "alytus", "alytau"})


class Asked(Protocol):
    """What grouping reads of a question (an `UnansweredQuestion` row fits)."""

    @property
    def id(self) -> int | None: ...
    @property
    def question(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def platform(self) -> str: ...
    @property
    def asked_at(self) -> datetime: ...


def topic_terms(question: str, language: str) -> frozenset[str]:
    """The stems that say what a question is about ("kaip gauti vietą darželyje" ->
    {"viet", "darzel"}); the question's own language decides the stemmer."""
    language = "en" if language == "en" else "lt"
    return frozenset(
        term
        for word in content_words(question)
        if not is_asking_word(word)
        and (term := stem(word, language))
        and term not in GENERIC_STEMS
        and term not in CITY_TERMS
        and len(term) > 1
    )


def _same_word(one: str, other: str) -> bool:
    if one == other:
        return True
    if min(len(one), len(other)) < TYPO_MIN_CHARS:
        return False
    if one.startswith(other) or other.startswith(one):  # "isvez" of "isvezimo"
        return True
    return fuzz.ratio(one, other) >= TYPO_RATIO


def shared_terms(one: frozenset[str], other: frozenset[str]) -> set[str]:
    """Terms of `one` that `other` holds too, allowing a typo."""
    return {term for term in one if any(_same_word(term, theirs) for theirs in other)}


def alike(one: frozenset[str], other: frozenset[str]) -> bool:
    """Do two questions' terms say the same thing? (Half the longer one's terms are shared.)"""
    if not one or not other:
        return False
    shared = len(shared_terms(one, other))
    return shared >= 1 and shared >= MIN_SHARE * max(len(one), len(other))


@dataclass
class QuestionGroup:
    """Alike questions, oldest first, and the words they share (why they were grouped)."""

    questions: list[Asked]
    terms: list[frozenset[str]]

    @property
    def key(self) -> str:
        """Stable name of the group: its oldest question's id."""
        return f"q{self.questions[0].id}"

    @property
    def count(self) -> int:
        return len(self.questions)

    @property
    def ids(self) -> list[int]:
        return [question.id for question in self.questions if question.id is not None]

    @property
    def languages(self) -> list[str]:
        return sorted({question.language for question in self.questions})

    @property
    def platforms(self) -> list[str]:
        return sorted({question.platform for question in self.questions})

    @property
    def first_asked(self) -> datetime:
        return min(question.asked_at for question in self.questions)

    @property
    def last_asked(self) -> datetime:
        return max(question.asked_at for question in self.questions)

    @property
    def shared_words(self) -> list[str]:
        """Terms held by at least half of the questions (all of them for a pair)."""
        counts = Counter(term for terms in self.terms for term in terms)
        needed = max(2, (len(self.terms) + 1) // 2) if len(self.terms) > 1 else 1
        return sorted(term for term, seen in counts.items() if seen >= needed)

    @property
    def text(self) -> str:
        """All the questions as one text (to look for an article that answers them)."""
        return "\n".join(question.question for question in self.questions)


def group_questions(questions: Iterable[Asked]) -> list[QuestionGroup]:
    """Alike questions together; the biggest groups first, then the most recently asked."""
    ordered: Sequence[Asked] = sorted(questions, key=lambda q: (q.asked_at, q.id or 0))
    groups: list[QuestionGroup] = []
    for question in ordered:
        terms = topic_terms(question.question, question.language)
        home = next((g for g in groups if any(alike(terms, t) for t in g.terms)), None)
        if home is None:
            groups.append(QuestionGroup([question], [terms]))
        else:
            home.questions.append(question)
            home.terms.append(terms)
    return sorted(groups, key=lambda g: (-g.count, -g.last_asked.timestamp(), g.key))
