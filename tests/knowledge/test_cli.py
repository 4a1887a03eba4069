"""`alytus kb ...` and `alytus ask` through Typer's runner, on a database of their own
(migrated as the top-level CLI would) and the demo articles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from admin.schema import SCHEMAS
from community.database import migrate
from community.settings import reset_settings
from knowledge.cli import ask, kb_app
from knowledge.demo import ARTICLES_DIR, DEV_QUESTIONS

app = typer.Typer()
app.add_typer(kb_app, name="kb")
app.command("ask")(ask)


@pytest.fixture
def cli(live_database_url: str, kb_home: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    migrate(live_database_url, SCHEMAS)
    monkeypatch.setenv("ALYTUS_DATABASE_URL", live_database_url)
    monkeypatch.setenv("ALYTUS_HOME", str(kb_home / "cli"))
    reset_settings()
    yield CliRunner()
    reset_settings()


def run(cli: CliRunner, *args: str, stdin: str | None = None):
    return cli.invoke(app, list(args), input=stdin)


def test_import_list_show_ask_and_eval(cli: CliRunner, tmp_path: Path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 not really")
    result = run(cli, "kb", "import", str(ARTICLES_DIR), str(broken))
    assert result.exit_code == 1
    assert "broken.pdf" in result.output and "38 created" in result.output
    assert "38 unchanged" in run(cli, "kb", "import", str(ARTICLES_DIR)).output

    listing = json.loads(run(cli, "kb", "list", "--json").output)
    assert len(listing) == 38 and {"id", "title", "status", "language"} <= set(listing[0])
    shown = run(cli, "kb", "show", "lt-darzeliu-priemimas")
    assert "ugdaualytiski.alytus.lt" in shown.output and "revision 1" in shown.output
    assert run(cli, "kb", "show", "no-such-article").exit_code == 1

    answer = json.loads(run(cli, "ask", "--json", "kaip uzregistruoti vaika i darzeli").output)
    assert set(answer) == {"answered", "answer", "sources", "confidence", "language"}
    assert answer["answered"] and answer["sources"][0]["id"] == "lt-darzeliu-priemimas"
    assert set(answer["sources"][0]) == {"id", "title", "url"}

    lines = run(
        cli,
        "ask",
        "--lang",
        "en",
        stdin="Where do I take old asbestos roof sheets?\nWhat is the weather in Vilnius?\n\n",
    ).output.splitlines()
    replies = [json.loads(line) for line in lines]
    assert [r["answered"] for r in replies] == [True, False, False]
    assert replies[0]["sources"][0]["id"] == "en-waste-recycling"

    report = json.loads(run(cli, "kb", "eval", str(DEV_QUESTIONS), "--json").output)
    assert report["questions"] == 40
    # a training figure (the weights were fitted on these questions): a regression guard
    assert report["cited_at_1"] >= 0.85 and report["out_of_scope_declined"] >= 0.9
    assert "cited@3" in run(cli, "kb", "eval", str(DEV_QUESTIONS)).output

    assert "reindexed 38 published articles" in run(cli, "kb", "reindex").output
    assert run(cli, "kb", "archive", "en-waste-recycling").exit_code == 0
    after = json.loads(
        run(
            cli, "ask", "--json", "--lang", "en", "Where do I take old asbestos roof sheets?"
        ).output
    )
    assert "en-waste-recycling" not in [s["id"] for s in after["sources"]]
