"""`alytus nlu ...`: train, test, cross-validate, parse, export-rasa. Progress goes to stderr,
results to stdout, so `--json` output can be piped.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from nlu.embeddings import QueryEmbedder
from nlu.evaluation import Report, cross_validate, predict_examples, report
from nlu.model import NluModel
from nlu.parser import DEFAULT_DATA_PATHS, Parser, load_or_train, model_path
from nlu.rasa_export import export_rasa_project
from nlu.rasa_http import RasaClient
from nlu.training_data import TrainingData, TrainingDataError, load_training_data

DataOption = Annotated[
    list[Path] | None,
    typer.Option("--data", help="Rasa NLU file or folder (repeatable); default: our own data"),
]
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON")]


def _echo_json(value: object) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2))


def _newest_model(directory: Path) -> Path | None:
    models = sorted(directory.glob("nlu-*.joblib"), key=lambda path: path.stat().st_mtime)
    return models[-1] if models else None


def _load_model(model: Path | None, default_dir: Path) -> NluModel:
    """Our own data's model by default (retrained if the data changed); or a model file; or the
    newest model in a folder (what `train --out` left there)."""
    if model is None:
        return load_or_train(cache_dir=default_dir)
    if model.is_file():
        return NluModel.load(model)
    newest = _newest_model(model) if model.is_dir() else None
    return NluModel.load(newest) if newest else load_or_train(cache_dir=model)


def _print_report(results: Report, title: str) -> None:
    oos = results["oos_recall"]
    typer.echo(f"{title}: {results['examples']} examples")
    typer.echo(f"  intent accuracy      {results['accuracy'] * 100:5.1f} %")
    typer.echo(f"  in-scope accuracy    {results['in_scope_accuracy'] * 100:5.1f} %")
    typer.echo(f"  out-of-scope recall  {'n/a' if oos is None else f'{oos * 100:5.1f} %'}")
    typer.echo(f"  macro F1             {results['macro_f1'] * 100:5.1f} %")
    typer.echo("  per intent (precision / recall / f1 / support):")
    for intent, score in sorted(results["per_intent"].items(), key=lambda item: item[1]["f1"]):
        typer.echo(
            f"    {intent:32} {score['precision']:.2f} {score['recall']:.2f} "
            f"{score['f1']:.2f} {score['support']:5d}"
        )
    if results["confused"]:
        typer.echo("  most confused (intent -> predicted: count):")
        for pair in results["confused"]:
            typer.echo(f"    {pair['intent']} -> {pair['predicted']}: {pair['count']}")


def _training(data: list[Path] | None) -> TrainingData:
    """The training data (ours by default); a bad file ends the command with its line."""
    try:
        return load_training_data(data or list(DEFAULT_DATA_PATHS))
    except TrainingDataError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error


def build_cli(default_model_dir: Callable[[], Path]) -> typer.Typer:
    """The `nlu` command group; `default_model_dir` is asked lazily (settings may not exist)."""
    app = typer.Typer(
        help="Understand members' messages: train, test and run the NLU model.",
        no_args_is_help=True,
    )

    @app.callback()
    def _logging() -> None:
        if not logging.getLogger().handlers:
            logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")

    @app.command()
    def train(
        data: DataOption = None,
        out: Annotated[Path | None, typer.Option("--out", help="model folder")] = None,
    ) -> None:
        """Train a model from Rasa NLU files (reuses the cached one if the data is unchanged)."""
        directory = out or default_model_dir()
        paths = data or list(DEFAULT_DATA_PATHS)
        try:
            load_or_train(cache_dir=directory, data_paths=paths)
        except TrainingDataError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2) from error
        path = model_path(directory, paths)
        os.utime(path)  # the newest model is the one `test` and `parse` pick
        typer.echo(str(path))

    @app.command()
    def test(
        data: Annotated[list[Path], typer.Option("--data", help="labelled Rasa NLU file(s)")],
        model: Annotated[Path | None, typer.Option("--model", help="model file or folder")] = None,
        as_json: JsonOption = False,
    ) -> None:
        """Accuracy, macro F1, per-intent scores, confusions and out-of-scope recall."""
        try:
            examples = load_training_data(data).examples
            trained = _load_model(model, default_model_dir())
        except TrainingDataError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2) from error
        folder = model if model is not None and model.is_dir() else default_model_dir()
        embedder = QueryEmbedder(folder / "embeddings.npz")
        results = report(predict_examples(trained, embedder, examples))
        if as_json:
            _echo_json(results)
        else:
            _print_report(results, "test")

    @app.command("cross-validate")
    def cross_validate_command(
        data: DataOption = None,
        folds: Annotated[int, typer.Option("--folds", min=2)] = 5,
        as_json: JsonOption = False,
    ) -> None:
        """k-fold cross-validation, with macro F1 per language."""
        training = _training(data)
        embedder = QueryEmbedder(default_model_dir() / "embeddings.npz")
        reports = cross_validate(training, embedder, folds=folds)
        if as_json:
            _echo_json(reports)
            return
        for name, results in reports.items():
            _print_report(results, f"cross-validation ({name})")

    @app.command()
    def parse(
        text: str,
        language: Annotated[str | None, typer.Option("--language", help="lt or en")] = None,
        model: Annotated[Path | None, typer.Option("--model", help="model file or folder")] = None,
        rasa_url: Annotated[str | None, typer.Option(envvar="ALYTUS_RASA_URL")] = None,
        as_json: JsonOption = False,
    ) -> None:
        """Parse one message and show intent, entities and language."""
        parser = Parser(
            _load_model(model, default_model_dir()),
            QueryEmbedder(),
            RasaClient(rasa_url) if rasa_url else None,
        )
        result = parser.parse(text, language_hint=language)
        if as_json:
            _echo_json(result)
            return
        typer.echo(f"intent    {result['intent']['name']} ({result['intent']['confidence']:.2f})")
        typer.echo(f"language  {result['language']}")
        for entity in result["entities"]:
            typer.echo(
                f"entity    {entity['entity']} = {entity['value']} "
                f"({text[entity['start'] : entity['end']]!r}, {entity['extractor']})"
            )
        others = ", ".join(
            f"{item['name']} {item['confidence']:.2f}" for item in result["intent_ranking"][1:4]
        )
        typer.echo(f"next      {others}")

    @app.command("export-rasa")
    def export_rasa(
        directory: Annotated[Path, typer.Argument(help="folder for the Rasa project")],
        data: DataOption = None,
    ) -> None:
        """Write config.yml, domain.yml and data/nlu.yml that `rasa train nlu` accepts."""
        for path in export_rasa_project(_training(data), directory):
            typer.echo(str(path))

    return app
