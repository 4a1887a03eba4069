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
    by_number = alytus("members", "show", "--id", str(member["id"]), "--json")
    assert json.loads(by_number.stdout) == member  # the number `members list` shows works too
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


def test_the_home_the_database_and_the_secrets_are_the_owners_alone(
    tmp_path: Path, nlu_cache_dir: Path
):
    """Before: alytus.db and its -wal and -shm (member data, staff password hashes) were
    created 0644, readable by every local user. A home an older version made 0755 is
    tightened at the next start."""
    import stat

    home = tmp_path / "home"
    (home / "secrets").mkdir(parents=True)
    (home / "secrets" / "ledger").write_text("an older version's secret")
    for path, mode in (
        (home, 0o755),
        (home / "secrets", 0o755),
        (home / "secrets" / "ledger", 0o644),
    ):
        path.chmod(mode)
    env = {key: value for key, value in os.environ.items() if not key.startswith("ALYTUS_")}
    env |= {"ALYTUS_HOME": str(home), "ALYTUS_NLU_DIR": str(nlu_cache_dir)}
    joining = "/start\nlietuviu\nsutinku\ngyvenu Alytuje\ndarbas\n"
    for args, stdin in (
        (["init"], ""),
        (["staff", "create", "--email", "a@alytus.lt", "--role", "admin", "--password-stdin"],
         "a long enough password\n"),
        (["chat", "--json", "--user", "ona"], joining),  # a member: the WAL is written
    ):  # fmt: skip
        done = subprocess.run(
            [sys.executable, "-m", "admin", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    written = [home, *home.rglob("*")]
    assert home / "alytus.db" in written and home / "secrets" / "ledger" in written, written
    loose = {
        str(path.relative_to(tmp_path)): oct(stat.S_IMODE(path.stat().st_mode))
        for path in written
        if path.stat().st_mode & 0o077
    }
    assert not loose, f"readable by others: {loose}"


@pytest.mark.parametrize(
    ("trusted", "proxy_headers", "allowed"),
    [("", False, ""), ('["10.0.0.5", "10.0.0.6"]', True, "10.0.0.5,10.0.0.6")],
)
def test_serve_believes_forwarded_addresses_only_from_trusted_proxies(
    tmp_path: Path, monkeypatch, trusted: str, proxy_headers: bool, allowed: str
):  # type: ignore[no-untyped-def]
    """uvicorn's default believes X-Forwarded-For from 127.0.0.1, which let anyone on the
    machine pick their address (tests/e2e/test_hostile_requests.py shows it end to end)."""
    import uvicorn
    from typer.testing import CliRunner

    import admin.web
    from admin import cli
    from community.settings import get_settings

    seen: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(options))
    monkeypatch.setattr(admin.web, "create_app", lambda *args, **kwargs: object())
    monkeypatch.setattr(cli, "build_engine", lambda *args, **kwargs: object())
    monkeypatch.setenv("ALYTUS_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ALYTUS_DATABASE_URL", raising=False)
    if trusted:
        monkeypatch.setenv("ALYTUS_TRUSTED_PROXIES", trusted)
    get_settings.cache_clear()
    umask = os.umask(0o022)  # the command sets this process's umask: put it back after
    try:
        done = CliRunner().invoke(cli.app, ["serve", "--no-ledger"])
    finally:
        os.umask(umask)
        get_settings.cache_clear()
    assert done.exit_code == 0, done.output
    assert seen["proxy_headers"] is proxy_headers and seen["forwarded_allow_ips"] == allowed
    assert seen["access_log"] is False


@pytest.mark.parametrize(
    ("public_url", "expected"),
    [(None, "http://127.0.0.1:8765"), ("https://connect.alytus.lt", "https://connect.alytus.lt")],
)
def test_serve_on_another_port_makes_links_to_that_port(
    tmp_path: Path, monkeypatch, public_url: str | None, expected: str
):  # type: ignore[no-untyped-def]
    """Links (privacy notice, referral, invitations) named port 8000 whatever port the
    server was started on, unless ALYTUS_PUBLIC_URL was set; set, it still wins."""
    import uvicorn
    from typer.testing import CliRunner

    import admin.web
    from admin import cli
    from community.settings import get_settings

    built: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: None)
    monkeypatch.setattr(admin.web, "create_app", lambda settings, **kwargs: built.append(settings))
    monkeypatch.setattr(cli, "build_engine", lambda *args, **kwargs: object())
    monkeypatch.setenv("ALYTUS_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ALYTUS_DATABASE_URL", raising=False)
    monkeypatch.delenv("ALYTUS_PUBLIC_URL", raising=False)
    if public_url:
        monkeypatch.setenv("ALYTUS_PUBLIC_URL", public_url)
    get_settings.cache_clear()
    umask = os.umask(0o022)
    try:
        done = CliRunner().invoke(cli.app, ["serve", "--port", "8765", "--no-ledger"])
    finally:
        os.umask(umask)
        get_settings.cache_clear()
    assert done.exit_code == 0, done.output
    assert built[0].public_url == expected  # type: ignore[attr-defined]
