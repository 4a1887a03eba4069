"""Entities in a message: places (country, city), then regexes and lookup tables from the
training data, as Rasa's RegexEntityExtractor does, with synonyms mapped to canonical values.

Lookups are matched on folded text, so "sportas", "Sportą" and "SPORTAS" are one value. Values
annotated in training examples ("[krepsinis](interest)") join their entity's lookup table: the
cheap "learned" part that pays off on the small, repetitive vocabularies members use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypedDict

from nlu.places import find_places
from nlu.text import fold, fold_with_offsets
from nlu.training_data import EntitySpan, TrainingData

MIN_LOOKUP_CHARS = 2


class Entity(TypedDict):
    """One entity in Rasa's parse-result shape."""

    entity: str
    value: str
    start: int
    end: int
    extractor: str


@dataclass
class EntityExtractor:
    """Compiled regexes and lookup tables; picklable and safe to share between threads."""

    regexes: dict[str, list[re.Pattern[str]]]
    lookups: dict[str, re.Pattern[str]]
    synonyms: dict[str, str]

    @classmethod
    def from_training_data(cls, data: TrainingData) -> EntityExtractor:
        values: dict[str, set[str]] = {}
        for name, entries in data.lookups.items():
            values.setdefault(name, set()).update(fold(entry) for entry in entries)
        for example in data.examples:
            for span in example.entities:
                if span.entity not in ("country", "city"):  # places.py knows those better
                    values.setdefault(span.entity, set()).add(fold(span_text(example.text, span)))
        lookups = {}
        for name, folded_values in values.items():
            kept = sorted(
                (v for v in folded_values if len(v) >= MIN_LOOKUP_CHARS), key=len, reverse=True
            )
            if kept:
                alternation = "|".join(re.escape(value) for value in kept)
                lookups[name] = re.compile(rf"(?<![a-z0-9])(?:{alternation})(?![a-z0-9])")
        regexes = {
            name: [re.compile(pattern, re.IGNORECASE) for pattern in patterns]
            for name, patterns in data.regexes.items()
        }
        return cls(regexes=regexes, lookups=lookups, synonyms=dict(data.synonyms))

    def _value(self, typed: str) -> str:
        return self.synonyms.get(fold(typed), typed)

    def extract(self, text: str) -> list[Entity]:
        """Entities left to right; a span claimed by an earlier extractor is not reused."""
        found: list[Entity] = [
            Entity(
                entity=m.kind,
                value=m.value,
                start=m.start,
                end=m.end,
                extractor="PlaceEntityExtractor",
            )
            for m in find_places(text)
        ]
        taken = [(entity["start"], entity["end"]) for entity in found]

        def free(start: int, end: int) -> bool:
            return all(end <= s or start >= e for s, e in taken)

        for name, patterns in self.regexes.items():
            for pattern in patterns:
                for match in pattern.finditer(text):
                    if match.end() > match.start() and free(match.start(), match.end()):
                        found.append(
                            Entity(
                                entity=name,
                                value=self._value(match.group()),
                                start=match.start(),
                                end=match.end(),
                                extractor="RegexEntityExtractor",
                            )
                        )
                        taken.append((match.start(), match.end()))
        if self.lookups:
            folded, origin = fold_with_offsets(text)
            for name, pattern in self.lookups.items():
                for match in pattern.finditer(folded):
                    start, end = origin[match.start()], origin[match.end() - 1] + 1
                    if free(start, end):
                        found.append(
                            Entity(
                                entity=name,
                                value=self._value(text[start:end]),
                                start=start,
                                end=end,
                                extractor="RegexEntityExtractor",
                            )
                        )
                        taken.append((start, end))
        return sorted(found, key=lambda entity: entity["start"])


def span_text(text: str, span: EntitySpan) -> str:
    """The annotated words of an example."""
    return text[span.start : span.end]
