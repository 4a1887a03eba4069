"""Members answer "where do you live?" in free text; parse_place must find country and city."""

from __future__ import annotations

import pytest

from nlu.places import Place, find_places, parse_place
from nlu.text import fold


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("Ąžuolas ČIŽAS", "azuolas cizas"),
        ("  ėjo   į  šūvį ", "ejo i suvi"),
        ("Ūkis\tžąsų\nlizdas", "ukis zasu lizdas"),
        ("", ""),
    ],
)
def test_fold_strips_case_diacritics_and_spaces(typed: str, folded: str) -> None:
    assert fold(typed) == folded


@pytest.mark.parametrize(
    ("typed", "country"),
    [
        ("Norvegijoje", "NO"),
        ("norvegija", "NO"),
        ("is Norvegijos", "NO"),
        ("iš Norvegijos", "NO"),
        ("i Norvegija", "NO"),
        ("į Norvegiją", "NO"),
        ("Norway", "NO"),
        ("UK", "GB"),
        ("Anglija", "GB"),
        ("Anglijoje", "GB"),
        ("anglijoj", "GB"),
        ("Didžiojoje Britanijoje", "GB"),
        ("didziojoj britanijoj", "GB"),
        ("gyvenu Jungtinėje Karalystėje", "GB"),
        ("Škotija", "GB"),
        ("Šiaurės Airijoje", "GB"),
        ("Airijoje", "IE"),
        ("i live in Ireland", "IE"),
        ("JAV", "US"),
        ("USA", "US"),
        ("Amerika", "US"),
        ("Amerikoj", "US"),
        ("in the US", "US"),
        ("Jungtinėse Amerikos Valstijose", "US"),
        ("Olandija", "NL"),
        ("Olandijoje", "NL"),
        ("Nyderlanduose", "NL"),
        ("Vokietijoj", "DE"),
        ("Germany", "DE"),
        ("Švedijoje", "SE"),
        ("Danijoj", "DK"),
        ("Ispanijoje", "ES"),
        ("Kanadoje", "CA"),
        ("Naujojoje Zelandijoje", "NZ"),
        ("Islandijoje", "IS"),
        ("Lietuvoje", "LT"),
        ("Izraelyje", "IL"),
        ("Čilėje", "CL"),
    ],
)
def test_country_in_any_case_form_and_language(typed: str, country: str) -> None:
    assert parse_place(typed).country == country


@pytest.mark.parametrize(
    ("typed", "place"),
    [
        ("gyvenu Londone", Place("GB", "London")),
        ("Londonas", Place("GB", "London")),
        ("Osle", Place("NO", "Oslo")),
        ("Dubline", Place("IE", "Dublin")),
        ("esu is norvegijos, Bergene", Place("NO", "Bergen")),
        ("Lietuvoje, Alytuje", Place("LT", "Alytus")),
        ("Vilniuj", Place("LT", "Vilnius")),
        ("Klaipedoj", Place("LT", "Klaipėda")),
        ("Druskininkuose", Place("LT", "Druskininkai")),
        ("Norvegija, Stavangeris", Place("NO", "Stavanger")),
        ("Norvegija, Skien", Place("NO", "Skien")),
        ("Airija - Ennis", Place("IE", "Ennis")),
        ("i live in Ireland, Cork", Place("IE", "Cork")),
        ("Chicago", Place("US", "Chicago")),
        ("Čikagoje", Place("US", "Chicago")),
        ("esu iš Alytaus, gyvenu Norvegijoje", Place("NO", None)),
    ],
)
def test_city_and_the_country_it_implies(typed: str, place: Place) -> None:
    assert parse_place(typed) == place


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "ne",
        "taip",
        "labas",
        "jo",
        "gana gerai",
        "kiek turiu tasku",
        "noriu pakviesti drauga",
        "tell us more",
        "that is nice",
        "nesakysiu",
        "ok",
    ],
)
def test_everyday_words_are_no_place(typed: str) -> None:
    assert parse_place(typed) == Place(None, None)


def test_no_city_guessed_from_words_after_the_country() -> None:
    assert parse_place("Norvegijoje jau 5 metus") == Place("NO", None)
    assert parse_place("taip, Norvegijoje") == Place("NO", None)


def test_mentions_point_at_what_was_typed() -> None:
    text = "Esu iš Norvegijos, gyvenu Bergene"
    mentions = find_places(text)
    assert [(m.kind, m.value, text[m.start : m.end]) for m in mentions] == [
        ("country", "NO", "Norvegijos"),
        ("city", "Bergen", "Bergene"),
    ]
