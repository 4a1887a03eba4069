"""A local Messenger Send API for tests and benchmarks, on 127.0.0.1.

It speaks the documented Send API (developers.facebook.com/docs/messenger-platform/reference/
send-api): `POST /me/messages?access_token=...` with a JSON body, answered
`{"recipient_id", "message_id"}`, or refused with the Graph API's error shape
`{"error": {"message", "type": "OAuthException", "code", "error_subcode", "fbtrace_id"}}`:
613 (rate limit), 551 (this person isn't available right now), 10 (permission / outside the
allowed window), 190 (bad token). Every call is recorded. The webhook side needs no server:
`text_event`, `quick_reply_event` and `postback_event` build the webhook bodies exactly as
Meta's Messenger Platform documentation shows them (messages, messaging_postbacks), and
`sign` signs them like Meta does (X-Hub-Signature-256).

    fake = FakeMessenger.start(page_token="page-token")
    settings = Settings(messenger_api_base=fake.base_url, messenger_page_token="page-token")
    ...
    assert fake.sent_to("1254477777772919")
    fake.stop()
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PAGE_ID = "1067280970047460"
ERRORS = {
    613: ("(#613) Calls to this api have exceeded the rate limit.", 2446079),
    551: ("(#551) This person isn't available right now.", 1545041),
    10: ("(#10) This message is sent outside of allowed window.", 2018278),
    190: ("Invalid OAuth access token - Cannot parse access token", 0),
}


@dataclass(frozen=True)
class Call:
    """One Send API request (refused ones too; see `status`)."""

    body: dict[str, Any]
    access_token: str
    at: float  # time.monotonic() on arrival
    status: int = 200

    @property
    def recipient(self) -> str:
        return str(self.body.get("recipient", {}).get("id", ""))

    @property
    def message(self) -> dict[str, Any]:
        return self.body.get("message", {})


class FakeMessenger:
    """The Send API of one page: records calls; can rate-limit and lose members."""

    def __init__(self, *, page_token: str = "page-token") -> None:
        self.page_token = page_token
        self.calls: list[Call] = []
        self.unavailable: set[str] = set()  # members answered with 551
        self.outside_window: set[str] = set()  # members answered with 10
        self._throttled = 0  # the next N calls answered with 613
        self._throttle_status = 400
        self._retry_after: int | None = None
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @classmethod
    def start(cls, **kwargs: Any) -> FakeMessenger:
        fake = cls(**kwargs)
        fake._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(fake))
        fake._server.daemon_threads = True
        threading.Thread(target=fake._server.serve_forever, daemon=True).start()
        return fake

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeMessenger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- behaviour --------------------------------------------------------------------------

    def throttle(
        self, times: int = 1, *, status: int = 400, retry_after: int | None = None
    ) -> None:
        """Answer the next `times` calls with error 613 (with HTTP `status`, and a
        Retry-After header when given)."""
        self._throttled, self._throttle_status, self._retry_after = times, status, retry_after

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()

    def sent_to(self, recipient: str) -> list[dict[str, Any]]:
        """The `message` objects delivered to one member, in order."""
        return [c.message for c in self.calls if c.recipient == recipient and c.status == 200]

    # ---- the Send API -----------------------------------------------------------------------

    def answer(self, path: str, query: str, raw: bytes) -> tuple[int, dict[str, Any], dict]:
        """(HTTP status, JSON body, extra headers) for one request."""
        token = parse_qs(query).get("access_token", [""])[0]
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return 400, self._error(100, "Invalid JSON"), {}
        status, answer, headers = self._decide(path, token, body)
        with self._lock:
            self.calls.append(
                Call(body=body, access_token=token, at=time.monotonic(), status=status)
            )
        return status, answer, headers

    def _decide(self, path: str, token: str, body: dict) -> tuple[int, dict[str, Any], dict]:
        if path.rstrip("/").split("/")[-2:] != ["me", "messages"]:
            return 404, self._error(100, "Unknown path components"), {}
        if token != self.page_token:
            return 400, self._error(190), {}
        recipient = str(body.get("recipient", {}).get("id", ""))
        with self._lock:
            if self._throttled > 0:
                self._throttled -= 1
                headers = {"Retry-After": str(self._retry_after)} if self._retry_after else {}
                return self._throttle_status, self._error(613), headers
        if recipient in self.unavailable:
            return 400, self._error(551), {}
        if recipient in self.outside_window:
            return 400, self._error(10), {}
        if not recipient or not isinstance(body.get("message"), dict):
            return 400, self._error(100, "(#100) The parameter recipient is required"), {}
        return 200, {"recipient_id": recipient, "message_id": f"m_fake{next(self._ids)}"}, {}

    @staticmethod
    def _error(code: int, message: str | None = None) -> dict[str, Any]:
        known, subcode = ERRORS.get(code, (message or "error", 0))
        return {
            "error": {
                "message": message or known,
                "type": "OAuthException",
                "code": code,
                "error_subcode": subcode,
                "fbtrace_id": "AbCdEfGhIjK",
            }
        }


def _handler_for(fake: FakeMessenger) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like the real Graph API
        disable_nagle_algorithm = True  # else headers and body wait ~40 ms for a delayed ACK

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            parts = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, body, headers = fake.answer(parts.path, parts.query, raw)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # quiet

    return Handler


# ---- webhook bodies, as Meta's documentation shows them --------------------------------------


def webhook(*events: dict[str, Any]) -> dict[str, Any]:
    """The envelope Meta posts: one page entry with its messaging events."""
    return {
        "object": "page",
        "entry": [{"id": PAGE_ID, "time": 1458692752478, "messaging": list(events)}],
    }


def text_event(psid: str, text: str, mid: str, *, is_echo: bool = False) -> dict[str, Any]:
    """A `messages` event: a member typed text (or, with is_echo, the page's own message)."""
    message: dict[str, Any] = {"mid": mid, "text": text}
    if is_echo:
        message |= {"is_echo": True, "app_id": 1517776481860111}
    sender, recipient = (PAGE_ID, psid) if is_echo else (psid, PAGE_ID)
    return {
        "sender": {"id": sender},
        "recipient": {"id": recipient},
        "timestamp": 1458692752478,
        "message": message,
    }


def quick_reply_event(psid: str, title: str, payload: str, mid: str) -> dict[str, Any]:
    """A `messages` event for a pressed quick reply: its title as text, our payload."""
    event = text_event(psid, title, mid)
    event["message"]["quick_reply"] = {"payload": payload}
    return event


def postback_event(psid: str, title: str, payload: str, mid: str) -> dict[str, Any]:
    """A `messaging_postbacks` event: a postback button or Get Started was pressed."""
    return {
        "sender": {"id": psid},
        "recipient": {"id": PAGE_ID},
        "timestamp": 1527459824,
        "postback": {"mid": mid, "title": title, "payload": payload},
    }


def delivery_event(psid: str) -> dict[str, Any]:
    """A `message_deliveries` event: nothing to answer."""
    return {
        "sender": {"id": psid},
        "recipient": {"id": PAGE_ID},
        "delivery": {"mids": ["mid.1458668856218:ed81099e15d3f4f233"], "watermark": 1458668856253},
    }


def sign(app_secret: str, body: bytes) -> str:
    """The X-Hub-Signature-256 header Meta sends with this body."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
