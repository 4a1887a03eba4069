"""The Messenger channel over HTTP: Meta's webhook in, the Send API out (a local fake).

The webhook is fed the event bodies Meta's Messenger Platform documentation shows (a text
message, a quick reply, a postback; see tests/fakes/messenger_api.py), signed with the app
secret as Meta signs them; the replies land in a local server that speaks the documented
Send API, so what the bot would send a member is checked call by call.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import select

from admin.web import create_app
from bots.catalog import default_catalog
from bots.channels.messenger import (
    MessengerPush,
    incomings_from_webhook,
    messages_from_reply,
    split_text,
)
from bots.engine import Engine
from bots.messages import Button, Card, Link, Reply
from bots.push_delivery import deliver_notifications
from bots.reply_later import keep_for_later
from community.members import find_member
from community.models import Notification
from community.settings import Settings
from tests.fakes.messenger_api import (
    FakeMessenger,
    delivery_event,
    postback_event,
    quick_reply_event,
    sign,
    text_event,
    webhook,
)

VERIFY_TOKEN = "verify-me"
APP_SECRET = "app-secret"
PAGE_TOKEN = "page-token"
PSID = "1254477777772919"


@pytest.fixture
def fake() -> Iterator[FakeMessenger]:
    with FakeMessenger.start(page_token=PAGE_TOKEN) as server:
        yield server


@pytest.fixture
def messenger_settings(settings: Settings, fake: FakeMessenger) -> Settings:
    return settings.model_copy(
        update={
            "messenger_verify_token": SecretStr(VERIFY_TOKEN),
            "messenger_app_secret": SecretStr(APP_SECRET),
            "messenger_page_token": SecretStr(PAGE_TOKEN),
            "messenger_api_base": fake.base_url,
        }
    )


@pytest.fixture
def client(messenger_settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(messenger_settings, engine=engine)) as test_client:
        yield test_client


def post_event(client: TestClient, body: object, *, secret: str | None = APP_SECRET):
    raw = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Hub-Signature-256"] = sign(secret, raw)
    return client.post("/webhooks/messenger", content=raw, headers=headers)


def member_exists(engine: Engine, psid: str) -> bool:
    with engine.db.session() as session:
        return find_member(session=session, platform="messenger", user_id=psid) is not None


# ---- verification -----------------------------------------------------------------------------


def test_verification_with_the_right_token_echoes_the_challenge(client: TestClient) -> None:
    query = {
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1158201444",
    }
    response = client.get("/webhooks/messenger", params=query)
    assert response.status_code == 200 and response.text == "1158201444"


@pytest.mark.parametrize("mode, token", [("subscribe", "wrong"), ("unsubscribe", VERIFY_TOKEN)])
def test_verification_with_a_wrong_token_is_refused(
    client: TestClient, mode: str, token: str
) -> None:
    query = {"hub.mode": mode, "hub.verify_token": token, "hub.challenge": "1158201444"}
    response = client.get("/webhooks/messenger", params=query)
    assert response.status_code == 403 and "1158201444" not in response.text


def test_without_the_secrets_there_is_no_webhook(settings: Settings, engine: Engine) -> None:
    app = create_app(settings, engine=engine)
    assert TestClient(app).get("/webhooks/messenger").status_code == 404


# ---- signatures and bodies --------------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "not-the-app-secret"])
def test_an_unsigned_or_badly_signed_event_is_refused_and_not_processed(
    client: TestClient, engine: Engine, fake: FakeMessenger, secret: str | None
) -> None:
    response = post_event(client, webhook(text_event(PSID, "/start", "m_forged")), secret=secret)
    assert response.status_code == 403
    assert not member_exists(engine, PSID)
    assert fake.calls == []


def test_a_signature_of_another_body_is_refused(client: TestClient, engine: Engine) -> None:
    signed = sign(APP_SECRET, json.dumps(webhook(text_event(PSID, "hi", "m_1"))).encode())
    forged = json.dumps(webhook(text_event(PSID, "/start", "m_2"))).encode()
    response = client.post(
        "/webhooks/messenger", content=forged, headers={"X-Hub-Signature-256": signed}
    )
    assert response.status_code == 403 and not member_exists(engine, PSID)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"object": "page", "entry": [',
        b'["page"]',
        b'{"object": "page", "entry": [{"messaging": [{"message": {}}]}]}',
    ],
)
def test_a_malformed_body_gets_400(client: TestClient, fake: FakeMessenger, raw: bytes) -> None:
    response = client.post(
        "/webhooks/messenger", content=raw, headers={"X-Hub-Signature-256": sign(APP_SECRET, raw)}
    )
    assert response.status_code == 400
    assert fake.calls == []


# ---- conversations ----------------------------------------------------------------------------


def test_start_is_answered_with_the_language_question_and_two_quick_replies(
    client: TestClient, fake: FakeMessenger
) -> None:
    response = post_event(client, webhook(text_event(PSID, "/start", "m_start")))
    assert response.status_code == 200

    [call] = fake.calls
    assert call.access_token == PAGE_TOKEN
    assert call.body["recipient"] == {"id": PSID}
    assert call.body["messaging_type"] == "RESPONSE"
    assert "Which language" in call.message["text"]
    assert call.message["quick_replies"] == [
        {"content_type": "text", "title": "Lietuvių", "payload": "lang:lt"},
        {"content_type": "text", "title": "English", "payload": "lang:en"},
    ]


def test_a_quick_reply_advances_onboarding(client: TestClient, fake: FakeMessenger) -> None:
    post_event(client, webhook(text_event(PSID, "/start", "m_1")))
    post_event(client, webhook(quick_reply_event(PSID, "English", "lang:en", "m_2")))
    consent = fake.sent_to(PSID)[-1]
    assert "Do you agree?" in consent["text"]
    assert {q["payload"] for q in consent["quick_replies"]} >= {"consent:all"}

    post_event(client, webhook(quick_reply_event(PSID, "I agree", "consent:all", "m_3")))
    payloads = [q["payload"] for q in fake.sent_to(PSID)[-1].get("quick_replies", [])]
    assert any(payload.startswith("relation:") for payload in payloads), payloads


def test_a_postback_is_a_button_press(client: TestClient, fake: FakeMessenger) -> None:
    post_event(client, webhook(postback_event(PSID, "Get Started", "/start", "m_pb1")))
    assert fake.sent_to(PSID)[0]["quick_replies"][1]["payload"] == "lang:en"


def test_a_redelivered_event_is_answered_once(client: TestClient, fake: FakeMessenger) -> None:
    body = webhook(text_event(PSID, "/start", "m_again"))
    assert post_event(client, body).status_code == 200
    assert post_event(client, body).status_code == 200
    assert len(fake.calls) == 1


def test_echoes_and_delivery_receipts_are_ignored(
    client: TestClient, engine: Engine, fake: FakeMessenger
) -> None:
    body = webhook(
        text_event(PSID, "Which language?", "m_echo", is_echo=True), delivery_event(PSID)
    )
    assert post_event(client, body).status_code == 200
    assert fake.calls == []
    assert not member_exists(engine, PSID)


def test_several_events_in_one_body_are_answered_in_order(
    client: TestClient, fake: FakeMessenger
) -> None:
    body = webhook(
        text_event(PSID, "/start", "m_a"), quick_reply_event(PSID, "English", "lang:en", "m_b")
    )
    post_event(client, body)
    texts = [message["text"] for message in fake.sent_to(PSID)]
    assert "Which language" in texts[0] and "Do you agree?" in texts[-1]


# ---- rendering --------------------------------------------------------------------------------


def test_long_text_is_split_and_the_quick_replies_ride_on_the_last_piece() -> None:
    buttons = tuple(Button(f"Option number {n} is long", f"opt:{n}") for n in range(15))
    reply = Reply(text="word " * 900, buttons=buttons, image="https://alytus.lt/a.png")
    messages = messages_from_reply(reply)
    texts = [m["text"] for m in messages if "text" in m]
    assert len(texts) == 3 and all(len(text) <= 2000 for text in texts)
    assert messages[-1]["attachment"] == {
        "type": "image",
        "payload": {"url": "https://alytus.lt/a.png", "is_reusable": True},
    }
    quick = messages[-1]["quick_replies"]
    assert len(quick) == 13 and all(len(q["title"]) <= 20 for q in quick)
    assert "quick_replies" not in messages[0]


def test_a_news_card_keeps_its_link_and_its_buttons_on_messenger() -> None:
    """/news puts its links and buttons on the cards: Messenger shows them as text lines and
    quick replies, so "Skaityti daugiau" and "Dalyvausiu" are there to read and press."""
    card = Card(
        "Darbo mugė",
        "Daugiau nei 30 įmonių.",
        buttons=(Button("Dalyvausiu", "rsvp:yes:7"),),
        links=(Link("Skaityti daugiau", "https://www.alytus.lt/mugė"),),
    )
    messages = messages_from_reply(Reply(text="Jums:", cards=(card,)))
    assert "Skaityti daugiau: https://www.alytus.lt/mugė" in messages[0]["text"]
    assert [q["payload"] for q in messages[-1]["quick_replies"]] == ["rsvp:yes:7"]


def test_split_text_keeps_every_character_but_the_cut_spaces() -> None:
    text = "a" * 4500
    assert "".join(split_text(text)) == text and max(map(len, split_text(text))) == 2000


def test_other_objects_are_not_page_events() -> None:
    assert incomings_from_webhook({"object": "instagram", "entry": []}) == []


# ---- MessengerPush ----------------------------------------------------------------------------


async def test_push_sends_a_tagged_message(
    messenger_settings: Settings, fake: FakeMessenger
) -> None:
    push = MessengerPush(messenger_settings)
    outcome = await push.push(PSID, Reply(text="Your question has an answer."))
    await push.aclose()
    assert outcome.delivered
    assert fake.calls[0].body["messaging_type"] == "MESSAGE_TAG"
    assert fake.calls[0].body["tag"] == "ACCOUNT_UPDATE"


@pytest.mark.parametrize("status, header, wait", [(400, None, 60.0), (429, 7, 7.0)])
async def test_push_rate_limited_asks_to_retry_after(
    messenger_settings: Settings, fake: FakeMessenger, status: int, header: int | None, wait: float
) -> None:
    fake.throttle(status=status, retry_after=header)
    push = MessengerPush(messenger_settings)
    outcome = await push.push(PSID, Reply(text="news"))
    await push.aclose()
    assert not outcome.delivered and outcome.retry_after == wait and not outcome.unreachable


@pytest.mark.parametrize("refusal", ["unavailable", "outside_window"])
async def test_push_to_a_member_who_is_gone_is_unreachable(
    messenger_settings: Settings, fake: FakeMessenger, refusal: str
) -> None:
    getattr(fake, refusal).add(PSID)
    push = MessengerPush(messenger_settings)
    outcome = await push.push(PSID, Reply(text="news"))
    await push.aclose()
    assert not outcome.delivered and outcome.unreachable and outcome.retry_after is None


async def test_push_never_raises_when_the_api_is_down(messenger_settings: Settings) -> None:
    down = messenger_settings.model_copy(update={"messenger_api_base": "http://127.0.0.1:9"})
    push = MessengerPush(down)
    outcome = await push.push(PSID, Reply(text="news"))
    await push.aclose()
    assert not outcome.delivered and outcome.error
    assert MessengerPush.rate.per_second == 40 and MessengerPush.rate.per_chat_per_second == 1


# ---- a reply the Send API refuses for a while -------------------------------------------------


def test_a_reply_refused_by_a_rate_limit_is_sent_later_by_the_worker(
    client: TestClient, engine: Engine, fake: FakeMessenger, messenger_settings: Settings
) -> None:
    """Meta's Send API answers error 613 (too many calls); the member still gets the answer,
    with its quick replies, from the delivery worker, once."""
    fake.throttle(times=1)
    assert post_event(client, webhook(text_event(PSID, "/start", "m_busy"))).status_code == 200
    assert fake.sent_to(PSID) == []

    channels = {"messenger": MessengerPush(messenger_settings)}
    report = asyncio.run(
        deliver_notifications(
            db=engine.db, settings=messenger_settings, channels=channels, catalog=default_catalog()
        )
    )
    assert report.sent == 1
    [later] = fake.sent_to(PSID)
    assert "Which language" in later["text"]
    assert [q["payload"] for q in later["quick_replies"]] == ["lang:lt", "lang:en"]
    again = asyncio.run(
        deliver_notifications(
            db=engine.db, settings=messenger_settings, channels=channels, catalog=default_catalog()
        )
    )
    assert again.sent == 0 and len(fake.sent_to(PSID)) == 1


def test_a_kept_reply_keeps_its_picture(
    client: TestClient, engine: Engine, fake: FakeMessenger, messenger_settings: Settings
) -> None:
    """The passport card refused for a while arrives later as a picture, not text alone."""
    assert post_event(client, webhook(text_event(PSID, "/start", "m_join"))).status_code == 200
    card = Reply(text="Jūsų pasas", image="https://connect.alytus.test/passport/card.png?t=abc")
    assert keep_for_later(
        db=engine.db, platform="messenger", user_id=PSID, reply=card, occasion="m_card:0"
    )
    channels = {"messenger": MessengerPush(messenger_settings)}
    report = asyncio.run(
        deliver_notifications(
            db=engine.db, settings=messenger_settings, channels=channels, catalog=default_catalog()
        )
    )
    assert report.sent == 1
    text, picture = fake.sent_to(PSID)[-2:]
    assert text["text"] == "Jūsų pasas"
    assert picture["attachment"]["payload"]["url"] == card.image


def test_a_reply_to_a_member_who_blocked_the_page_is_not_kept(
    client: TestClient, engine: Engine, fake: FakeMessenger
) -> None:
    fake.unavailable.add(PSID)
    assert post_event(client, webhook(text_event(PSID, "/start", "m_gone"))).status_code == 200
    with engine.db.session() as session:
        assert session.exec(select(Notification)).all() == []
