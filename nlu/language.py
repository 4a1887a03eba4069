"""Which language a member wrote in: "lt", "en" or "other".

lingua is right on sentences but wrong on one or two words ("labas" -> Latvian, "ne" ->
Norwegian), so the member's chosen language is the prior and is only overridden by a confident
reading of a longer text. Without a prior, short texts are decided by which language's training
vocabulary they share more words with.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any, Literal

from nlu.text import fold, words

LanguageCode = Literal["lt", "en", "other"]
MIN_WORDS_TO_SWITCH = 3
_CONFIDENT_OURS = 0.3  # lingua's relative confidence among the candidate languages below
_CONFIDENT_OTHER = 0.6
_CLEARLY = 4.0  # switching away from the member's language needs 4 times its confidence
_CANDIDATES = (
    "LITHUANIAN ENGLISH LATVIAN POLISH RUSSIAN UKRAINIAN GERMAN BOKMAL NYNORSK SPANISH FRENCH "
    "ITALIAN"
).split()


class LanguageGuesser:
    """lingua over a fixed set of languages plus a vocabulary vote for very short texts."""

    def __init__(self, vocabulary: dict[str, Iterable[str]] | None = None) -> None:
        self._vocabulary = {code: set(tokens) for code, tokens in (vocabulary or {}).items()}
        self._detector: Any = None
        self._lock = threading.Lock()

    def _lingua(self) -> Any:
        with self._lock:
            if self._detector is None:
                from lingua import Language, LanguageDetectorBuilder

                languages = [getattr(Language, name) for name in _CANDIDATES]
                self._detector = (
                    LanguageDetectorBuilder.from_languages(*languages)
                    .with_preloaded_language_models()
                    .build()
                )
            return self._detector

    def warm_up(self) -> None:
        """Load lingua's models now rather than on the first message (about a second)."""
        self._lingua()

    def _lingua_scores(self, text: str) -> dict[LanguageCode, float]:
        """lingua's confidence for lt, en and the best other language."""
        scores: dict[LanguageCode, float] = {"lt": 0.0, "en": 0.0, "other": 0.0}
        for value in self._lingua().compute_language_confidence_values(text):
            code = value.language.iso_code_639_1.name.lower()
            key: LanguageCode = code if code in ("lt", "en") else "other"  # type: ignore[assignment]
            scores[key] = max(scores[key], float(value.value))
        return scores

    def _lingua_guess(self, text: str) -> tuple[LanguageCode, float]:
        scores = self._lingua_scores(text)
        best = max(scores, key=lambda code: scores[code])
        return best, scores[best]

    def _vocabulary_vote(self, tokens: list[str]) -> LanguageCode | None:
        scores = {
            code: sum(token in known for token in tokens)
            for code, known in self._vocabulary.items()
        }
        ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
        if ranked and ranked[0][1] > 0 and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
            return ranked[0][0]  # type: ignore[return-value]
        return None

    def guess(self, text: str, *, hint: str | None = None) -> LanguageCode:
        """The language of `text`; `hint` (the member's language) wins unless clearly wrong."""
        prior: LanguageCode | None = hint if hint in ("lt", "en") else None  # type: ignore[assignment]
        tokens = words(fold(text))
        if not tokens:
            return prior or "other"
        if len(tokens) >= MIN_WORDS_TO_SWITCH:
            scores = self._lingua_scores(text)
            best = max(scores, key=lambda code: scores[code])
            threshold = _CONFIDENT_OTHER if best == "other" else _CONFIDENT_OURS
            # lingua spreads English over its Germanic cousins, so "clearly more likely than
            # the prior" matters more than the absolute confidence
            clearly = scores[best] >= _CLEARLY * scores.get(prior or best, 0.0)
            if best == prior or (scores[best] >= threshold and (prior is None or clearly)):
                return best
        if prior:
            return prior
        voted = self._vocabulary_vote(tokens)
        if voted:
            return voted
        code, _ = self._lingua_guess(text)
        return code
