"""`alytus passport ...` and `alytus partners ...` through Typer's runner, on a database of
their own (migrated as the top-level CLI would)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from admin.schema import SCHEMAS
from bots.passport_cli import partners_app, passport_app
from community.database import Database, migrate
from community.settings import get_settings, reset_settings
from rewards.journal import award
from rewards.levels import passport_level

from .members import make_member

app = typer.Typer()
app.add_typer(passport_app, name="passport")
app.add_typer(partners_app, name="partners")


@pytest.fixture
def cli(
    live_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CliRunner]:
    migrate(live_database_url, SCHEMAS)
    monkeypatch.setenv("ALYTUS_DATABASE_URL", live_database_url)
    monkeypatch.setenv("ALYTUS_HOME", str(tmp_path / "home"))
    reset_settings()
    yield CliRunner()
    reset_settings()


def member_with_points(points: int) -> int:
    settings = get_settings()
    with Database.from_settings(settings).session() as session:
        member = make_member(session)
        if points:
            award(
                session=session,
                settings=settings,
                member_id=member.id or 0,
                rule="manual",
                key="cli-test",
                points=points,
                reason="test",
            )
        return member.id or 0


def run(cli: CliRunner, *args: str):  # type: ignore[no-untyped-def]
    return cli.invoke(app, list(args))


def test_issue_verify_revoke_and_redeem(cli: CliRunner, tmp_path: Path) -> None:
    assert run(cli, "passport", "issue", "--user", str(member_with_points(0))).exit_code == 1

    holder = member_with_points(passport_level().min_points)
    card = tmp_path / "card.png"
    issued = run(cli, "passport", "issue", "--user", str(holder), "--png", str(card))
    assert issued.exit_code == 0, issued.output
    fields = dict(line.split(": ", 1) for line in issued.output.splitlines())
    token, number = fields["token"], fields["number"]
    assert card.read_bytes().startswith(b"\x89PNG")
    assert fields["verify"].endswith(f"/passport/verify#t={token}")

    checked = run(cli, "passport", "verify", token, "--json")
    assert checked.exit_code == 0 and json.loads(checked.output)["status"] == "valid"
    forged = run(cli, "passport", "verify", token[:-4] + "AAAA")
    assert forged.exit_code == 1 and forged.output.startswith("invalid:")
    assert "signature" in forged.output

    assert "partner 1" in run(cli, "partners", "add", "--name", "Kavinė", "--address", "X").output
    offer = run(
        cli, "partners", "offer-add", "--partner", "1", "--title-lt", "Kava", "--title-en",
        "Coffee", "--limit", "1",
    )  # fmt: skip
    assert offer.exit_code == 0, offer.output
    listing = json.loads(run(cli, "partners", "list", "--json").output)
    assert listing[0]["name"] == "Kavinė" and listing[0]["offers"][0]["limit_per_member"] == 1

    first = run(cli, "partners", "redeem", "--offer", "1", "--token", token, "--by", "Rasa")
    assert first.exit_code == 0, first.output
    second = run(cli, "partners", "redeem", "--offer", "1", "--token", token, "--by", "Rasa")
    assert second.exit_code == 1 and "refused" in second.output
    used = json.loads(run(cli, "partners", "redemptions", "--json").output)
    assert [row["passport"] for row in used] == [number]
    assert not any("member" in key for key in used[0])

    revoked = run(cli, "passport", "revoke", number, "--reason", "lost phone")
    assert revoked.exit_code == 0, revoked.output
    after = run(cli, "passport", "verify", token)
    assert after.exit_code == 1 and after.output.startswith("revoked:")
    assert run(cli, "passport", "revoke", "ZZZZ-ZZZZ", "--reason", "x").exit_code == 1
