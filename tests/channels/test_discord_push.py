"""Writing to a Discord member first over REST, and how replies become Discord messages.

DiscordPush talks to tests/fakes/discord_api.py, a local server on 127.0.0.1 that speaks
Discord's documented HTTP API and refuses as Discord does: 429 with retry_after (in the
JSON body, or only the Retry-After header), 403 with code 50007 for a member who blocked
the bot or closed their DMs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from bots.channels.base import PushChannel, SendOutcome
from bots.channels.discord import DiscordPush, role_for_level
from bots.channels.discord_render import CONTENT_LIMIT, render
from bots.messages import Attachment, Button, Card, Link, Reply
from community.settings import Settings
from tests.fakes.discord_api import FakeDiscord, snowflake

TOKEN = "MTA5ODc2NTQzMjEwOTg3NjU0Mw.GhIjKl.fake-token-for-tests"
MESSAGES = r"/channels/\d+/messages"


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server


@pytest.fixture
async def push(settings: Settings, fake: FakeDiscord) -> AsyncIterator[DiscordPush]:
    channel = DiscordPush(
        settings.model_copy(
            update={"discord_token": SecretStr(TOKEN), "discord_api_base": fake.api_base}
        )
    )
    yield channel
    await channel.aclose()


def question() -> Reply:
    return Reply(
        text="Ar dalyvausite?",
        buttons=(Button("Dalyvausiu", "/rsvp 7 yes"), Button("Negalėsiu", "/rsvp 7 no")),
        links=(Link("Programa", "https://alytus.lt/svente"),),
    )


async def test_a_push_opens_the_dm_and_sends_text_with_buttons(
    push: DiscordPush, fake: FakeDiscord
):
    channel: PushChannel = push  # what the delivery worker expects (checked by mypy)
    assert channel.platform == "discord"
    assert (push.rate.per_second, push.rate.per_chat_per_second) == (45, 1)
    member = snowflake()
    assert await push.push(member, question()) == SendOutcome(delivered=True)
    (opened,) = fake.calls_to("POST", "/users/@me/channels")
    assert opened.json == {"recipient_id": member}
    assert opened.headers["Authorization"] == f"Bot {TOKEN}"
    (sent,) = fake.calls_to("POST", MESSAGES)
    assert sent.json["content"] == "Ar dalyvausite?"
    (row,) = sent.json["components"]
    assert [(c["type"], c.get("custom_id"), c.get("url")) for c in row["components"]] == [
        (2, "/rsvp 7 yes", None),
        (2, "/rsvp 7 no", None),
        (2, None, "https://alytus.lt/svente"),
    ]
    assert await push.push(member, Reply(text="Dar kartą")) == SendOutcome(delivered=True)
    assert len(fake.calls_to("POST", "/users/@me/channels")) == 1  # the DM channel is kept


async def test_429_says_how_long_to_wait_from_the_body(push: DiscordPush, fake: FakeDiscord):
    fake.fail(
        "POST",
        MESSAGES,
        429,
        {"message": "You are being rate limited.", "retry_after": 1.5, "global": False},
        headers={"Retry-After": "2"},
    )
    outcome = await push.push(snowflake(), Reply(text="Labas"))
    assert (outcome.delivered, outcome.retry_after, outcome.unreachable) == (False, 1.5, False)


async def test_429_without_a_body_is_read_from_the_retry_after_header(
    push: DiscordPush, fake: FakeDiscord
):
    fake.fail("POST", "/users/@me/channels", 429, {}, headers={"Retry-After": "3"})
    outcome = await push.push(snowflake(), Reply(text="Labas"))
    assert (outcome.delivered, outcome.retry_after) == (False, 3.0)


async def test_a_member_who_blocked_the_bot_is_unreachable(push: DiscordPush, fake: FakeDiscord):
    fake.fail(
        "POST", MESSAGES, 403, {"message": "Cannot send messages to this user", "code": 50007}
    )
    outcome = await push.push(snowflake(), Reply(text="Labas"))
    assert (outcome.delivered, outcome.unreachable, outcome.retry_after) == (False, True, None)
    assert outcome.error is not None and "50007" in outcome.error


async def test_other_refusals_are_reported_not_raised(push: DiscordPush, fake: FakeDiscord):
    fake.fail("POST", MESSAGES, 500, {"message": "500: Internal Server Error", "code": 0})
    outcome = await push.push(snowflake(), Reply(text="Labas"))
    assert (outcome.delivered, outcome.unreachable, outcome.retry_after) == (False, False, None)


async def test_a_file_is_sent_as_an_attachment(push: DiscordPush, fake: FakeDiscord):
    export = Attachment(name="mano-duomenys.json", mime="application/json", content='{"a": 1}')
    assert (await push.push(snowflake(), Reply(text="Jūsų duomenys", file=export))).delivered
    (sent,) = fake.calls_to("POST", MESSAGES)
    assert sent.json["attachments"] == [{"id": 0, "filename": "mano-duomenys.json"}]
    assert sent.files == {"files[0]": b'{"a": 1}'}


def test_a_long_reply_is_split_and_the_last_part_carries_the_buttons():
    text = "\n".join(f"Eilutė {n}: " + "x" * 90 for n in range(60))
    parts = render(Reply(text=text, buttons=(Button("Gerai", "/help"),)))
    assert len(parts) > 1
    assert all(len(part.content) <= CONTENT_LIMIT for part in parts)
    assert "\n".join(part.content for part in parts) == text
    assert [part.view is not None for part in parts] == [False] * (len(parts) - 1) + [True]


def test_images_and_cards_become_embeds_and_unfit_buttons_text():
    reply = Reply(
        text="Renginiai",
        image="https://alytus.lt/pasas.png",
        cards=(Card("Miesto šventė", "Birželio 1 d.", buttons=(Button("Eisiu", "/rsvp 1 yes"),)),),
        buttons=(
            Button("Per ilgas", "x" * 101),
            Button("Dvigubas", "/help"),
            Button("Vėl", "/help"),
        ),
    )
    (part,) = render(reply)
    assert [embed.to_dict().get("image", {}).get("url") for embed in part.embeds] == [
        "https://alytus.lt/pasas.png",
        None,
    ]
    assert part.embeds[1].title == "Miesto šventė"
    assert part.view is not None
    assert [item.custom_id for item in part.view.children] == ["/help", "/rsvp 1 yes"]
    assert "• Per ilgas" in part.content


def test_the_role_is_that_of_the_highest_configured_level_reached():
    roles = {2: 20, 3: 30}
    assert [role_for_level(roles, level) for level in (1, 2, 3, 4, 5)] == [None, 20, 30, 30, 30]
