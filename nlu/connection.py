"""How likely a text (a chat message, a prospect's notes) is about someone from Alytus.

`connection_score` collects evidence (an Alytus school, a district, "alytiškis", "grew up in
Alytus", a hometown field) and combines the weights as independent signals
(1 - Π(1 - w)), so two moderate signals beat one and nothing reaches 1. A bare mention of the
city ("važiuoju į Alytų rytoj") is weak evidence on its own: people travel there too.

Matching runs on folded words (nlu.text), so diacritics and case do not matter; schools and
demonyms match by word stem ("jotving" finds "Jotvingių", "jotvingiu"), districts and the city
by their generated Lithuanian case forms (nlu.lithuanian). The places are in
data/alytus_places.yml.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from nlu.lithuanian import word_forms
from nlu.text import fold, fold_with_offsets, word_spans, words

PLACES_FILE = Path(__file__).parent / "data" / "alytus_places.yml"
MAX_SUFFIX = 6  # letters a word may have after a stem ("gimnaz" -> "gimnazijoje")
CUE_BEFORE, CUE_AFTER = 3, 2  # words around "Alytus" where a cue verb counts

WEIGHTS = {
    "hometown": 0.8,
    "origin": 0.7,  # born, grew up, lived, studied in Alytus
    "demonym": 0.65,
    "school": 0.6,
    "resident": 0.5,  # lives or works in Alytus now
    "return": 0.5,  # coming back to Alytus
    "district": 0.35,
    "mention": 0.15,
}
GENERIC_SCHOOL_WEIGHT = 0.5  # "Alytaus 5-oji vidurinė mokykla": a school we do not list
FROM_WEIGHT = 0.45  # "iš Alytaus", "from Alytus": origin, or just where a trip starts

_CUE_WORDS = {
    "origin": """gimiau gimes gimusi gimusios gime gimeme gimem uzaugau uzaugome uzaugom
        uzauges uzaugusi augau augome augom kiles kilusi kile kilus kilusios gyvenau gyvenome
        gyvenom gyvenusi gyvenes mokiausi mokemes mokesi baigiau baigeme baigem born grew
        raised lived native hometown originally childhood""",
    "resident": "gyvenu gyvename gyvenam dirbu dirbame dirbam live lives living work works",
    "return": """grizti grizt grisiu grizau grizome grizom grizu grizta griztame griztu grizus
        sugrizti sugrizau sugrisiu sugriztu back return returning returned""",
}
_CUES = {kind: frozenset(cue_words.split()) for kind, cue_words in _CUE_WORDS.items()}
_MOTION = frozenset(
    """vaziuoju vaziuosiu vaziuojam vaziuojame vaziuoti keliauju keliausiu atvaziuoju
    atvaziuosiu atvyksiu atvykstu skrendu isvaziuoju trip visit visiting travelling traveling
    driving going heading""".split()
)
_SCHOOL_FILLER = frozenset(
    """m miesto r rajono savivaldybes visos visu visas visose kitos kitu kitas kitose
    geriausios geriausia naujos naujoji ir bei kurios kuri the all other""".split()
)


@dataclass(frozen=True)
class Evidence:
    """One reason to think of Alytus: its kind, what was found, and how much it counts."""

    kind: str
    value: str
    weight: float

    def __str__(self) -> str:
        return f"{self.kind}: {self.value}"


@dataclass(frozen=True)
class Connection:
    """A score from 0 (nothing ties the text to Alytus) to 1, and the evidence, strongest first."""

    score: float
    evidence: tuple[Evidence, ...]

    @property
    def reasons(self) -> list[str]:
        return [str(item) for item in self.evidence]


@dataclass(frozen=True)
class _Pattern:
    stems: tuple[str, ...]
    name: str


@dataclass(frozen=True)
class _Places:
    schools: tuple[_Pattern, ...]
    generic_school_words: tuple[tuple[str, ...], ...]
    districts: dict[tuple[str, ...], str]
    district_longest: int
    demonym_stems: tuple[str, ...]
    city_forms: frozenset[str]
    blocked: tuple[tuple[str, ...], ...]


def _stems(phrase: str) -> tuple[str, ...]:
    return tuple(words(fold(phrase)))


@cache
def _places() -> _Places:
    with PLACES_FILE.open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    kinds = {kind: [_stems(word) for word in stems] for kind, stems in data["school_words"].items()}
    schools = [
        _Pattern(_stems(key) + kind_words, school["name"])
        for school in data["schools"]
        for key in school["keys"]
        for kind_words in kinds[school["kind"]]
    ]
    districts: dict[tuple[str, ...], str] = {}
    for district in data["districts"]:
        parts = _stems(district["name"])
        if len(parts) == 1:
            districts.update({(form,): district["name"] for form in word_forms(parts[0])})
        for form in district.get("forms", []):
            districts[_stems(form)] = district["name"]
    return _Places(
        schools=tuple(sorted(schools, key=lambda pattern: -len(pattern.stems))),
        generic_school_words=tuple(_stems(word) for word in data["generic_school_words"]),
        districts=districts,
        district_longest=max(len(key) for key in districts),
        demonym_stems=tuple(_stems(stem)[0] for stem in data["demonym_stems"]),
        city_forms=frozenset(word_forms(fold(data["city"]))),
        blocked=tuple(_stems(phrase) for phrase in data["blocked"]),
    )


def _stem_of(word: str, stem: str) -> bool:
    return word.startswith(stem) and len(word) - len(stem) <= MAX_SUFFIX


def _stems_at(folded_words: list[str], position: int, stems: tuple[str, ...]) -> bool:
    if position + len(stems) > len(folded_words):
        return False
    return all(_stem_of(folded_words[position + offset], stem) for offset, stem in enumerate(stems))


class _Reader:
    """One text's folded words, which of them are used up, and the evidence found."""

    def __init__(self, text: str) -> None:
        folded, self.origin = fold_with_offsets(text)
        self.text = text
        self.spans = word_spans(folded)
        self.words = [word for word, _, _ in self.spans]
        self.used = [False] * len(self.words)
        self.found: list[tuple[int, Evidence]] = []

    def typed(self, first: int, last: int) -> str:
        """The words first..last as the person typed them."""
        start = self.origin[self.spans[first][1]]
        end = self.origin[self.spans[last][2] - 1] + 1
        return self.text[start:end]

    def free(self, first: int, count: int) -> bool:
        return not any(self.used[first : first + count])

    def take(self, first: int, count: int, evidence: Evidence) -> None:
        for index in range(first, first + count):
            self.used[index] = True
        self.found.append((first, evidence))


