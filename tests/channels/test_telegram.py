"""The Telegram channel end to end: webhook, groups, polling, the command menu and push.

The bot talks to tests/fakes/telegram_api.py, a local server on 127.0.0.1 that speaks the
documented Bot API (https://core.telegram.org/bots/api) and refuses as Telegram does; the
updates are real update payloads shaped as in Telegram's documentation (a private text
message, a callback_query, a supergroup message with a mention).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from admin.web import create_app
from bots.catalog import default_catalog
from bots.channels.telegram import PayloadKeys, TelegramChannel, keyboard
from bots.channels.telegram_polling import run_polling
from bots.channels.telegram_push import TelegramPush
from bots.engine import Engine
from bots.messages import Attachment, Button, Incoming, Link, Reply
from bots.push_delivery import deliver_notifications
from bots.testing import BotTester
from community.database import Database
from community.members import find_member, referrals_count
from community.settings import Settings
from tests.fakes.telegram_api import (
    FakeTelegram,
    callback_query_update,
    group_text_update,
    private_text_update,
)
from tests.utils.members import show

TOKEN = "123456789:AAF-test-token"
SECRET = "s3cret-webhook-token"
BOT = "alytus_test_bot"
GOOD = {"X-Telegram-Bot-Api-Secret-Token": SECRET}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTelegram]:
    server = FakeTelegram.start(token=TOKEN, bot_username=BOT)
    yield server
    server.stop()


def pointed_at(settings: Settings, api_base: str, secret: str | None = SECRET) -> Settings:
    return settings.model_copy(
        update={
            "telegram_token": SecretStr(TOKEN),
            "telegram_webhook_secret": SecretStr(secret) if secret else None,
            "telegram_api_base": api_base,
        }
    )


@pytest.fixture
def telegram(fake: FakeTelegram) -> FakeTelegram:
    """The shared fake, emptied."""
    fake.reset()
    return fake


@pytest.fixture
def tg_settings(telegram: FakeTelegram, settings: Settings) -> Settings:
    return pointed_at(settings, telegram.base_url)


@pytest.fixture
def client(tg_settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(tg_settings, engine=engine), base_url="https://testserver") as c:
        yield c


def member_exists(db: Database, user_id: int) -> bool:
    with db.session() as session:
        return find_member(session=session, platform="telegram", user_id=str(user_id)) is not None


def buttons_of(call) -> list[str]:  # type: ignore[no-untyped-def]
    rows = call.params["reply_markup"]["inline_keyboard"]
    return [button.get("callback_data") or button.get("url") for row in rows for button in row]


# ---- the webhook ------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}])
def test_the_webhook_refuses_a_missing_or_wrong_secret(
    client: TestClient, telegram: FakeTelegram, db: Database, headers: dict
):
    update = private_text_update(501, "/start")
    answer = client.post("/webhooks/telegram", json=update, headers=headers)
    assert answer.status_code == 403
    assert not member_exists(db, 501)
    assert telegram.sent() == []


def test_without_a_configured_secret_every_update_is_refused(
    telegram: FakeTelegram, settings: Settings, engine: Engine, db: Database
):
    no_secret = pointed_at(settings, telegram.base_url, secret=None)
    with TestClient(create_app(no_secret, engine=engine)) as client:
        update = private_text_update(502, "/start")
        assert client.post("/webhooks/telegram", json=update, headers=GOOD).status_code == 403
    assert not member_exists(db, 502)


@pytest.mark.parametrize(
    "body",
    [
        b'{"update_id": ',
        b'["update"]',
        b'{"message": {"text": "hi"}}',
        b'{"update_id": "7"}',
        # ids of the wrong type (found by the public fuzz): PTB takes them as they come
        b'{"update_id": 0, "message": {"chat": {"id": [], "type": "group"}, "date": 0,'
        b' "from": {"first_name": "", "id": [], "is_bot": false}, "message_id": []}}',
        b'{"update_id": 0, "callback_query": {"chat_instance": "", "data": [],'
        b' "from": {"first_name": "", "id": 0, "is_bot": false}, "id": ""}}',
        b'{"update_id": 0, "message": {"chat": {"id": 0, "type": "private"},'
        b' "date": 67768036191676800, "message_id": 0}}',
    ],
)
def test_a_body_that_is_not_a_telegram_update_gets_400(
    client: TestClient, telegram: FakeTelegram, body: bytes
):
    answer = client.post("/webhooks/telegram", content=body, headers=GOOD)
    assert answer.status_code == 400
    assert telegram.sent() == []


def test_start_gets_the_language_question_with_an_inline_keyboard(
    client: TestClient, telegram: FakeTelegram, db: Database
):
    update = private_text_update(503, "/start")
    answer = client.post("/webhooks/telegram", json=update, headers=GOOD)
    assert answer.status_code == 200
    assert answer.headers["X-Frame-Options"] == "DENY"  # the app's security headers still apply
    question = telegram.sent("sendMessage", chat_id=503)[-1]
    assert {"lang:lt", "lang:en"} <= set(buttons_of(question))
    assert question.params["parse_mode"] == "HTML"
    assert not member_exists(db, 503)  # a /start alone keeps nothing
    pressed = callback_query_update(503, "lang:lt")
    assert client.post("/webhooks/telegram", json=pressed, headers=GOOD).status_code == 200
    assert member_exists(db, 503)


def test_pressing_a_button_advances_onboarding(client: TestClient, telegram: FakeTelegram):
    client.post("/webhooks/telegram", json=private_text_update(504, "/start"), headers=GOOD)
    press = callback_query_update(504, "lang:en", bot_id=telegram.bot_id)
    assert client.post("/webhooks/telegram", json=press, headers=GOOD).status_code == 200
    assert telegram.sent("answerCallbackQuery")
    assert telegram.sent("editMessageReplyMarkup", chat_id=504)  # the old question is closed
    texts = [call.params["text"] for call in telegram.sent("sendMessage", chat_id=504)]
    assert "Do you agree?" in texts[-1]


def test_a_deep_link_records_who_invited(
    client: TestClient, telegram: FakeTelegram, engine: Engine, db: Database
):
    friend = BotTester(engine=engine, user_id="friend")
    for step in ("/start", "english", "yes", "friend of alytus", "Vokietija, Berlynas", "crafts"):
        friend.say(step)
    code = show(db, "friend")["referral_code"]

    for update in (
        private_text_update(505, f"/start {code}"),
        callback_query_update(505, "lang:lt"),
        callback_query_update(505, "consent:membership"),
    ):
        assert client.post("/webhooks/telegram", json=update, headers=GOOD).status_code == 200
    with db.session() as session:
        inviter = find_member(session=session, platform="terminal", user_id="friend")
        assert referrals_count(session=session, member_id=inviter.id) == 1


def test_a_redelivered_update_is_answered_once(client: TestClient, telegram: FakeTelegram):
    update = private_text_update(506, "/start")
    assert client.post("/webhooks/telegram", json=update, headers=GOOD).status_code == 200
    answered = len(telegram.sent(chat_id=506))
    assert answered >= 1
    assert client.post("/webhooks/telegram", json=update, headers=GOOD).status_code == 200
    assert len(telegram.sent(chat_id=506)) == answered


def test_the_command_menu_is_set_in_lithuanian_and_english(
    client: TestClient, telegram: FakeTelegram
):
    telegram.wait_for("setMyCommands", count=3)
    lithuanian = telegram.commands[("default", "lt")]
    english = telegram.commands[("default", "en")]
    assert [c["command"] for c in english][:3] == ["start", "help", "profile"]
    assert {c["command"] for c in lithuanian} >= {"passport", "invite", "news", "link"}
    assert {c["command"]: c["description"] for c in lithuanian}["language"] == "Pakeisti kalbą"
    assert {c["command"]: c["description"] for c in english}["language"] == "Change language"
    assert ("default", "") in telegram.commands  # everyone else


# ---- groups -----------------------------------------------------------------------------------


def test_in_a_group_only_messages_addressed_to_the_bot_are_answered(
    client: TestClient, telegram: FakeTelegram, db: Database
):
    group = -1001234567890
    for chatter in ("labas visiems", "/help", "/help@other_bot", f"ar kas matė @{BOT}s?"):
        update = group_text_update(601, chatter, chat_id=group)
        assert client.post("/webhooks/telegram", json=update, headers=GOOD).status_code == 200
    assert telegram.sent(chat_id=group) == []
    assert not member_exists(db, 601)

    mention = group_text_update(601, f"@{BOT} /help", chat_id=group)
    client.post("/webhooks/telegram", json=mention, headers=GOOD)
    assert len(telegram.sent(chat_id=group)) == 1
    command = group_text_update(602, f"/help@{BOT}", chat_id=group)
    client.post("/webhooks/telegram", json=command, headers=GOOD)
    assert len(telegram.sent(chat_id=group)) == 2
    bot_user = {"id": telegram.bot_id, "is_bot": True, "first_name": "Alytus Connect"}
    reply = group_text_update(603, "/help", chat_id=group, reply_to_bot=bot_user)
    client.post("/webhooks/telegram", json=reply, headers=GOOD)
    assert len(telegram.sent(chat_id=group)) == 3


# ---- polling ----------------------------------------------------------------------------------


def test_polling_answers_updates_from_get_updates(
    telegram: FakeTelegram, tg_settings: Settings, engine: Engine
):
    telegram.webhook_url = "https://connect.alytus.test/webhooks/telegram"
    telegram.push_update(private_text_update(701, "/start"))

    async def poll() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(run_polling(engine, tg_settings, stop, poll_seconds=1))
        while not telegram.sent("sendMessage", chat_id=701):
            await asyncio.sleep(0.02)
        telegram.push_update(callback_query_update(701, "lang:en"))
        while len(telegram.sent("sendMessage", chat_id=701)) < 2:
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.wait_for(task, 5)

    asyncio.run(asyncio.wait_for(poll(), 20))
    methods = [call.method for call in telegram.calls]
    assert methods.index("deleteWebhook") < methods.index("getUpdates")
    texts = [call.params["text"] for call in telegram.sent("sendMessage", chat_id=701)]
    assert "Do you agree?" in texts[-1]
    offsets = [call.params.get("offset") for call in telegram.calls if call.method == "getUpdates"]
    assert max(o or 0 for o in offsets) > 0  # updates were confirmed
    assert {("default", "lt"), ("default", "en")} <= set(telegram.commands)


# ---- rendering and push -----------------------------------------------------------------------


def test_a_long_button_payload_travels_as_a_short_key():
    keys = PayloadKeys()
    long = "/checkin " + "X" * 100
    markup = keyboard(Reply(text="?", buttons=(Button("Check in", long),)), keys)
    data = markup.inline_keyboard[0][0].callback_data
    assert len(data.encode()) <= 64 and keys.payload(data) == long


def test_push_delivers_text_buttons_links_and_files(telegram: FakeTelegram, tg_settings: Settings):
    reply = Reply(
        text="Naujas renginys <Alytaus> & draugai",
        buttons=(Button("Dalyvausiu", "/rsvp 1 yes"),),
        links=(Link("Daugiau", "https://alytus.lt/renginiai"),),
        file=Attachment("duomenys.json", "application/json", '{"a": 1}'),
    )

    async def send():  # type: ignore[no-untyped-def]
        push = TelegramPush(tg_settings)
        try:
            return await push.push("801", reply)
        finally:
            await push.close()

    assert asyncio.run(send()).delivered
    message = telegram.sent("sendMessage", chat_id=801)[0]
    assert "&lt;Alytaus&gt; &amp; draugai" in message.params["text"]
    assert buttons_of(message) == ["/rsvp 1 yes", "https://alytus.lt/renginiai"]
    document = telegram.sent("sendDocument", chat_id=801)[0]
    assert document.params["document"]["content"] == b'{"a": 1}'


def test_push_reports_retry_after_and_unreachable_members(
    telegram: FakeTelegram, tg_settings: Settings
):
    telegram.block(802)
    telegram.block(803, "user is deactivated")

    async def outcomes():  # type: ignore[no-untyped-def]
        push = TelegramPush(tg_settings)
        assert push.platform == "telegram" and push.rate.per_chat_per_second == 1
        try:
            telegram.throttle(retry_after=7)
            throttled = await push.push("804", Reply(text="labas"))
            blocked = await push.push("802", Reply(text="labas"))
            deactivated = await push.push("803", Reply(text="labas"))
            ok = await push.push("804", Reply(text="labas"))
            return throttled, blocked, deactivated, ok
        finally:
            await push.close()

    throttled, blocked, deactivated, ok = asyncio.run(outcomes())
    assert not throttled.delivered and throttled.retry_after == 7 and not throttled.unreachable
    assert blocked.unreachable and not blocked.delivered and "blocked" in blocked.error
    assert deactivated.unreachable
    assert ok.delivered


def test_push_reports_a_network_error_without_raising(settings: Settings):
    nowhere = pointed_at(settings, "http://127.0.0.1:9")  # nothing listens there

    async def send():  # type: ignore[no-untyped-def]
        push = TelegramPush(nowhere)
        try:
            return await push.push("805", Reply(text="labas"))
        finally:
            await push.close()

    outcome = asyncio.run(send())
    assert not outcome.delivered and not outcome.unreachable and outcome.error


def test_a_channel_needs_a_token(settings: Settings):
    with pytest.raises(AssertionError):
        TelegramChannel(settings)


class PictureEngine(Engine):
    """The real engine (the member is created and the turn recorded), whose every answer is
    a picture with a caption, as /passport gives a holder (one needs a member at level 3)."""

    async def handle(self, incoming: Incoming) -> list[Reply]:
        await super().handle(incoming)
        return [Reply(text="Jūsų Alytaus pasas", image="https://connect.alytus.test/card.png")]


async def deliver_later(engine: Engine, tg_settings: Settings):  # type: ignore[no-untyped-def]
    """One run of the delivery worker for Telegram."""
    push = TelegramPush(tg_settings)
    try:
        return await deliver_notifications(
            db=engine.db,
            settings=tg_settings,
            channels={"telegram": push},
            catalog=default_catalog(),
        )
    finally:
        await push.close()


def test_a_picture_that_went_before_flood_control_is_not_sent_again(
    telegram: FakeTelegram, tg_settings: Settings, engine: Engine
):
    telegram.throttle(retry_after=1, times=2, method="sendMessage")
    pictures = PictureEngine(db=engine.db, settings=tg_settings)
    with TestClient(create_app(tg_settings, engine=pictures), base_url="https://testserver") as c:
        update = private_text_update(506, "/passport")
        assert c.post("/webhooks/telegram", json=update, headers=GOOD).status_code == 200
    assert len(telegram.sent("sendPhoto", chat_id=506)) == 1
    assert telegram.sent("sendMessage", chat_id=506) == []

    assert asyncio.run(deliver_later(engine, tg_settings)).sent == 1
    assert len(telegram.sent("sendPhoto", chat_id=506)) == 1  # not twice
    [caption] = telegram.sent("sendMessage", chat_id=506)
    assert caption.params["text"] == "Jūsų Alytaus pasas"


def test_a_reply_refused_by_flood_control_is_sent_later_by_the_worker(
    client: TestClient, telegram: FakeTelegram, tg_settings: Settings, engine: Engine
):
    """Telegram answers 429 "retry after" (twice: the bot retries once itself); the webhook
    still answers 200, and the delivery worker sends the reply, with its keyboard, once."""
    telegram.throttle(retry_after=1, times=2, method="sendMessage")
    update = private_text_update(505, "/start")
    answer = client.post("/webhooks/telegram", json=update, headers=GOOD)
    assert answer.status_code == 200
    assert telegram.sent("sendMessage", chat_id=505) == []

    assert asyncio.run(deliver_later(engine, tg_settings)).sent == 1
    [later] = telegram.sent("sendMessage", chat_id=505)
    assert "Which language" in later.params["text"]
    assert {"lang:lt", "lang:en"} <= set(buttons_of(later))
    assert asyncio.run(deliver_later(engine, tg_settings)).sent == 0


def test_an_update_that_arrives_while_the_bot_api_is_unreachable_is_answered_later(
    telegram: FakeTelegram, tg_settings: Settings, engine: Engine, db: Database
):
    """Telegram's servers cannot be reached (here: nothing listens on the API address). The
    webhook still answers 200, since Telegram would not deliver the update again; the
    update is recorded and its replies wait in the outbox. Before, the failed getMe was
    taken for a refused reply and the member's message was lost."""
    down = tg_settings.model_copy(update={"telegram_api_base": "http://127.0.0.1:9"})
    with TestClient(create_app(down, engine=engine), base_url="https://testserver") as c:
        update = private_text_update(507, "/start")
        assert c.post("/webhooks/telegram", json=update, headers=GOOD).status_code == 200
        again = c.post("/webhooks/telegram", json=update, headers=GOOD)  # a redelivery
        assert again.status_code == 200
        group = group_text_update(508, f"@{BOT} /help", chat_id=-100777)
        # in a group, who the bot is must be known first: Telegram is asked to come back
        assert c.post("/webhooks/telegram", json=group, headers=GOOD).status_code == 503
    assert member_exists(db, 507)
    assert telegram.sent() == []

    assert asyncio.run(deliver_later(engine, tg_settings)).sent == 1
    [later] = telegram.sent("sendMessage", chat_id=507)
    assert "Which language" in later.params["text"]
    assert asyncio.run(deliver_later(engine, tg_settings)).sent == 0


def test_a_chat_past_its_rate_limit_is_asked_to_wait_in_its_language(
    telegram: FakeTelegram, tg_settings: Settings, db: Database
):
    limited = tg_settings.model_copy(update={"chat_rate_per_minute": 2})
    engine = Engine(db=db, settings=limited)
    with TestClient(create_app(limited, engine=engine), base_url="https://testserver") as c:
        for number, text in enumerate(("/start", "/help", "/help")):
            update = private_text_update(509, text)
            update["update_id"] += number
            assert c.post("/webhooks/telegram", json=update, headers=GOOD).status_code == 200
    last = telegram.sent("sendMessage", chat_id=509)[-1]
    assert last.params["text"].startswith("Rašote labai greitai")
    assert len(telegram.sent("sendMessage", chat_id=509)) == 3
