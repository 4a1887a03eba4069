"""The web app over HTTP: the chat page, the chat API, the privacy page, health."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from admin.web import create_app
from bots.engine import Engine
from community.settings import Settings


@pytest.fixture
def client(settings: Settings, engine: Engine) -> TestClient:
    # public_url is https, so the session cookie is Secure: talk https like a real browser
    return TestClient(create_app(settings, engine=engine), base_url="https://testserver")


def test_health_answers_200(client: TestClient):
    assert client.get("/healthz").status_code == 200


def test_the_chat_page_speaks_lithuanian_first_and_english_on_request(client: TestClient):
    page = client.get("/")
    assert page.status_code == 200 and 'lang="lt"' in page.text and "Siųsti" in page.text
    english = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert 'lang="en"' in english.text and "Send" in english.text
    assert 'name="viewport"' in page.text


def test_the_privacy_notice_page_is_served_in_both_languages(client: TestClient):
    assert "Duomenų valdytojas" in client.get("/privacy?lang=lt").text
    assert "data controller" in client.get("/privacy?lang=en").text


def test_chat_api_keeps_the_member_by_cookie(client: TestClient):
    first = client.post("/api/chat", json={"payload": "/start"})
    assert first.status_code == 200
    cookie = first.cookies.get("alytus_chat")
    assert cookie and "httponly" in first.headers["set-cookie"].lower()
    second = client.post("/api/chat", json={"payload": "lang:en"})
    assert "Do you agree?" in second.json()["replies"][0]["text"]
    assert client.cookies.get("alytus_chat") == cookie


def test_a_retried_message_id_is_answered_once(client: TestClient):
    client.post("/api/chat", json={"payload": "/start"})
    first = client.post("/api/chat", json={"payload": "lang:en", "id": "m-1"})
    retry = client.post("/api/chat", json={"payload": "lang:en", "id": "m-1"})
    assert first.json()["replies"] and retry.json()["replies"] == []


def test_a_10000_character_message_gets_a_polite_reply(client: TestClient):
    reply = client.post("/api/chat", json={"text": "ž" * 10_000})
    assert reply.status_code == 200
    assert "per ilga" in reply.json()["replies"][0]["text"]


@pytest.mark.parametrize(
    "body", ['{"text": ', '["not", "an", "object"]', '{"text": 12}', '{"payload": {"a": 1}}']
)
def test_a_malformed_request_gets_a_4xx(client: TestClient, body: str):
    response = client.post("/api/chat", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422


def test_the_reply_shape_is_the_documented_one(client: TestClient):
    reply = client.post("/api/chat", json={"payload": "/start"}).json()["replies"][0]
    assert set(reply) == {"text", "buttons", "links", "image", "cards", "file", "forget"}
    assert reply["buttons"][0] == {"label": "Lietuvių", "payload": "lang:lt"}


def test_every_page_carries_security_headers(client: TestClient):
    for path in ("/", "/privacy", "/healthz", "/static/chat.js"):
        headers = client.get(path).headers
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["x-frame-options"] == "DENY", path
        assert "script-src 'self'" in headers["content-security-policy"], path
