"""`alytus rewards ...` through Typer's runner, on a database of its own (migrated as the
top-level CLI would)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from admin.schema import SCHEMAS
from community.database import Database, make_engine, migrate
from community.settings import get_settings, reset_settings
from rewards.checkins import check_in
from rewards.cli import rewards_app
from tests.rewards.members import make_member

app = typer.Typer()
app.add_typer(rewards_app, name="rewards")


@pytest.fixture
def live_db(
    live_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Database]:
    migrate(live_database_url, SCHEMAS)
    monkeypatch.setenv("ALYTUS_DATABASE_URL", live_database_url)
    monkeypatch.setenv("ALYTUS_HOME", str(tmp_path / "home"))
    reset_settings()
    engine = make_engine(live_database_url)
    yield Database(engine)
    engine.dispose()
    reset_settings()


def run(*args: str):
    return CliRunner().invoke(app, ["rewards", *args])


def _members(db: Database, count: int) -> list[int]:
    with db.session() as session:
        return [make_member(session).id for _ in range(count)]


def test_award_and_show(live_db: Database):
    (member,) = _members(live_db, 1)
    given = run(
        "award", "--user", str(member), "--points", "120", "--reason", "Talka", "--key", "t"
    )
    assert given.exit_code == 0, given.output
    assert "awarded 120" in given.output and "level up: 2" in given.output
    again = run(
        "award", "--user", str(member), "--points", "120", "--reason", "Talka", "--key", "t"
    )
    assert again.exit_code == 1 and "duplicate" in again.output
    no_reason = run("award", "--user", str(member), "--points", "5")
    assert no_reason.exit_code == 1 and "reason_required" in no_reason.output

    shown = json.loads(run("show", "--user", str(member), "--json").output)
    assert shown["points"] == 120 and shown["level"]["number"] == 2
    assert shown["next_level"]["number"] == 3 and shown["points_to_next"] == 130
    assert shown["latest"][0]["key"] == f"manual:t:{member}"
    assert shown["latest"][0]["ledger"] == "pending"
    assert run("show", "--user", str(member + 1000)).exit_code == 1
    text = run("show", "--user", str(member))
    assert text.exit_code == 0 and "120 points" in text.output and "pending" in text.output


def test_import_reports_json_and_adds_nothing_the_second_time(live_db: Database, tmp_path: Path):
    one, two = _members(live_db, 2)
    path = tmp_path / "list.csv"
    path.write_text(
        f"member,rule,key\n{one},event.checkin,Koncertas\nX,event.checkin,Koncertas\n"
        f"{two},event.checkin,Koncertas\n",
        encoding="utf-8",
    )
    first = run("import", str(path), "--json")
    assert first.exit_code == 1
    assert json.loads(first.stdout) == {
        "imported": 2,
        "duplicates": 0,
        "rejected": [{"line": 3, "reason": "no member with referral code 'X'"}],
    }
    second = json.loads(run("import", str(path), "--json").stdout)
    assert (second["imported"], second["duplicates"]) == (0, 2)
    text = run("import", str(path))
    assert "0 imported, 2 already there, 1 rejected" in text.output and "line 3:" in text.output

    empty = tmp_path / "empty.csv"
    empty.write_text("")
    result = run("import", str(empty))
    assert result.exit_code == 1 and "empty" in result.output


def test_rules_and_rule_set(live_db: Database):
    rules = {row["code"]: row for row in json.loads(run("rules", "--json").output)}
    assert rules["event.checkin"] == {
        "code": "event.checkin",
        "points": 40,
        "cap_day": 3,
        "cap_total": None,
        "active": True,
        "overridden": False,
    }
    changed = run("rule-set", "event.checkin", "--points", "60", "--cap-day", "0", "--inactive")
    assert changed.exit_code == 0, changed.output
    rules = {row["code"]: row for row in json.loads(run("rules", "--json").output)}
    assert rules["event.checkin"]["points"] == 60 and rules["event.checkin"]["cap_day"] is None
    assert rules["event.checkin"]["active"] is False and rules["event.checkin"]["overridden"]
    assert "inactive" in run("rules").output
    assert run("rule-set", "no.such").exit_code == 1


def test_checkin_code_works_in_chat(live_db: Database):
    (member,) = _members(live_db, 1)
    result = run("checkin-code", "--event", "Koncertas", "--minutes", "60", "--points", "15")
    assert result.exit_code == 0, result.output
    code = result.stdout.strip()
    with live_db.session() as session:
        checked = check_in(session=session, settings=get_settings(), member_id=member, code=code)
    assert checked.ok and checked.award.event.points == 15


def test_invite_mayor(live_db: Database):
    one, two = _members(live_db, 2)
    run("award", "--user", str(one), "--points", "300", "--reason", "Savanorystė")
    assert run("invite-mayor", "--event", "Šventė", "--date", "2026-09-12").exit_code == 1
    assert (
        run("invite-mayor", "--event", "Šventė", "--date", "12.09", "--min-level", "3").exit_code
        == 1
    )
    sent = run("invite-mayor", "--event", "Šventė", "--date", "2026-09-12", "--min-level", "3")
    assert sent.exit_code == 0, sent.output
    assert "1 invited now, 0 before" in sent.output
    again = run("invite-mayor", "--event", "Šventė", "--date", "2026-09-12", "--min-points", "250")
    assert "0 invited now, 1 before" in again.output
