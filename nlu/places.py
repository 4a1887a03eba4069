"""Where a member lives, from free text: "esu iš Norvegijos, Bergene" -> Place("NO", "Bergen").

Country names come from pycountry (English names and its Lithuanian gettext catalogue) plus the
colloquial names in `data/gazetteer/countries.yml`; cities from `data/gazetteer/cities.yml`.
Lithuanian case forms are generated from nominatives, and matching runs on folded words, so
"Norvegijoje", "norvegijoj" and "is Norvegijos" all find Norway.
"""

from __future__ import annotations

import gettext
import itertools
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import pycountry
import yaml

from nlu.lithuanian import word_forms
from nlu.text import fold, fold_with_offsets, word_spans, words

GAZETTEER_DIR = Path(__file__).parent / "data" / "gazetteer"
_MAX_NAME_WORDS = 5
_MAX_CITY_WORDS = 3
# Words around a place that are not part of an unknown city's name.
_FILLER = frozenset(
    """gyvenu gyvename esu esam esame is i in at from live living lives im am we dabar now
    mieste miestas miesta city town near netoli prie salia the a of ir and o bet dirbu work
    pas nuo to kaime village cia here mano my jau already metus years taip ne jo yes no ok
    gerai labas sveiki hi hello aciu thanks nezinau dont know nesakysiu""".split()
)
_SEGMENT_SPLIT = re.compile(r"[,;/()]|\s[-–]\s")

PlaceKind = Literal["country", "city"]


@dataclass(frozen=True)
class Place:
    """A member's place: ISO 3166-1 alpha-2 country (upper case) and a city name."""

    country: str | None
    city: str | None


@dataclass(frozen=True)
class PlaceMention:
    """One place named in a text, with offsets into the text as typed."""

    kind: PlaceKind
    value: str  # country code, or the city's canonical name
    country: str
    start: int
    end: int


@dataclass(frozen=True)
class _Target:
    kind: PlaceKind
    value: str
    country: str


def _load_yaml(name: str) -> dict[str, Any]:
    with (GAZETTEER_DIR / name).open(encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def _lt_keys(name: str) -> set[tuple[str, ...]]:
    """Every combination of case forms of a (possibly multi-word) Lithuanian name."""
    parts = words(fold(name))
    if not parts or len(parts) > _MAX_NAME_WORDS:
        return set()
    return set(itertools.product(*(sorted(word_forms(part)) for part in parts)))


def _en_key(name: str) -> tuple[str, ...]:
    return tuple(words(fold(name)))


def _lithuanian_catalogue() -> gettext.NullTranslations:
    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["lt"])
    except OSError:  # pragma: no cover - pycountry always ships it, but never crash on it
        return gettext.NullTranslations()


def _country_names() -> dict[str, tuple[set[str], set[str]]]:
    """Country code -> (Lithuanian nominatives, English names) from pycountry."""
    lithuanian = _lithuanian_catalogue()
    names: dict[str, tuple[set[str], set[str]]] = {}
    for country in pycountry.countries:
        english = {country.name}
        for attribute in ("common_name", "official_name"):
            if value := getattr(country, attribute, None):
                english.add(value)
        english.update(name.split(",")[0] for name in list(english) if "," in name)
        lt_name = lithuanian.gettext(country.name)
        lt_names = {lt_name} if lt_name != country.name else set()
        names[country.alpha_2] = (lt_names, english)
    return names


@dataclass(frozen=True)
class _Gazetteer:
    index: dict[tuple[str, ...], _Target]
    upper_only: frozenset[tuple[str, ...]]
    longest: int


