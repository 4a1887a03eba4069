"""Reading Rasa-format training data: what a staff member editing the YAML would run into."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from nlu.training_data import (
    EntitySpan,
    TrainingDataError,
    fingerprint,
    load_training_data,
    parse_annotated,
)

RASA_FILE = """\
version: "3.1"
nlu:
- intent: inform
  examples: |
    - gyvenu [Norvegijoje](country)
    - mano miestas [Osle]{"entity": "city", "value": "Oslo"}
    - domiuosi [krepsiniu](interest:sports)
- intent: greet
  examples:
    - text: labas
    - sveiki
- synonym: sports
  examples: |
    - krepsinis
    - Sportas
- lookup: interest
  examples: |
    - muzika
- regex: zip
  examples: |
    - \\bLT-\\d{5}\\b
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_intents_entities_synonyms_lookups_and_regexes(tmp_path: Path) -> None:
    data = load_training_data([write(tmp_path, "nlu.yml", RASA_FILE)])
    assert [(e.intent, e.text) for e in data.examples] == [
        ("inform", "gyvenu Norvegijoje"),
        ("inform", "mano miestas Osle"),
        ("inform", "domiuosi krepsiniu"),
        ("greet", "labas"),
        ("greet", "sveiki"),
    ]
    assert data.examples[1].entities == (EntitySpan("city", "Oslo", 13, 17),)
    assert data.examples[2].entities == (EntitySpan("interest", "sports", 9, 18),)
    assert data.synonyms == {"krepsinis": "sports", "sportas": "sports"}
    assert data.lookups == {"interest": ["muzika"]}
    assert data.regexes == {"zip": [r"\bLT-\d{5}\b"]}
    assert data.examples[0].source.endswith("nlu.yml:5")


def test_annotation_offsets_point_into_the_plain_text() -> None:
    plain, entities = parse_annotated("esu is [Airijos](country), [Korke](city)")
    assert plain == "esu is Airijos, Korke"
    assert [plain[e.start : e.end] for e in entities] == ["Airijos", "Korke"]


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.yml", 'version: "3.1"\nnlu:\n- intent: greet\n  examples: [\n')
    with pytest.raises(TrainingDataError) as raised:
        load_training_data([path])
    assert "broken.yml:" in str(raised.value)
    assert str(raised.value).split("broken.yml:")[1].split(":")[0].isdigit()


def test_block_without_examples_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "nlu.yml", 'version: "3.1"\nnlu:\n- intent: greet\n- intent: bye\n')
    with pytest.raises(TrainingDataError, match=r"nlu\.yml:3: block without 'examples'"):
        load_training_data([path])


def test_same_example_under_two_intents_is_a_warning_listing_both(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = (
        'version: "3.1"\nnlu:\n- intent: affirm\n  examples: |\n    - Taip\n'
        "- intent: deny\n  examples: |\n    - taip\n"
    )
    with caplog.at_level(logging.WARNING):
        data = load_training_data([write(tmp_path, "nlu.yml", text)])
    assert len(data.warnings) == 1
    assert "affirm" in data.warnings[0] and "deny" in data.warnings[0]
    assert "nlu.yml:5" in data.warnings[0] and "nlu.yml:8" in data.warnings[0]
    assert data.warnings[0] in caplog.text


def test_our_own_data_is_clean_and_big_enough() -> None:
    root = Path(__file__).resolve().parents[2] / "nlu" / "data"
    for language in ("lt", "en"):
        data = load_training_data([root / language])
        assert data.warnings == []
        counts: dict[str, int] = {}
        for example in data.examples:
            counts[example.intent] = counts.get(example.intent, 0) + 1
        assert min(counts.values()) >= 40, (language, counts)
        assert {"affirm", "deny", "my_points", "invite_friend", "out_of_scope"} <= set(counts)


def test_fingerprint_changes_only_with_the_data(tmp_path: Path) -> None:
    path = write(tmp_path, "nlu.yml", RASA_FILE)
    before = fingerprint([tmp_path])
    assert fingerprint([tmp_path]) == before
    path.write_text(RASA_FILE + "    - dar vienas\n", encoding="utf-8")
    assert fingerprint([tmp_path]) != before


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(TrainingDataError, match="no such file"):
        load_training_data([tmp_path / "nope.yml"])
