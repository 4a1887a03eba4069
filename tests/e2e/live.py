"""Helpers for tests that run `alytus serve` as a subprocess: the command, a free port, and
waiting until the server answers /healthz."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

START_TIMEOUT_S = 120


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
