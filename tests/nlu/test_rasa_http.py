"""Parsing through a Rasa server, and falling back to the embedded model when it is down.

Rasa cannot be installed next to our stack, so these tests run a local HTTP server on
127.0.0.1 that answers like Rasa's documented `POST /model/parse` and `GET /status`.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from nlu.parser import Parser
from nlu.rasa_http import RasaClient, RasaUnavailable


class FakeRasa(BaseHTTPRequestHandler):
    """Answers `/model/parse` with a fixed intent, as Rasa 3.x does."""

    def log_message(self, format: str, *args: object) -> None:  # silence the test output
        pass

    def _answer(self, body: dict[str, object], status: int = 200) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        if self.path.startswith("/status"):
            self._answer({"model_file": "models/nlu.tar.gz", "fingerprint": {}})
        else:
            self._answer({"error": "not found"}, 404)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        text = json.loads(self.rfile.read(length))["text"]
        if not self.path.startswith("/model/parse"):
            self._answer({"error": "not found"}, 404)
            return
        self._answer(
            {
                "text": text,
                "intent": {"name": "rasa_says_hi", "confidence": 0.93},
                "intent_ranking": [
                    {"name": "rasa_says_hi", "confidence": 0.93},
                    {"name": "greet", "confidence": 0.05},
                ],
                "entities": [],
            }
        )


@pytest.fixture
def rasa_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeRasa)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_client_speaks_rasas_api(rasa_url: str) -> None:
    client = RasaClient(rasa_url)
    assert client.status()["model_file"] == "models/nlu.tar.gz"
    assert client.parse("labas")["intent"]["name"] == "rasa_says_hi"


def test_parser_uses_rasa_and_adds_language_and_places(parser: Parser, rasa_url: str) -> None:
    remote = Parser(parser.model, parser.embedder, RasaClient(rasa_url))
    result = remote.parse("labas is Norvegijos", language_hint="lt")
    assert result["intent"] == {"name": "rasa_says_hi", "confidence": 0.93}
    assert [item["name"] for item in result["intent_ranking"]] == ["rasa_says_hi", "greet"]
    assert result["language"] == "lt"
    assert ("country", "NO") in {(e["entity"], e["value"]) for e in result["entities"]}


def test_down_server_falls_back_to_the_embedded_model_and_logs(
    parser: Parser, caplog: pytest.LogCaptureFixture
) -> None:
    down = RasaClient("http://127.0.0.1:9", timeout=0.5)  # port 9: nothing listens
    remote = Parser(parser.model, parser.embedder, down)
    with caplog.at_level(logging.WARNING, logger="nlu.parser"):
        result = remote.parse("kiek turiu tasku")
    assert result["intent"]["name"] == "my_points"
    assert "Rasa server unavailable" in caplog.text
    with pytest.raises(RasaUnavailable, match="down a moment ago"):
        down.parse("labas")  # no second timeout while it is known to be down
