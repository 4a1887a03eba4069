"""The passages an answer quotes: an article's paragraphs, a list with the line that leads it,
each whole, so a quoted sentence never loses what gives it meaning ("šioms grupėms", "Jis").

Chunks (`knowledge.chunking`) are what the index embeds and may join short paragraphs or cut a
long one; passages are what a member reads, one paragraph or one list each. This module also
says what kind of fact a question asks for (a time, an amount, a phone number, a place) and
whether a passage gives one, so an answer to "when" is a passage with a time in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.chunking import blocks, plain
from knowledge.text import fold, terms, words

_BOLD_LEAD = re.compile(r"^\s*\*\*(.+?)\*\*")
# Words that point back to the paragraph before ("Jis skirtas…", "Tuomet…", "It is…"): a
# passage opening with one is quoted together with the passage it leans on.
_LEANING = {
    "lt": frozenset(
        """jis ji jie jos jo jai jam jiems joms juos ja juo tai sis si sie sios sio sia sitas
        sita toks tokia tokie tokios tuomet tada todel taciau be taip siam siai cia""".split()
    ),
    "en": frozenset(
        """it its they their them this these that those he she his her then however there
        such also""".split()
    ),
}
_LEAD_WORDS = 6  # a bold lead longer than this is a sentence, not a label


@dataclass(frozen=True)
class Passage:
    """One paragraph or list of an article, as plain text, with the label it opens with."""

    article_id: str
    index: int
    heading: str  # the section heading above it, "" in an article without sections
    lead: str  # its bold label ("Kas moka už jus."), "" when it has none
    text: str

    def leans_back(self, language: str) -> bool:
        """Whether it opens by pointing back ("Jis…", "Tuomet…") after any label."""
        body = self.text[len(self.lead) :] if self.lead and self.text.startswith(self.lead) else ""
        opening = words(body or self.text)[:1]
        return bool(opening) and opening[0] in _LEANING.get(language, frozenset())


def article_passages(article_id: str, title: str, body: str) -> list[Passage]:
    """The article's passages in order (the H1 that repeats the title left out)."""
    passages: list[Passage] = []
    for heading, block in blocks(body):
        text = plain(block)
        if not text or text == plain(title):
            continue
        match = _BOLD_LEAD.match(block)
        lead = plain(match.group(1)) if match else ""
        if len(lead.split()) > _LEAD_WORDS:
            lead = ""
        section = "" if heading == plain(title) else heading
        passages.append(Passage(article_id, len(passages), section, lead, text))
    return passages


def passage_terms(passage: Passage, language: str) -> frozenset[str]:
    """Index terms of the passage with its section heading."""
    return frozenset(terms(f"{passage.heading} {passage.text}", language))


def label_terms(passage: Passage, language: str) -> frozenset[str]:
    """Index terms of what the passage says it is about: its heading and bold label."""
    return frozenset(terms(f"{passage.heading} {passage.lead}", language))


# -- what a question asks for, and whether a passage gives it ---------------------------------

TIME, AMOUNT, PHONE, NUMBER = "time", "amount", "phone", "number"

_ASKS = {
    TIME: re.compile(
        r"\b(kada|kelint\w*|nuo kada|iki kada|iki kiek|kiek laiko|per kiek|darbo laik\w*|"
        r"valand\w*|dirba|dirbs|atidaryt\w*|uzdaryt\w*|terminas|when|what time|how long|"
        r"opening|hours|open|deadline|what day|which day)\b"
    ),
    AMOUNT: re.compile(
        r"\b(kiek\s+(kainuo\w*|kaina\w*|moket\w*|mokes\w*|eur\w*|pinig\w*|gaus\w*|gauna\w*|"
        r"ismok\w*|sudaro|bus)|kain\w*|mokestis|mokescio|dydis|dydziai|how much|price\w*|"
        r"cost\w*|fee|fees|rate|amount)\b"
    ),
    PHONE: re.compile(
        r"\b(telefon\w*|tel|numer\w*|skambint\w*|paskambint\w*|phone|number|call|helpline)\b"
    ),
    NUMBER: re.compile(r"\b(kiek|how many|how old|what age|nuo kiek|iki kiek|kelint\w*)\b"),
}
_GIVES = {
    TIME: re.compile(
        r"\d{1,2}[.:]\d{2}|\d\s*val\b|\b(19|20)\d\d\b|\b\d{1,2} d\b|"
        r"\b(pirmadien|antradien|treciadien|ketvirtadien|penktadien|sestadien|sekmadien|"
        r"darbo dien|monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|"
        r"fri|sat|sun|working day|sausi|vasari|kov|baland|geguz|birzel|liep|rugpjut|rugsej|"
        r"spal|lapkri|gruod|january|february|march|april|may|june|july|august|september|"
        r"october|november|december|mid)\w*|\b(per|within|iki|by|nuo|from)\s+\d"
    ),
    AMOUNT: re.compile(r"\d[\d\s.,]*\s*(eur|euro|litu|litas|proc|%|ct|mln|tukst)|€|\bnemokam"),
    PHONE: re.compile(r"(\+370|\(8 ?\d{3}\)|\b8 ?\d{3}\b)[\d\s]{5,}|\b1[0-8]\d\d\b|\b112\b"),
    NUMBER: re.compile(r"\d"),
}


def asked_kinds(question: str) -> frozenset[str]:
    """The kinds of fact a question asks for ("kada" a time, "kiek kainuoja" an amount)."""
    text = " ".join(words(question))
    kinds = {kind for kind, pattern in _ASKS.items() if pattern.search(text)}
    if kinds - {NUMBER}:
        kinds.discard(NUMBER)  # "kiek kainuoja" asks for an amount, not any number
    return frozenset(kinds)


def gives(passage_text: str, kinds: frozenset[str]) -> bool:
    """Whether the text gives one of the kinds of fact asked for (True when none was asked)."""
    if not kinds:
        return True
    text = fold(passage_text)
    return any(_GIVES[kind].search(text) for kind in kinds)
