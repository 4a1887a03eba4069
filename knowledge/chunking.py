"""Split an article into chunks that respect its headings: a chunk never spans two sections,
a list stays with the line that introduces it, and every chunk knows its section heading.

Chunks are what the index holds and what an extractive answer quotes, so they are about a
paragraph long: big enough to carry a fact with its context, small enough to quote.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

MAX_CHARS = 700
MIN_CHARS = 0

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_BOLD_LEAD = re.compile(r"^\*\*(.+?)\*\*\s*$")
_EMPHASIS = re.compile(r"(\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*]))")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"„“(]?[A-ZĄČĘĖĮŠŲŪŽ0-9])")


@dataclass(frozen=True)
class Chunk:
    """A piece of one article: `text` is plain (no Markdown emphasis), `heading` its section."""

    article_id: str
    index: int
    heading: str
    text: str

    @property
    def id(self) -> str:
        return f"{self.article_id}#{self.index}"


def plain(markdown: str) -> str:
    """Markdown emphasis removed; list bullets and line breaks kept."""
    return _EMPHASIS.sub("", markdown).strip()


def split_units(text: str) -> list[str]:
    """Sentences and list items of a chunk, in order: what an answer is trimmed by."""
    units: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if LIST_ITEM.match(line):
            units.append(line)
        else:
            units.extend(part.strip() for part in SENTENCE_END.split(line) if part.strip())
    return units


def blocks(body: str) -> list[tuple[str, str]]:
    """(heading, block) pairs: blocks are paragraphs, a list joined to its lead line."""
    heading = ""
    found: list[tuple[str, str]] = []
    current: list[str] = []

    def close() -> None:
        if current:
            found.append((heading, "\n".join(current).strip()))
            current.clear()

    for line in body.splitlines():
        match = _HEADING.match(line)
        if match:
            close()
            heading = plain(match.group(2))
            continue
        if not line.strip():
            close()
            continue
        is_item = bool(LIST_ITEM.match(line))
        if is_item and not current and found and found[-1][0] == heading:
            lead = found[-1][1]
            lead_last = lead.splitlines()[-1]
            if lead.endswith(":") or _BOLD_LEAD.match(lead_last) or LIST_ITEM.match(lead_last):
                current.extend(found.pop()[1].splitlines())
        current.append(line.rstrip())
    close()
    return found


def _split_long(text: str) -> list[str]:
    """Cut a block longer than MAX_CHARS at sentence or list-item boundaries."""
    pieces: list[str] = []
    current = ""
    for unit in split_units(text):
        joiner = "\n" if LIST_ITEM.match(unit) or not current else " "
        if current and len(current) + len(unit) + 1 > MAX_CHARS:
            pieces.append(current)
            current = unit
        else:
            current = f"{current}{joiner}{unit}" if current else unit
    if current:
        pieces.append(current)
    return pieces


def chunk_article(article_id: str, title: str, body: str) -> list[Chunk]:
    """The chunks of one article, numbered from 0; an H1 equal to the title is dropped."""
    merged: list[tuple[str, str]] = []
    for heading, block in blocks(body):
        text = plain(block)
        if not text or text == plain(title):
            continue
        section = "" if heading == plain(title) else heading
        previous = merged[-1] if merged else None
        if (
            previous
            and previous[0] == section
            and (len(previous[1]) < MIN_CHARS or len(text) < MIN_CHARS)
            and len(previous[1]) + len(text) < MAX_CHARS
        ):
            merged[-1] = (section, f"{previous[1]}\n\n{text}")
        else:
            merged.append((section, text))
    chunks: list[Chunk] = []
    for section, text in merged:
        pieces = _split_long(text) if len(text) > MAX_CHARS else [text]
        lead = text.splitlines()[0] if len(pieces) > 1 else ""
        for number, piece in enumerate(pieces):
            heading = section
            if number and lead and not LIST_ITEM.match(lead):
                heading = f"{section}: {lead}" if section else lead.rstrip(":.")
            chunks.append(Chunk(article_id, len(chunks), heading, piece))
    return chunks


def content_hash(*parts: str) -> str:
    """A stable fingerprint of an article's indexed content (re-embed only what changed)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\x1f")
    return digest.hexdigest()
