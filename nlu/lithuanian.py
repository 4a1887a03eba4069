"""Lithuanian case forms of place names, generated from the nominative.

People write "Norvegijoje", "iš Norvegijos", "į Norvegiją": one nominative from a catalogue has
to match all of them. Forms are generated on *folded* words (no diacritics), so "Norvegijoj" and
"norvegijoj" are the same form.
"""

from __future__ import annotations

# Folded nominative ending -> folded endings of the cases people actually write
# (nominative, genitive, dative, accusative, instrumental, locative, short locative, illative).
# Checked longest ending first.
_PARADIGMS: dict[str, tuple[str, ...]] = {
    "ioji": ("ioji", "iosios", "iajai", "iaja", "iojoje", "iojoj"),
    "oji": ("oji", "osios", "ajai", "aja", "ojoje", "ojoj"),
    "iai": ("iai", "iu", "iams", "ius", "iais", "iuose", "iuos"),
    "ai": ("ai", "u", "ams", "us", "ais", "uose", "uos"),
    "os": ("os", "u", "oms", "as", "omis", "ose"),
    "es": ("es", "iu", "ems", "emis", "ese"),
    "as": ("as", "o", "ui", "a", "u", "e", "an"),
    "is": ("is", "io", "iui", "i", "iu", "yje", "yj", "in"),
    "ys": ("ys", "io", "iui", "i", "iu", "yje", "yj"),
    "us": ("us", "aus", "ui", "u", "umi", "uje", "uj", "un"),
    "a": ("a", "os", "ai", "oje", "oj", "on"),
    "e": ("e", "es", "ei", "eje", "ej", "en"),
}
_ENDINGS = sorted(_PARADIGMS, key=len, reverse=True)
_MIN_STEM = 2


def word_forms(folded_word: str) -> set[str]:
    """All case forms of one folded Lithuanian nominative word (itself included)."""
    forms = {folded_word}
    for ending in _ENDINGS:
        stem = folded_word[: -len(ending)]
        if folded_word.endswith(ending) and len(stem) >= _MIN_STEM:
            forms.update(stem + case for case in _PARADIGMS[ending])
            break
    return forms
