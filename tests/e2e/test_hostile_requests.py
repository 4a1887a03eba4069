"""Requests an attacker would send, against a real `alytus serve`: none takes it down.

Before: JSON nested 30,000 deep ended the process with a segmentation fault (py_ecc had
raised Python's recursion limit), and a 50 MB body was read whole before any answer.
"""

from __future__ import annotations

import json
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.e2e.live import LiveServer, demo_server

MB = 1024 * 1024
MESSENGER = {
    "ALYTUS_MESSENGER_VERIFY_TOKEN": "verify-me",
    "ALYTUS_MESSENGER_APP_SECRET": "app-secret",
    "ALYTUS_MESSENGER_PAGE_TOKEN": "page-token",
    "ALYTUS_MESSENGER_API_BASE": "http://127.0.0.1:9",
}
PATHS = ["/healthz", "/api/chat", "/webhooks/messenger", "/admin/login", "/passport/verify"]


@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    with demo_server(request, tmp_path_factory, env=MESSENGER) as live:
        yield live


def healthy(server: LiveServer) -> bool:
    with urllib.request.urlopen(f"{server.url}/healthz", timeout=5) as answer:
        return answer.status == 200


def raw_request(server: LiveServer, head: str) -> socket.socket:
    """A connection with the request line and headers sent, the body still to come."""
    connection = socket.create_connection((urlsplit(server.url).hostname, server.port), 10)
    connection.sendall(head.encode("latin-1"))
    return connection


def status_of(connection: socket.socket) -> int:
    connection.settimeout(10)
    first = connection.recv(4096).split(b"\r\n", 1)[0]
    return int(first.split()[1])


@pytest.mark.parametrize("path", PATHS)
def test_json_nested_30000_deep_is_refused_and_the_server_lives(server: LiveServer, path: str):
    body = b"[" * 30_000 + b"]" * 30_000
    connection = raw_request(
        server,
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n",
    )
    connection.sendall(body)
    assert status_of(connection) == 400
    connection.close()
    assert healthy(server)


def test_a_body_without_length_is_cut_off_while_it_streams(server: LiveServer):
    """50 MB offered in 256 KB chunks: the 413 comes long before the end is sent."""
    connection = raw_request(
        server,
        "POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n",
    )
    chunk = b"x" * (256 * 1024)
    sent = 0
    try:
        while sent < 50 * MB:
            connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += len(chunk)
            connection.settimeout(0.01)
            try:
                if connection.recv(1, socket.MSG_PEEK):
                    break
            except (TimeoutError, BlockingIOError):
                continue
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server closed the connection after its answer
    assert sent < 8 * MB, f"the server let {sent // MB} MB in before answering"
    assert status_of(connection) == 413
    connection.close()
    assert healthy(server)


def test_an_unsigned_50_mb_webhook_is_refused_before_its_body_is_read(server: LiveServer):
    connection = raw_request(
        server,
        "POST /webhooks/messenger HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {50 * MB}\r\n\r\n",
    )
    started = time.monotonic()
    assert status_of(connection) == 413  # not one byte of the body was sent
    assert time.monotonic() - started < 10
    connection.close()
    assert healthy(server)


def test_a_forwarded_for_header_from_an_untrusted_peer_changes_nothing(server: LiveServer):
    """uvicorn believed X-Forwarded-For from loopback, so rotating it escaped the per-address
    login limit (25 failures, no 429). Now only ALYTUS_TRUSTED_PROXIES are believed."""
    statuses = []
    for number in range(22):
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        page = opener.open(f"{server.url}/admin/login", timeout=10).read().decode()
        token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        form = urllib.parse.urlencode(
            {"email": f"guess{number}@alytus.lt", "password": "wrong", "csrf_token": token}
        ).encode()
        request = urllib.request.Request(
            f"{server.url}/admin/login",
            data=form,
            headers={"X-Forwarded-For": f"203.0.113.{number}"},
        )
        try:
            statuses.append(opener.open(request, timeout=30).status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)
    assert statuses[:20] == [401] * 20 and statuses[20:] == [429, 429]


def test_the_log_names_routes_never_tokens_texts_or_addresses(server: LiveServer):
    secret_words = "mano-slaptas-zodis-apie-kaimyna"
    body = json.dumps({"text": secret_words}).encode()
    request = urllib.request.Request(
        f"{server.url}/api/chat", data=body, headers={"Content-Type": "application/json"}
    )
    urllib.request.urlopen(request, timeout=30).read()
    try:
        urllib.request.urlopen(f"{server.url}/join/invitation-token-12345?x=1", timeout=10)
    except urllib.error.HTTPError:
        pass
    time.sleep(0.5)
    log = (server.home / "serve.log").read_text()
    assert "POST /api/chat 200" in log and "/join/{token}" in log
    assert "POST - 413" in log and "POST - 400" in log  # refused at the door, logged too
    assert secret_words not in log and "invitation-token-12345" not in log
    assert not re.search(r"127\.0\.0\.1:\d+ - ", log), "uvicorn's access line (client address)"
