"""Schemathesis over everything the public can reach: the chat and its widget, the Telegram
and Messenger webhooks (with a valid secret and valid signatures, so the bodies get past the
door into the parsers), the passport pages and the invitation links. Generated requests,
valid and invalid by the schema, never get a 5xx, and the app answers afterwards. Runs on
SQLite and on PostgreSQL (the PostgreSQL pass).

The webhooks' platforms are not reachable here: Telegram's API base is a closed port (replies
wait in the outbox), Meta's Send API likewise. Driven without Schemathesis' pytest plugin,
as in test_api_fuzz.py.
"""

from __future__ import annotations

import hashlib
import hmac

import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from pydantic import SecretStr
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admin.web import create_app
from bots.engine import Engine
from community.database import Database
from community.settings import Settings

PUBLIC = "^/(api/chat|webhooks/|passport/|join/|healthz|privacy)"
EXAMPLES = 40
APP_SECRET = "meta-app-secret"
TELEGRAM_SECRET = "telegram-webhook-secret"


class MetaSigns:
    """Signs each Messenger webhook body as Meta does (X-Hub-Signature-256), whatever the
    generator made of it, so fuzzed events reach the parser instead of the 403."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/webhooks/messenger":
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        digest = hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        headers = [(k, v) for k, v in scope["headers"] if k != b"x-hub-signature-256"]
        signed = {
            **scope,
            "headers": [*headers, (b"x-hub-signature-256", f"sha256={digest}".encode())],
        }

        async def replay() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(signed, replay, send)


def no_server_error(ctx, response, case) -> bool | None:  # type: ignore[no-untyped-def]
    """No 5xx, except the Telegram webhook's documented 503 with Retry-After: a group
    message while the Bot API (a closed port here) cannot say who the bot is, which
    Telegram delivers again later instead of losing it."""
    if (
        case.path == "/webhooks/telegram"
        and response.status_code == 503
        and response.headers.get("retry-after")
    ):
        return None
    return not_a_server_error(ctx, response, case)


def public_app(settings: Settings, db: Database) -> FastAPI:
    configured = settings.model_copy(
        update={
            "telegram_token": SecretStr("123456:fuzz"),
            "telegram_webhook_secret": SecretStr(TELEGRAM_SECRET),
            "telegram_api_base": "http://127.0.0.1:9",
            "messenger_verify_token": SecretStr("verify"),
            "messenger_app_secret": SecretStr(APP_SECRET),
            "messenger_page_token": SecretStr("page"),
            "messenger_api_base": "http://127.0.0.1:9",
            "chat_rate_per_minute": 100_000,  # past the door: the limits have their own tests
            "chat_rate_per_address_per_minute": 100_000,
        }
    )
    app = create_app(configured, engine=Engine(db=db, settings=configured))
    app.add_middleware(MetaSigns)
    return app


def test_no_public_request_gets_a_server_error(settings: Settings, db: Database):
    app = public_app(settings, db)
    schema = schemathesis.openapi.from_dict(app.openapi()).include(path_regex=PUBLIC)
    schema.app = app  # type: ignore[attr-defined]
    operations = [result.ok() for result in schema.get_all_operations()]
    paths = {operation.path for operation in operations}
    assert {"/api/chat", "/webhooks/telegram", "/webhooks/messenger", "/passport/verify"} <= paths
    headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    for operation in operations:
        strategy = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(
            GenerationMode.NEGATIVE
        )

        @given(case=strategy)
        @examples(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def answered(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(checks=[no_server_error], headers=headers)

        answered()
    client = TestClient(app, base_url="https://testserver")
    assert client.get("/healthz").text == "ok"
    assert client.post("/api/chat", json={"payload": "/start"}).status_code == 200
