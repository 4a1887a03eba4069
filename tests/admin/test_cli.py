"""The `alytus` command line, run as a user runs it: a real subprocess and database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture
def alytus(tmp_path: Path, live_database_url: str, nlu_parser: object, nlu_cache_dir: Path):
    env = {
        **os.environ,
        "ALYTUS_HOME": str(tmp_path / "home"),
        "ALYTUS_DATABASE_URL": live_database_url,
        "ALYTUS_NLU_DIR": str(nlu_cache_dir),  # trained once (nlu_parser), shared
    }

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "admin", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    assert run("init").returncode == 0
    return run


def test_chat_json_writes_one_line_per_input_and_members_show_reflects_it(alytus):
    said = [
        "/start",
        "lietuviu",
        "sutinku",
        "gyvenu uzsienyje",
        "Anglijoje, Londone",
        "darbas, verslas",
        "gal",
    ]
    result = alytus("chat", "--json", "--user", "ona", stdin="\n".join(said) + "\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(said)
    first = json.loads(lines[0])
    assert {"label": "English", "payload": "lang:en"} in first["replies"][0]["buttons"]
    assert "pakvietimo kodas" in json.loads(lines[-1])["replies"][0]["text"]

    shown = alytus("members", "show", "--user", "ona", "--json")
    assert shown.returncode == 0, shown.stderr
    member = json.loads(shown.stdout)
    assert set(member) == {
        "id",
        "language",
        "relation",
        "country",
        "city",
        "interests",
        "return_intention",
        "consents",
        "referral_code",
        "created_at",
    }
    assert (member["country"], member["city"], member["relation"]) == ("GB", "London", "emigrant")
    assert member["interests"] == ["jobs", "business"]
    assert member["return_intention"] == "maybe"

    listed = json.loads(alytus("members", "list", "--json").stdout)
    assert [m["id"] for m in listed] == [member["id"]]


def test_a_button_payload_line_presses_the_button(alytus):
    result = alytus("chat", "--json", "--user", "jonas", stdin="/start\nlang:en\n")
    assert "Do you agree?" in json.loads(result.stdout.splitlines()[1])["replies"][0]["text"]


def test_members_show_for_an_unknown_user_says_so_and_exits_1(alytus):
    result = alytus("members", "show", "--user", "nobody", "--json")
    assert result.returncode == 1
    assert "no member" in result.stderr and "nobody" in result.stderr
    assert result.stdout == ""


def test_members_erase_removes_personal_data_and_says_what(alytus):
    alytus(
        "chat",
        "--json",
        "--user",
        "ieva",
        stdin="/start\nen\nyes\nabroad\nNorway, Oslo\njobs\nno\n",
    )
    result = alytus("members", "erase", "--user", "ieva")
    assert result.returncode == 0, result.stderr
    for removed in ("country", "city", "interests", "relation", "channel:terminal"):
        assert removed in result.stdout
    assert alytus("members", "show", "--user", "ieva").returncode == 1
    assert json.loads(alytus("members", "list", "--json").stdout) == []


def test_init_demo_loads_members_once(alytus):
    first = alytus("init", "--demo").stdout
    assert "6 created" in first and "demo staff" in first
    second = alytus("init", "--demo").stdout
    assert "0 created" in second and "demo activity: already there" in second
    # the six named demo members and the demo history's crowd (96), once
    assert len(json.loads(alytus("members", "list", "--json").stdout)) == 6 + 96