@cache
def _gazetteer() -> _Gazetteer:
    """Build the folded-words -> place index once per process."""
    countries = _load_yaml("countries.yml")
    cities = _load_yaml("cities.yml").get("cities", [])
    blocked = {fold(form) for form in countries.get("blocked_forms", [])}
    index: dict[tuple[str, ...], _Target] = {}
    upper_only: set[tuple[str, ...]] = set()

    def add(keys: set[tuple[str, ...]], target: _Target) -> None:
        for key in keys:
            if not key or (len(key) == 1 and key[0] in blocked):
                continue
            existing = index.get(key)
            # a country wins over a city of the same name (Luxembourg, Singapore)
            if existing is None or (existing.kind == "city" and target.kind == "country"):
                index[key] = target

    for entry in cities:
        target = _Target("city", str(entry["name"]), str(entry["country"]).upper())
        for name in entry.get("lt", []):
            add(_lt_keys(name), target)
        english = [entry["name"], *entry.get("en", []), *entry.get("forms", [])]
        add({_en_key(name) for name in english}, target)

    aliases: dict[str, dict[str, list[str]]] = countries.get("aliases", {})
    for code, (lt_names, en_names) in _country_names().items():
        target = _Target("country", code, code)
        extra = aliases.get(code, {})
        for name in lt_names | set(extra.get("lt", [])):
            add(_lt_keys(name), target)
        add({_en_key(name) for name in en_names | set(extra.get("en", []))}, target)
        for name in extra.get("upper_only", []):
            key = _en_key(name)
            upper_only.add(key)
            index[key] = target
    longest = max((len(key) for key in index), default=1)
    return _Gazetteer(index=index, upper_only=frozenset(upper_only), longest=longest)


def find_places(text: str) -> list[PlaceMention]:
    """All countries and known cities named in `text`, longest names first, left to right."""
    folded, origin = fold_with_offsets(text)
    spans = word_spans(folded)
    gazetteer = _gazetteer()
    found: list[PlaceMention] = []
    position = 0
    while position < len(spans):
        for length in range(min(gazetteer.longest, len(spans) - position), 0, -1):
            window = spans[position : position + length]
            key = tuple(word for word, _, _ in window)
            target = gazetteer.index.get(key)
            if target is None:
                continue
            start, end = origin[window[0][1]], origin[window[-1][2] - 1] + 1
            if key in gazetteer.upper_only and not text[start:end].isupper():
                continue
            found.append(PlaceMention(target.kind, target.value, target.country, start, end))
            position += length
            break
        else:
            position += 1
    return found


def _typed_city_after(text: str, country_end: int) -> str | None:
    """A city we do not know, typed as its own segment after the country ("Norvegija, Skien"),
    or capitalised right after it ("Norvegijoje Skiene"); running words ("Lithuania if I
    move back") are no city."""
    for number, segment in enumerate(_SEGMENT_SPLIT.split(text[country_end:])):
        kept = [word for word in segment.split() if fold(word).strip(".!?") not in _FILLER]
        kept = [word.strip(".!?") for word in kept]
        if not kept:
            continue
        if number == 0 and not all(word[:1].isupper() for word in kept):
            return None
        if len(kept) <= _MAX_CITY_WORDS and all(
            re.fullmatch(r"[^\W\d_]+(?:-[^\W\d_]+)*", word) and len(word) > 1 for word in kept
        ):
            return " ".join(word[:1].upper() + word[1:].lower() for word in kept)
        return None
    return None


_NEAR = frozenset({"netoli", "salia", "prie", "near", "outside", "around"})


def _near(text: str, mention: PlaceMention) -> bool:
    """ "netoli Frankfurto", "near Oslo": the city is a landmark, not where one lives."""
    before = words(fold(text[: mention.start]))
    return bool(before) and before[-1] in _NEAR


def parse_place(text: str) -> Place:
    """Understand "where do you live" answers in Lithuanian or English, inflected or not.

    When both Lithuania (or Alytus) and a place abroad are named ("esu iš Alytaus, dabar
    gyvenu Norvegijoje", "never lived in Alytus, we live in Dublin"), the place abroad wins:
    the member left, or never lived there. A city named as "near" is only a landmark.
    """
    mentions = find_places(text)
    countries = [mention for mention in mentions if mention.kind == "country"]
    cities = [m for m in mentions if m.kind == "city" and not _near(text, m)]
    if not countries:
        if not cities:
            near = [m for m in mentions if m.kind == "city"]
            return Place(country=near[0].country, city=None) if near else Place(None, None)
        foreign = [mention for mention in cities if mention.country != "LT"]
        chosen = (foreign or cities)[0]
        return Place(country=chosen.country, city=chosen.value)
    abroad = [mention for mention in countries if mention.value != "LT"]
    foreign_city = next((mention for mention in cities if mention.country != "LT"), None)
    if not abroad and foreign_city is not None:  # "iš Lietuvos, dabar Osle"
        return Place(country=foreign_city.country, city=foreign_city.value)
    country = (abroad or countries)[0]
    city = next((mention.value for mention in cities if mention.country == country.value), None)
    if city is None and not [m for m in mentions if m.kind == "city"]:
        city = _typed_city_after(text, country.end)
    return Place(country=country.value, city=city)
