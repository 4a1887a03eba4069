"""Text normalisation shared by the NLU room.

Members type Lithuanian with or without diacritics and in any case, so everything we match is
compared in a *folded* form: lower case, no combining marks, single spaces.
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[a-z0-9]+")


def _fold_char(char: str) -> str:
    """Fold one character; may return "" (a combining mark) or several characters."""
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """Fold `text` and map each folded character back to its index in `text`.

    Entities are found in folded text but reported with offsets into what the member typed.
    """
    out: list[str] = []
    origin: list[int] = []
    pending_space = -1
    for index, char in enumerate(text):
        if char.isspace():
            if out and pending_space < 0:
                pending_space = index
            continue
        folded = _fold_char(char)
        if not folded:
            continue
        if pending_space >= 0:
            out.append(" ")
            origin.append(pending_space)
            pending_space = -1
        for piece in folded:
            out.append(piece)
            origin.append(index)
    return "".join(out), origin


def fold(text: str) -> str:
    """Lower-case, strip diacritics (NFKD minus combining marks), collapse whitespace, strip."""
    return fold_with_offsets(text)[0]


def words(folded: str) -> list[str]:
    """Alphanumeric words of an already folded text (punctuation dropped)."""
    return _WORD.findall(folded)


def word_spans(folded: str) -> list[tuple[str, int, int]]:
    """Words of a folded text with their start/end offsets in it."""
    return [(m.group(), m.start(), m.end()) for m in _WORD.finditer(folded)]


def normalise_for_model(text: str) -> str:
    """What the classifier sees: folded text with punctuation reduced to spaces."""
    return " ".join(words(fold(text)))


# Words a question starts with, folded (Lithuanian and English).
QUESTION_WORDS = frozenset(
    """kaip kur kada kiek ar koks kokia kokie kokios kas kodel kuo kam kuris kuri kurie kurios
    kokiu kurioje kuriame kurie kokio kokios kieno nejaugi
    how where when what which who whom whose why can could is are do does did will would
    should may might must shall""".split()
)


def looks_like_question(text: str) -> bool:
    """A question by its form: a question mark, or a question word first ("kaip gauti vieta
    darzelyje", "where do i register"). Says nothing of what it is about."""
    if "?" in text:
        return True
    found = words(fold(text))
    return bool(found) and found[0] in QUESTION_WORDS