def _block(reader: _Reader, places: _Places) -> None:
    for position in range(len(reader.words)):
        for phrase in places.blocked:
            if _stems_at(reader.words, position, phrase):
                for index in range(position, position + len(phrase)):
                    reader.used[index] = True


def _schools(reader: _Reader, places: _Places) -> None:
    for position in range(len(reader.words)):
        for pattern in places.schools:
            count = len(pattern.stems)
            if reader.free(position, count) and _stems_at(reader.words, position, pattern.stems):
                reader.take(position, count, Evidence("school", pattern.name, WEIGHTS["school"]))
                break
    for position, word in enumerate(reader.words):
        if word != "alytaus" or reader.used[position]:
            continue
        for between in range(1, 4):
            name = reader.words[position + 1 : position + 1 + between]
            if len(name) < between or any(part in _SCHOOL_FILLER for part in name):
                break
            after = position + 1 + between
            kind = next(
                (s for s in places.generic_school_words if _stems_at(reader.words, after, s)),
                None,
            )
            if kind and reader.free(position, between + 1 + len(kind)):
                last = after + len(kind) - 1
                value = reader.typed(position, last)
                reader.take(
                    position, last - position + 1, Evidence("school", value, GENERIC_SCHOOL_WEIGHT)
                )
                break


def _districts(reader: _Reader, places: _Places) -> None:
    for position in range(len(reader.words)):
        for length in range(places.district_longest, 0, -1):
            key = tuple(reader.words[position : position + length])
            name = places.districts.get(key) if len(key) == length else None
            if name and reader.free(position, length):
                reader.take(position, length, Evidence("district", name, WEIGHTS["district"]))
                break


