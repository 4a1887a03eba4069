"""Helpers for tests that run `alytus serve` as a subprocess: the command, a free port,
waiting until the server answers /healthz, and a whole live server on a fresh home
(`fresh_server` + `serving`, or both with staff accounts: `demo_server`, and a module's
`server` fixture made of it: `demo_server_fixture`)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

START_TIMEOUT_S = 120
STAFF_PASSWORD = "a long staff password for the browser test"

Staff = tuple[str, ...]
"""A staff account: email, role, then any further `alytus staff create` options."""


def alytus_cli() -> str:
    beside_python = Path(sys.executable).with_name("alytus")
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("alytus")
    if found is None:
        pytest.fail("the `alytus` command is not installed (pip install -e '.[dev]')")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"alytus serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    pytest.fail(f"alytus serve did not answer /healthz in {START_TIMEOUT_S}s:\n{log.read_text()}")


@dataclass
class LiveServer:
    """`alytus serve` on a free port over a fresh ALYTUS_HOME and database (the demo loaded),
    and the command line pointed at the same, for browser tests of the web chat and admin."""

    url: str
    port: int
    cli: str
    env: dict[str, str]
    home: Path

    def run(self, *args: str, stdin: str | None = None) -> str:
        """`alytus ARGS` against this server's database; fails the test on a non-zero exit."""
        done = subprocess.run(
            [self.cli, *args],
            env=self.env,
            cwd=self.home,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"alytus {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def add_staff(self, email: str, role: str, password: str, *extra: str) -> None:
        self.run(
            "staff", "create", "--email", email, "--role", role, *extra, "--password-stdin",
            stdin=password + "\n",
        )  # fmt: skip

    def member(self, web_user: str) -> dict:
        """What `alytus members show` knows about the web chat member with this user id
        (the chat cookie, or the widget's session token)."""
        shown = self.run("members", "show", "--platform", "web", "--user", web_user, "--json")
        return json.loads(shown)


def fresh_server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    env: dict[str, str] | None = None,
    port: int | None = None,
) -> LiveServer:
    """A server not started yet: home, port (a free one unless given), database (PostgreSQL
    when the suite runs on it), the session's trained NLU model; `alytus init --demo` already
    run."""
    home = tmp_path_factory.mktemp("alytus-home")
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    clean = {key: value for key, value in os.environ.items() if not key.startswith("ALYTUS_")}
    clean.update(ALYTUS_HOME=str(home), ALYTUS_PUBLIC_URL=url, **(env or {}))
    request.getfixturevalue("nlu_parser")  # the NLU model, trained once for the session
    clean["ALYTUS_NLU_DIR"] = str(request.getfixturevalue("nlu_cache_dir"))
    clean["ALYTUS_DATABASE_URL"] = request.getfixturevalue("module_database_url")
    live = LiveServer(url=url, port=port, cli=alytus_cli(), env=clean, home=home)
    live.run("init", "--demo")
    return live


@contextmanager
def serving(live: LiveServer, *options: str) -> Iterator[LiveServer]:
    """Run `alytus serve` for the duration; its output goes to serve.log in the home."""
    log = live.home / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [live.cli, "serve", "--host", "127.0.0.1", "--port", str(live.port), *options],
            env=live.env,
            cwd=live.home,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_healthy(live.url, process, log)
        yield live
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def demo_server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    *staff: Staff,
    env: dict[str, str] | None = None,
    port: int | None = None,
    options: tuple[str, ...] = (),
) -> Iterator[LiveServer]:
    """`alytus init --demo` on a fresh home and database (`fresh_server`), these staff
    accounts (all with STAFF_PASSWORD), then `alytus serve OPTIONS` for the duration."""
    live = fresh_server(request, tmp_path_factory, env, port)
    for email, role, *extra in staff:
        live.add_staff(email, role, STAFF_PASSWORD, *extra)
    with serving(live, *options):
        yield live


def demo_server_fixture(*staff: Staff):  # type: ignore[no-untyped-def]
    """A test module's `server` fixture: `demo_server` with these staff accounts."""

    @pytest.fixture(scope="module", name="server")
    def server(
        request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
    ) -> Iterator[LiveServer]:
        with demo_server(request, tmp_path_factory, *staff) as live:
            yield live

    return server
