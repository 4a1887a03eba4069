"""The chat API as the widget on another site uses it: CORS only for ALYTUS_WIDGET_ORIGINS
(and the app's own origin), and a session token in a header instead of a cookie."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from admin.web import create_app
from bots.channels.webchat import SESSION_HEADER
from bots.engine import Engine
from community.settings import Settings

CITY = "https://www.alytus.lt"
STRANGER = "https://evil.example"


@pytest.fixture
def client(settings: Settings, engine: Engine) -> TestClient:
    allowed = settings.model_copy(update={"widget_origins": [CITY + "/"]})
    return TestClient(create_app(allowed, engine=engine), base_url="https://testserver")


def preflight(client: TestClient, origin: str, method: str = "POST"):
    return client.options(
        "/api/chat",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": f"content-type,{SESSION_HEADER.lower()}",
        },
    )


@pytest.mark.parametrize("origin", [CITY, "https://connect.alytus.test"])
def test_an_allowed_origin_passes_the_preflight(client: TestClient, origin: str) -> None:
    response = preflight(client, origin)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == origin
    assert response.headers["access-control-allow-credentials"] == "true"
    assert SESSION_HEADER.lower() in response.headers["access-control-allow-headers"].lower()


def test_another_origin_gets_no_cors_headers(client: TestClient) -> None:
    assert "access-control-allow-origin" not in preflight(client, STRANGER).headers
    answer = client.post("/api/chat", json={"payload": "/start"}, headers={"Origin": STRANGER})
    assert "access-control-allow-origin" not in answer.headers


def test_cors_covers_the_chat_api_only(client: TestClient) -> None:
    assert "access-control-allow-origin" not in client.get("/", headers={"Origin": CITY}).headers
    words = client.get("/api/chat/widget?lang=en", headers={"Origin": CITY})
    assert words.headers["access-control-allow-origin"] == CITY
    assert words.json()["ui"]["send"] == "Send" and words.json()["ui"]["open"]


def test_the_widget_session_travels_in_a_header_not_a_cookie(client: TestClient) -> None:
    first = client.post(
        "/api/chat", json={"payload": "/start"}, headers={"Origin": CITY, SESSION_HEADER: "new"}
    )
    session = first.json()["session"]
    assert session and len(session) >= 32
    assert "set-cookie" not in first.headers
    assert first.headers["access-control-allow-origin"] == CITY

    second = client.post(
        "/api/chat", json={"payload": "lang:en"}, headers={"Origin": CITY, SESSION_HEADER: session}
    )
    assert "Do you agree?" in second.json()["replies"][0]["text"]
    assert second.json()["session"] == session
    polled = client.get("/api/chat/updates", headers={SESSION_HEADER: session})
    assert polled.status_code == 200 and polled.json()["replies"] == []


def test_a_short_or_odd_token_is_replaced_by_a_new_one(client: TestClient) -> None:
    answer = client.post("/api/chat", json={"payload": "/start"}, headers={SESSION_HEADER: "1"})
    assert answer.json()["session"] not in (None, "1")


def test_the_page_itself_never_sees_its_token(client: TestClient) -> None:
    answer = client.post("/api/chat", json={"payload": "/start"})
    assert answer.json()["session"] is None and answer.cookies.get("alytus_chat")
