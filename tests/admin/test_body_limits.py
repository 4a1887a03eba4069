"""Bodies are limited before anything parses them: by size per door while they stream in
(chat 64 KB, webhooks 1 MB, uploads ALYTUS_MAX_UPLOAD_MB, the rest 1 MB) and JSON by depth.
Before, a 50 MB chat body was read and parsed whole before its 422, and JSON nested 30,000
deep crashed the process (tests/e2e/test_hostile_requests.py runs that against a live server).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from admin.body_limits import MAX_JSON_DEPTH, json_depth_over
from admin.web import create_app
from bots.engine import Engine
from community.settings import Settings
from tests.admin.console import StaffBrowser, add_staff

KB = 1024


@pytest.fixture
def client(admin_app: FastAPI) -> TestClient:
    return TestClient(admin_app, base_url="https://testserver")


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def chunks(total: int, size: int = 64 * KB) -> Iterator[bytes]:
    """A body sent without Content-Length (chunked), as a client streaming it would."""
    while total > 0:
        yield b"x" * min(size, total)
        total -= size


def test_a_chat_body_over_64_kb_is_refused_with_a_clear_413(client: TestClient):
    text = "ą" * (40 * KB)  # 80 KB of UTF-8
    answer = client.post("/api/chat", json={"text": text})
    assert answer.status_code == 413
    assert answer.json()["detail"] == (
        "The request is larger than 64 KB, the most this address accepts."
    )
    ok = client.post("/api/chat", json={"text": "labas " * 500})  # 3 KB: the polite limit's job
    assert ok.status_code == 200


def test_a_streamed_body_is_cut_off_at_the_limit_without_content_length(client: TestClient):
    answer = client.post(
        "/api/chat", content=chunks(10 * KB * KB), headers={"content-type": "application/json"}
    )
    assert answer.status_code == 413


@pytest.mark.parametrize("path", ["/healthz", "/api/chat", "/admin/login", "/webhooks/telegram"])
def test_json_nested_deeper_than_the_limit_is_a_400_on_every_path(client: TestClient, path: str):
    answer = client.post(path, content=nested(30_000), headers={"content-type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["detail"] == f"JSON nested deeper than {MAX_JSON_DEPTH} levels."


def test_json_as_deep_as_the_limit_passes_and_brackets_in_strings_do_not_count():
    assert not json_depth_over(nested(MAX_JSON_DEPTH))
    assert json_depth_over(nested(MAX_JSON_DEPTH + 1))
    quoted = json.dumps({"text": "[" * 500 + '\\"{' * 100}).encode()
    assert not json_depth_over(quoted)


def test_webhooks_take_up_to_one_megabyte_and_refuse_more_unread(client: TestClient):
    big = b'{"object": "page", "entry": [], "pad": "' + b"x" * (1100 * KB) + b'"}'
    answer = client.post("/webhooks/messenger", content=big)
    assert answer.status_code == 413 and "1 MB" in answer.json()["detail"]


def test_uploads_are_limited_to_the_configured_size(settings: Settings, engine: Engine, db):  # type: ignore[no-untyped-def]
    small = settings.model_copy(update={"max_upload_mb": 1})
    browser = StaffBrowser(
        TestClient(create_app(small, engine=engine), base_url="https://testserver")
    )
    assert browser.login(add_staff(db, "editor")).status_code == 303
    big = {"files": ("big.md", b"# Big\n" + b"word " * (300 * KB), "text/markdown")}
    answer = browser.post("/admin/kb/import", files=big)
    assert answer.status_code == 413 and "1 MB" in answer.json()["detail"]
    fits = {"files": ("small.md", b"# Small\n\nA few words.\n", "text/markdown")}
    assert browser.post("/admin/kb/import", files=fits).status_code == 200


def test_the_web_process_keeps_pythons_recursion_limit():
    """py_ecc (under web3) raised it to 100,000 at import, which let deep JSON overflow the C
    stack; a fresh interpreter that builds the app and an embedded chain keeps 1,000."""
    code = (
        "import sys; before = sys.getrecursionlimit()\n"
        "import admin.web, admin.cli, ledger.chain, ledger.outbox\n"
        "ledger.chain.EmbeddedChain()\n"
        "print(before, sys.getrecursionlimit())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    before, after = done.stdout.split()
    assert after == before == "1000"
