"""Cleaning what members type before anything reads it."""

from __future__ import annotations

import unicodedata

_KEPT_CONTROLS = {"\n", "\t"}


def clean_text(text: str | None) -> str:
    """NFC-normalised text without control characters, trimmed; None becomes ''."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text)
    kept = (
        ch
        for ch in text
        if ch in _KEPT_CONTROLS or unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co"}
    )
    return "".join(kept).strip()


def has_words(text: str) -> bool:
    """True when the text has a letter or digit (not only emoji or punctuation)."""
    return any(ch.isalnum() for ch in text)