def _demonyms(reader: _Reader, places: _Places) -> None:
    for position, word in enumerate(reader.words):
        if reader.used[position]:
            continue
        if any(_stem_of(word, stem) for stem in places.demonym_stems):
            value = reader.typed(position, position)
            reader.take(position, 1, Evidence("demonym", value, WEIGHTS["demonym"]))


def _city_phrases(reader: _Reader, places: _Places) -> None:
    """ "Alytuje gyvenau", "grew up in Alytus", "grįžti į Alytų", "iš Alytaus", or a mention."""
    for position, word in enumerate(reader.words):
        if word not in places.city_forms or reader.used[position]:
            continue
        first = max(0, position - CUE_BEFORE)
        window = range(first, min(len(reader.words), position + CUE_AFTER + 1))
        best: tuple[float, str, int] | None = None
        for index in window:
            for kind in ("origin", "return", "resident"):
                if reader.words[index] in _CUES[kind] and (best is None or WEIGHTS[kind] > best[0]):
                    best = (WEIGHTS[kind], kind, index)
        moving = any(reader.words[index] in _MOTION for index in window)
        before = reader.words[position - 1] if position else ""
        if best is None and before in ("is", "from") and not moving:
            best = (FROM_WEIGHT, "origin", position - 1)
        if best is None:
            value = reader.typed(position, position)
            reader.take(position, 1, Evidence("mention", value, WEIGHTS["mention"]))
            continue
        weight, kind, cue = best
        low, high = min(cue, position), max(cue, position)
        reader.take(position, 1, Evidence(kind, reader.typed(low, high), weight))


def _fields(fields: Mapping[str, str], places: _Places) -> tuple[list[Evidence], str]:
    """Evidence from the hometown field, and the rest of the fields as more text to read."""
    found: list[Evidence] = []
    hometown = (fields.get("hometown") or "").strip()
    if hometown:
        hometown_words = words(fold(hometown))
        alytus = any(word in places.city_forms for word in hometown_words)
        district = any((word,) in places.districts for word in hometown_words)
        if alytus or district:
            found.append(Evidence("hometown", hometown, WEIGHTS["hometown"]))
    school = (fields.get("school") or "").strip()
    if school:
        reader = _Reader(school)
        _schools(reader, places)
        if reader.found:
            found.extend(evidence for _, evidence in reader.found)
        elif any(word in places.city_forms for word in reader.words):
            found.append(Evidence("school", school, GENERIC_SCHOOL_WEIGHT))
    rest = [str(value) for key, value in fields.items() if key not in ("hometown", "school")]
    return found, "\n".join(rest)


def connection_score(text: str, fields: Mapping[str, str] | None = None) -> Connection:
    """Score `text` (and optional fields such as hometown and school) for a tie to Alytus."""
    places = _places()
    evidence, more = _fields(fields or {}, places)
    reader = _Reader("\n".join(part for part in (text, more) if part))
    _block(reader, places)
    for step in (_schools, _districts, _demonyms, _city_phrases):
        step(reader, places)
    evidence += [item for _, item in sorted(reader.found, key=lambda found: found[0])]
    kept: dict[tuple[str, str], Evidence] = {}
    for item in evidence:
        # one school or district counts once each; the other kinds count once in all
        key = (item.kind, fold(item.value) if item.kind in ("school", "district") else "")
        if key not in kept or item.weight > kept[key].weight:
            kept[key] = item
    remaining = 1.0
    for item in kept.values():
        remaining *= 1.0 - item.weight
    ordered = sorted(kept.values(), key=lambda item: -item.weight)
    return Connection(score=round(1.0 - remaining, 3), evidence=tuple(ordered))


def names_alytus(text: str) -> bool:
    """The city or one of its districts is named ("gyvenu Alytuje", "Dainavoje", "in Alytus")."""
    places = _places()
    folded_words = words(fold(text))
    if any(word in places.city_forms for word in folded_words):
        return True
    for length in range(places.district_longest, 0, -1):
        for start in range(len(folded_words) - length + 1):
            if tuple(folded_words[start : start + length]) in places.districts:
                return True
    return False
