"""`alytus nlu ...` as staff and benchmarks use it (driven through typer's test runner)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nlu.cli import build_cli
from nlu.parser import Parser

LABELLED = """\
version: "3.1"
nlu:
- intent: my_points
  examples: |
    - kiek as turiu tasku
    - how many points have i got now
    - mano taskai dabar
- intent: affirm
  examples: |
    - taip
    - yes
    - jo
- intent: out_of_scope
  examples: |
    - papasakok anekdota apie katinus
    - what's the weather on mars
    - qqqqqq zzzzzz
"""


@pytest.fixture
def cli(parser: Parser, model_dir: Path) -> object:
    """The command group, its default model folder already holding the session's model."""
    return build_cli(lambda: model_dir)


@pytest.fixture
def labelled(tmp_path: Path) -> Path:
    path = tmp_path / "labelled.yml"
    path.write_text(LABELLED, encoding="utf-8")
    return path


runner = CliRunner()


def test_parse_prints_rasa_json(cli: object) -> None:
    result = runner.invoke(cli, ["parse", "esu is norvegijos", "--json"])  # type: ignore[arg-type]
    assert result.exit_code == 0, result.output
    parsed = json.loads(result.stdout)
    assert parsed["intent"]["name"] == "inform"
    assert ("country", "NO") in {(e["entity"], e["value"]) for e in parsed["entities"]}


def test_parse_prints_a_readable_summary(cli: object) -> None:
    result = runner.invoke(cli, ["parse", "kiek turiu tasku"])  # type: ignore[arg-type]
    assert result.exit_code == 0
    assert "my_points" in result.stdout


def test_test_reports_fractions_in_json(cli: object, labelled: Path, model_dir: Path) -> None:
    result = runner.invoke(  # type: ignore[arg-type]
        cli, ["test", "--data", str(labelled), "--model", str(model_dir), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {"in_scope_accuracy", "oos_recall", "macro_f1", "per_intent", "confused"} <= set(report)
    assert 0.0 <= report["in_scope_accuracy"] <= 1.0
    assert report["in_scope_accuracy"] >= 0.8
    assert report["oos_recall"] >= 0.6
    assert report["examples"] == 9


def test_test_prints_a_report(cli: object, labelled: Path) -> None:
    result = runner.invoke(cli, ["test", "--data", str(labelled)])  # type: ignore[arg-type]
    assert result.exit_code == 0, result.output
    assert "in-scope accuracy" in result.stdout and "out-of-scope recall" in result.stdout


def test_train_reuses_the_cached_model(cli: object, model_dir: Path) -> None:
    result = runner.invoke(cli, ["train"])  # type: ignore[arg-type]
    assert result.exit_code == 0, result.output
    assert Path(result.stdout.strip()).parent == model_dir


def test_train_on_broken_yaml_names_file_and_line(cli: object, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text('nlu:\n- intent: greet\n  examples: "unclosed\n', encoding="utf-8")
    result = runner.invoke(  # type: ignore[arg-type]
        cli, ["train", "--data", str(broken), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert "broken.yml:" in result.stderr


def test_export_rasa_writes_a_project(cli: object, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["export-rasa", str(tmp_path / "rasa")])  # type: ignore[arg-type]
    assert result.exit_code == 0, result.output
    assert (tmp_path / "rasa" / "data" / "nlu.yml").exists()
    assert (tmp_path / "rasa" / "config.yml").exists()


def test_cross_validate_reports_per_language(cli: object) -> None:
    result = runner.invoke(cli, ["cross-validate", "--folds", "2", "--json"])  # type: ignore[arg-type]
    assert result.exit_code == 0, result.output
    reports = json.loads(result.stdout)
    assert {"all", "lt", "en"} <= set(reports)
    assert reports["lt"]["macro_f1"] > 0.6
