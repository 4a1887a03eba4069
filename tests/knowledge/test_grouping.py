"""Grouping alike unanswered questions: the same topic in other words, endings or typos joins
one group; another topic does not; the grouping is the same whatever the order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from knowledge.grouping import alike, group_questions, topic_terms

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@dataclass
class Asked:
    id: int
    question: str
    language: str = "lt"
    platform: str = "web"
    asked_at: datetime = START


def asked(*questions: str | tuple[str, str]) -> list[Asked]:
    rows = []
    for number, item in enumerate(questions, start=1):
        text, language = item if isinstance(item, tuple) else (item, "lt")
        rows.append(Asked(number, text, language, asked_at=START + timedelta(minutes=number)))
    return rows


def texts(groups) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return [sorted(q.question for q in group.questions) for group in groups]


def test_the_same_kindergarten_question_in_other_words_groups_and_rubbish_does_not():
    groups = group_questions(
        asked("kaip gauti vieta darzelyje", "darzelio vieta kaip gauti?", "kada isveza siukles")
    )
    assert texts(groups) == [
        ["darzelio vieta kaip gauti?", "kaip gauti vieta darzelyje"],
        ["kada isveza siukles"],
    ]
    kindergarten = groups[0]
    assert kindergarten.count == 2 and kindergarten.key == "q1"
    assert kindergarten.shared_words == ["darzel", "viet"]


def test_diacritics_endings_and_a_typo_do_not_split_a_group():
    groups = group_questions(
        asked(
            "Kaip gauti vietą darželyje?",
            "noriu vietos darzely",
            "kaip gaut vieta darzelie",  # a typo in the ending
            "kiek kainuoja baseinas",
        )
    )
    assert [group.count for group in groups] == [3, 1]


def test_questions_about_different_things_in_the_same_words_stay_apart():
    one = topic_terms("kada isveza siukles is daugiabucio", "lt")
    other = topic_terms("kada dirba poliklinika", "lt")
    assert not alike(one, other)
    assert topic_terms("Kaip gauti vietą darželyje Alytuje?", "lt") == {"viet", "darzel"}


def test_english_questions_group_by_english_stems():
    groups = group_questions(
        asked(
            ("Where can I buy a fishing permit?", "en"),
            ("fishing permits for lake Daugai", "en"),
            ("When is garbage collected?", "en"),
        )
    )
    assert [group.count for group in groups] == [2, 1]
    assert groups[0].languages == ["en"] and groups[0].shared_words == ["fish", "permit"]


def test_the_grouping_does_not_depend_on_the_order_rows_arrive_in():
    rows = asked(
        "kaip gauti vieta darzelyje",
        "kada isveza siukles",
        "darzelio vieta kaip gauti?",
        "siuksliu isvezimo grafikas",
        "kur deklaruoti gyvenamaja vieta",
    )
    forward = group_questions(rows)
    backward = group_questions(list(reversed(rows)))
    assert texts(forward) == texts(backward)
    assert texts(forward) == [
        ["kada isveza siukles", "siuksliu isvezimo grafikas"],  # the pair asked last
        ["darzelio vieta kaip gauti?", "kaip gauti vieta darzelyje"],
        ["kur deklaruoti gyvenamaja vieta"],
    ]
    assert [group.key for group in forward] == [group.key for group in backward]
    first, last = forward[0].first_asked, forward[0].last_asked
    assert first < last
