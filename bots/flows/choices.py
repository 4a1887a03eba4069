"""Understanding a typed answer to a question with fixed options.

Members type "gyvenu uzsienyje" or "darbas ir renginiai" instead of pressing a button. The
aliases live in choices.yml (data, per question); this module only matches them on folded
text, whole words, with "*" for Lithuanian endings.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import yaml

CHOICES_FILE = Path(__file__).with_name("choices.yml")


def fold(text: str) -> str:
    """Lower case without diacritics and punctuation, words separated by single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.findall(r"[a-z0-9]+", bare))


def _pattern(alias: str) -> re.Pattern[str]:
    words = fold(alias.rstrip("*")).split()
    body = r"\s+".join(re.escape(word) for word in words)
    tail = r"[a-z]*" if alias.endswith("*") else ""
    return re.compile(rf"(?<![a-z0-9]){body}{tail}(?![a-z0-9])")


@lru_cache(maxsize=1)
def _questions() -> dict[str, dict[str, list[tuple[int, re.Pattern[str]]]]]:
    # BaseLoader keeps every value a string: YAML 1.1 would read yes, no, ok as booleans.
    raw = yaml.load(CHOICES_FILE.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    return {
        question: {
            str(option): [(len(alias), _pattern(str(alias))) for alias in aliases]
            for option, aliases in options.items()
        }
        for question, options in raw.items()
    }


def _scores(question: str, text: str) -> dict[str, int]:
    folded = fold(text)
    scores: dict[str, int] = {}
    for option, patterns in _questions()[question].items():
        best = max((length for length, pattern in patterns if pattern.search(folded)), default=0)
        if best:
            scores[option] = best
    return scores


def match_one(question: str, text: str) -> str | None:
    """The single option the text names; None when none or two equally likely."""
    scores = _scores(question, text)
    if not scores:
        return None
    ranked = sorted(scores.values(), reverse=True)
    if len(ranked) > 1 and ranked[0] == ranked[1]:
        return None
    return max(scores, key=scores.__getitem__)


def match_many(question: str, text: str) -> list[str]:
    """Every option the text names, in the order of choices.yml."""
    scores = _scores(question, text)
    return [option for option in _questions()[question] if option in scores]


def options(question: str) -> list[str]:
    return list(_questions()[question])
