"""`python -m ledger` / `alytus ledger`: sync, verify (exit 1 on a difference), status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from admin.schema import SCHEMAS
from community.database import Database, migrate
from community.settings import Settings, reset_settings
from ledger.__main__ import outbox_rewards
from ledger.cli import build_ledger_cli
from ledger.verify import ExpectedReward
from tests.ledger.conftest import add_rewards


@pytest.fixture
def cli_settings(
    tmp_path: Path, live_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    migrate(live_database_url, SCHEMAS)
    monkeypatch.setenv("ALYTUS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ALYTUS_DATABASE_URL", live_database_url)
    monkeypatch.setenv("ALYTUS_LEDGER_SECRET", "cli")
    reset_settings()
    yield Settings(
        home=tmp_path / "home", database_url=live_database_url, ledger_secret=SecretStr("cli")
    )
    reset_settings()


def test_sync_verify_and_status(cli_settings: Settings):
    add_rewards(Database.from_settings(cli_settings), cli_settings, 12)
    runner = CliRunner()
    app = build_ledger_cli(outbox_rewards)
    synced = runner.invoke(app, ["sync", "--json"])
    assert synced.exit_code == 0, synced.output
    assert json.loads(synced.output)["recorded"] == 12
    # the embedded chain lives in one process: each command rebuilds it from SQL
    checked = runner.invoke(app, ["verify", "--json"])
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.output)["recorded"] == 12
    shown = runner.invoke(app, ["status", "--json"])
    assert json.loads(shown.output)["recorded"] == 12


def test_verify_exits_1_when_the_journal_has_more(cli_settings: Settings):
    def journal(session, settings):  # type: ignore[no-untyped-def]
        return [*outbox_rewards(session, settings), ExpectedReward("lost", "0x" + "11" * 20, 1)]

    result = CliRunner().invoke(build_ledger_cli(journal), ["verify"])
    assert result.exit_code == 1
    assert "missing: lost" in result.output
