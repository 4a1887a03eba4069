"""The Alytus connection score: what ties a message or a prospect to Alytus, with evidence."""

from __future__ import annotations

import pytest

from nlu.connection import connection_score


def test_a_former_pupil_scores_higher_than_a_trip_to_alytus():
    pupil = connection_score("esu alytiškis, baigiau Jotvingių gimnaziją")
    trip = connection_score("važiuoju į Alytų rytoj")
    assert pupil.reasons == ["demonym: alytiškis", "school: Jotvingių gimnazija"]
    assert trip.reasons == ["mention: Alytų"]
    assert pupil.score > 0.8 > 0.2 > trip.score > 0


def test_typed_without_diacritics_and_in_other_cases_it_finds_the_same():
    folded = connection_score("esu alytiskis, baigiau jotvingiu gimnazija, gyvenau vidzgiri")
    assert folded.reasons == [
        "demonym: alytiskis",
        "school: Jotvingių gimnazija",
        "district: Vidzgiris",
    ]
    plural = connection_score("mes, ALYTIŠKIAI Londone, renkamės šeštadienį")
    assert plural.reasons == ["demonym: ALYTIŠKIAI"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Alytuje gyvenau iki 2010", "origin: Alytuje gyvenau"),
        ("I grew up in Alytus", "origin: grew up in Alytus"),
        ("esu kilusi iš Alytaus", "origin: kilusi iš Alytaus"),
        ("I'm from Alytus", "origin: from Alytus"),
        ("norėčiau grįžti į Alytų", "return: grįžti į Alytų"),
        ("mokiausi Putinu gimnazijoje", "school: Putinų gimnazija"),
        ("Vanago gimnazijos abiturientai", "school: Adolfo Ramanausko-Vanago gimnazija"),
        ("baigiau Alytaus 5-ąją vidurinę mokyklą", "school: Alytaus 5-ąją vidurinę mokyklą"),
        ("vaikystė Dainavoje", "district: Dainava"),
        ("augau Likiškėliuose", "district: Likiškėliai"),
    ],
)
def test_each_kind_of_evidence_is_named_in_a_few_words(text: str, reason: str):
    assert connection_score(text).reasons == [reason]


def test_stronger_evidence_comes_first_and_a_second_signal_raises_the_score():
    one = connection_score("gyvenau Dainavoje")
    two = connection_score("Alytuje gyvenau, Dainavoje, mokiausi Putinų gimnazijoje")
    assert two.reasons == [
        "origin: Alytuje gyvenau",
        "school: Putinų gimnazija",
        "district: Dainava",
    ]
    assert two.score > one.score
    assert 0 < one.score < two.score < 1


def test_a_hometown_field_counts_and_other_places_do_not():
    assert connection_score("", {"hometown": "Alytus"}).reasons == ["hometown: Alytus"]
    assert connection_score("", {"hometown": "Kaunas"}).score == 0
    with_school = connection_score("", {"school": "Alytaus 3-ioji vidurinė"})
    assert with_school.reasons == ["school: Alytaus 3-ioji vidurinė"]


@pytest.mark.parametrize(
    "text",
    [
        "kaip užregistruoti vaiką Ugdau alytiškį sistemoje",  # the kindergarten system's name
        "Putinas vėl kalbėjo per televiziją",  # not the Putinai district
        "kur gauti darbo Vilniuje",
        "",
    ],
)
def test_texts_that_are_not_about_alytus_people_score_zero(text: str):
    assert connection_score(text).score == 0
    assert connection_score(text).evidence == ()


def test_a_trip_from_alytus_is_a_mention_not_an_origin():
    assert connection_score("važiuoju iš Alytaus į Vilnių").reasons == ["mention: Alytaus"]
