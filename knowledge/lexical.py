"""BM25 over chunks, on folded and stemmed terms (see `knowledge.text`).

Kept in memory as one sparse matrix of BM25 weights, so a question costs a column sum; it
is rebuilt from the chunks whenever the published articles change (milliseconds for a
thousand articles).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from scipy.sparse import csc_matrix

from knowledge.text import asking_terms, glossary_terms, query_terms, terms

K1 = 1.2
B = 0.75
ASKING_WEIGHT = 0.25  # of a term that only asks for a price or amount ("kainuoja")
# A misspelt term ("siukles") is read as the known term one edit away (two for long words).
TYPO_MIN_CHARS = 5
TYPO_LONG_CHARS = 11
TYPO_SUBSTITUTION_CHARS = 7  # below it, only a missing or an extra letter is a typo
# Lithuanian verb prefixes, longest first: a member's "užregistruoti" or "išsikviesti" meets the
# article's "registruoti", "kviesti" when the prefixed form is in no article.
_PREFIXES = tuple(
    sorted(
        """uzsi issi nusi pasi atsi susi prisi apsi isi uz is at nu pa per pri su ap pra par
        api be""".split(),
        key=len,
        reverse=True,
    )
)
PREFIX_REST_CHARS = 5  # what a prefix leaves must be a word of its own, not "vez" of "isvez"


@dataclass(frozen=True)
class LexicalDocument:
    id: str
    text: str
    language: str


class BM25Index:
    """Okapi BM25 with precomputed weights; `search` returns (id, score) best first."""

    def __init__(self, documents: Sequence[LexicalDocument]) -> None:
        self.ids = [document.id for document in documents]
        self.position = {document_id: row for row, document_id in enumerate(self.ids)}
        vocabulary: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        counts: list[float] = []
        lengths = np.zeros(len(documents), dtype=np.float32)
        for row, document in enumerate(documents):
            bag = Counter(terms(document.text, document.language))
            lengths[row] = sum(bag.values())
            for term, count in bag.items():
                rows.append(row)
                cols.append(vocabulary.setdefault(term, len(vocabulary)))
                counts.append(count)
        self.vocabulary = vocabulary
        n = len(documents)
        tf = np.asarray(counts, dtype=np.float32)
        row_index = np.asarray(rows, dtype=np.int64)
        col_index = np.asarray(cols, dtype=np.int64)
        document_frequency = np.bincount(col_index, minlength=len(vocabulary))
        self.frequency = document_frequency
        self._corrections: dict[str, str | None] = {}
        self._initials: dict[str, list[str]] | None = None
        self._starts: dict[int, dict[str, frozenset[str]]] = {}
        self.idf = np.log1p((n - document_frequency + 0.5) / (document_frequency + 0.5))
        average = float(lengths.mean()) if n else 1.0
        norm = K1 * (1 - B + B * lengths[row_index] / max(average, 1.0))
        weights = self.idf[col_index] * tf * (K1 + 1) / (tf + norm)
        self.matrix = csc_matrix(
            (weights, (row_index, col_index)), shape=(n, max(len(vocabulary), 1))
        )

    def __len__(self) -> int:
        return len(self.ids)

    def known(self, term: str) -> str | None:
        """The term as the index knows it: itself, the known term a typo away, or None."""
        if term in self.vocabulary or term in glossary_terms():
            return term
        if len(term) < TYPO_MIN_CHARS or term.isdigit():
            return None
        if term not in self._corrections:
            unprefixed = self._unprefixed(term)
            if unprefixed is not None:
                self._corrections[term] = unprefixed
                return unprefixed
            limit = 2 if len(term) >= TYPO_LONG_CHARS else 1
            candidates = self._by_initial().get(term[0], [])
            found = process.extract(
                term, candidates, scorer=Levenshtein.distance, score_cutoff=limit, limit=8
            )
            if len(term) < TYPO_SUBSTITUTION_CHARS:  # "admin" is not "admit"; "siukl" is "siuksl"
                found = [match for match in found if len(match[0]) != len(term)]
            best = min(
                found,
                key=lambda match: (match[1], -self._frequency_of(match[0])),
                default=None,
            )
            self._corrections[term] = best[0] if best else None
        return self._corrections[term]

    def _unprefixed(self, term: str) -> str | None:
        """The known term a Lithuanian verb prefix hides ("uzregistruo" -> "registruo")."""
        for prefix in _PREFIXES:
            rest = term[len(prefix) :]
            known = len(rest) >= PREFIX_REST_CHARS and rest in self.vocabulary
            if known and term.startswith(prefix):
                return rest
        return None

    def terms_starting(self, start: str) -> frozenset[str]:
        """Known terms that open with `start` ("kompens" -> "kompensacij", "kompensuoj")."""
        if len(start) not in self._starts:
            starts: dict[str, set[str]] = {}
            for term in self.vocabulary:
                if len(term) >= len(start):
                    starts.setdefault(term[: len(start)], set()).add(term)
            self._starts[len(start)] = {key: frozenset(value) for key, value in starts.items()}
        return self._starts[len(start)].get(start, frozenset())

    def concept_idf(self, forms: frozenset[str] | set[str]) -> float:
        """How rare a word is, counting every chunk that holds one of its forms (a word held
        in one language's form is not made rare by a rare spelling in the other's)."""
        columns = [self.vocabulary[form] for form in forms if form in self.vocabulary]
        if not columns:
            return self.term_idf("")
        n = len(self.ids)
        df = int((self.matrix[:, columns].getnnz(axis=1) > 0).sum())
        return float(math.log1p((n - df + 0.5) / (df + 0.5)))

    def _frequency_of(self, term: str) -> int:
        column = self.vocabulary.get(term)
        return int(self.frequency[column]) if column is not None else 0

    def _by_initial(self) -> dict[str, list[str]]:
        if self._initials is None:
            initials: dict[str, list[str]] = {}
            for term in self.vocabulary.keys() | glossary_terms():
                if len(term) >= TYPO_MIN_CHARS - 1 and not term.isdigit():
                    initials.setdefault(term[0], []).append(term)
            self._initials = initials
        return self._initials

    def columns(self, question: str) -> list[int]:
        found = query_terms(question, self.known)
        return [self.vocabulary[term] for term in found if term in self.vocabulary]

    def scores(self, question: str) -> np.ndarray:
        """BM25 score of every document for the question (zeros when no term is known)."""
        columns = self.columns(question)
        if not columns or not self.ids:
            return np.zeros(len(self.ids), dtype=np.float32)
        asking = {self.vocabulary[t] for t in asking_terms(question) if t in self.vocabulary}
        weights = np.asarray([ASKING_WEIGHT if c in asking else 1.0 for c in columns])
        return np.asarray(self.matrix[:, columns] @ weights).ravel()

    def search(self, question: str, k: int = 20) -> list[tuple[str, float]]:
        return self.top(self.scores(question), k)

    def top(self, scores: np.ndarray, k: int) -> list[tuple[str, float]]:
        if not len(scores):
            return []
        top = np.argsort(-scores)[:k]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def term_idf(self, term: str) -> float:
        """How rare a term is in the knowledge base (unknown terms count as the rarest)."""
        column = self.vocabulary.get(term)
        if column is None:
            return math.log1p(len(self.ids) + 0.5)
        return float(self.idf[column])
