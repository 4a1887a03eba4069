"""`alytus nlu export-rasa` writes a Rasa project from the same training data."""

from __future__ import annotations

from pathlib import Path

import yaml

from nlu.parser import DEFAULT_DATA_PATHS
from nlu.rasa_export import export_rasa_project
from nlu.training_data import load_training_data


def test_export_round_trips_through_our_reader(tmp_path: Path) -> None:
    data = load_training_data(list(DEFAULT_DATA_PATHS))
    written = export_rasa_project(data, tmp_path)
    assert sorted(path.relative_to(tmp_path).as_posix() for path in written) == [
        "config.yml",
        "data/nlu.yml",
        "domain.yml",
    ]
    again = load_training_data([tmp_path / "data" / "nlu.yml"])
    assert {(e.text, e.intent, e.entities) for e in again.examples} == {
        (e.text, e.intent, e.entities) for e in data.examples
    }
    assert again.synonyms == data.synonyms
    assert again.regexes.keys() == data.regexes.keys()


def test_config_and_domain_are_what_rasa_expects(tmp_path: Path) -> None:
    data = load_training_data(list(DEFAULT_DATA_PATHS))
    export_rasa_project(data, tmp_path)
    config = yaml.safe_load((tmp_path / "config.yml").read_text(encoding="utf-8"))
    names = [step["name"] for step in config["pipeline"]]
    assert "DIETClassifier" in names and "RegexEntityExtractor" in names
    domain = yaml.safe_load((tmp_path / "domain.yml").read_text(encoding="utf-8"))
    assert domain["version"] == "3.1"
    assert set(domain["intents"]) == set(data.intents)
    assert {"country", "city", "interest", "date"} <= set(domain["entities"])
    nlu = yaml.safe_load((tmp_path / "data" / "nlu.yml").read_text(encoding="utf-8"))
    assert nlu["version"] == "3.1"
