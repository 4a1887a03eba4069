"""The Discord channel end to end: discord.py connects to a local Discord, publishes the
slash commands, answers interactions, DMs and button presses, and keeps server roles in
step with a member's level.

The bot talks to tests/fakes/discord_api.py, a local server on 127.0.0.1 that speaks the
documented HTTP API and Gateway; the events are real payloads shaped as in Discord's
documentation (an application-command interaction, a component interaction, a DM
MESSAGE_CREATE). Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from pydantic import SecretStr

from bots.catalog import default_catalog
from bots.channels.discord import run_gateway
from bots.engine import Engine
from bots.messages import Attachment, Incoming, Link, Reply
from community.database import Database
from community.members import find_member
from community.settings import Settings
from rewards.journal import award
from tests.fakes.discord_api import (
    FakeDiscord,
    command_interaction,
    component_interaction,
    dm_message,
    message,
    snowflake,
    user,
)

TOKEN = "MTA5ODc2NTQzMjEwOTg3NjU0Mw.GhIjKl.fake-token-for-tests"
ROLES = {1: "1300000000000000001", 2: "1300000000000000002", 3: "1300000000000000003"}
STAFF_ROLE = "1300000000000000099"


class RecordingEngine(Engine):
    """The real engine, remembering what each channel event became."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seen: list[Incoming] = []

    async def handle(self, incoming: Incoming) -> list[Reply]:
        self.seen.append(incoming)
        return await super().handle(incoming)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server


@pytest.fixture
def discord_settings(settings: Settings, fake: FakeDiscord) -> Settings:
    return settings.model_copy(
        update={"discord_token": SecretStr(TOKEN), "discord_api_base": fake.api_base}
    )


@pytest.fixture
def discord_engine(db: Database, discord_settings: Settings) -> RecordingEngine:
    return RecordingEngine(db=db, settings=discord_settings)


@asynccontextmanager
async def gateway(engine: Engine, settings: Settings, fake: FakeDiscord) -> AsyncIterator[None]:
    """run_gateway as `alytus bots` runs it, stopped cleanly at the end."""
    stop = asyncio.Event()
    task = asyncio.create_task(run_gateway(engine, settings, stop))
    done, _ = await asyncio.wait(
        {task, asyncio.create_task(fake.identified.wait())},
        timeout=15,
        return_when=asyncio.FIRST_COMPLETED,
    )
    if task in done:
        task.result()  # raise what stopped the gateway early
    assert fake.identified.is_set(), "the client never identified on the gateway"
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


def custom_ids(body: dict[str, Any]) -> list[str]:
    return [
        component["custom_id"]
        for row in body.get("components", [])
        for component in row["components"]
        if "custom_id" in component
    ]


async def test_the_bot_connects_and_publishes_the_slash_commands_in_both_languages(
    discord_engine: Engine, discord_settings: Settings, fake: FakeDiscord
):
    async with gateway(discord_engine, discord_settings, fake):
        (sync,) = await fake.wait_for("PUT", rf"/applications/{fake.application_id}/commands")
    commands = {command["name"]: command for command in sync.json}
    assert set(commands) == {"ask", "profile", "points", "passport", "invite", "events", "language"}
    assert commands["points"]["name_localizations"] == {"lt": "taskai"}
    assert commands["points"]["description_localizations"]["lt"].startswith("Jūsų taškai")
    assert commands["events"]["name_localizations"] == {"lt": "renginiai"}
    (question,) = commands["ask"]["options"]
    assert question["name"] == "question" and question["required"] is True
    assert question["name_localizations"] == {"lt": "klausimas"}
    assert fake.identify is not None and fake.identify["token"] == TOKEN
    guilds, direct_messages, message_content = 1 << 0, 1 << 12, 1 << 15
    intents = fake.identify["intents"]
    assert intents & guilds and intents & direct_messages and intents & message_content


async def test_points_for_a_new_member_says_join_first_with_a_join_button(
    discord_engine: RecordingEngine, discord_settings: Settings, fake: FakeDiscord
):
    member = user(snowflake(), "ona")
    event = command_interaction(
        "points", member, application_id=fake.application_id, channel_id=snowflake()
    )
    async with gateway(discord_engine, discord_settings, fake):
        await fake.dispatch("INTERACTION_CREATE", event)
        (edit,) = await fake.wait_for("PATCH", r"/webhooks/\d+/[^/]+/messages/@original")
    (callback,) = fake.calls_to("POST", rf"/interactions/{event['id']}/{event['token']}/callback")
    assert callback.json["type"] == 5  # deferred: "thinking" while the engine answers
    assert edit.path == f"/webhooks/{fake.application_id}/{event['token']}/messages/@original"
    assert edit.json["content"] == default_catalog().text("lt", "profile.not_member")
    assert custom_ids(edit.json) == ["/start"]
    assert discord_engine.seen == [
        Incoming("discord", member["id"], text="/points", locale="lt", update_id=event["id"])
    ]


async def test_slash_commands_in_a_server_are_answered_privately(
    discord_engine: RecordingEngine, discord_settings: Settings, fake: FakeDiscord
):
    member = user(snowflake(), "jonas")
    event = command_interaction(
        "events",
        member,
        application_id=fake.application_id,
        channel_id=snowflake(),
        guild_id=fake.guild_id,
        locale="en-GB",
    )
    async with gateway(discord_engine, discord_settings, fake):
        await fake.dispatch("INTERACTION_CREATE", event)
        await fake.wait_for("PATCH", r"/webhooks/\d+/[^/]+/messages/@original")
    (callback,) = fake.calls_to("POST", r"/interactions/\d+/[^/]+/callback")
    assert callback.json == {"type": 5, "data": {"flags": 64}}  # ephemeral
    (seen,) = discord_engine.seen
    assert (seen.text, seen.locale) == ("/news", "en-GB")


async def test_ask_sends_the_question_to_the_engine_as_text(
    discord_engine: RecordingEngine, discord_settings: Settings, fake: FakeDiscord
):
    member = user(snowflake(), "rasa")
    event = command_interaction(
        "ask",
        member,
        application_id=fake.application_id,
        channel_id=snowflake(),
        options={"question": "kaip uzregistruoti vaika i darzeli"},
    )
    async with gateway(discord_engine, discord_settings, fake):
        await fake.dispatch("INTERACTION_CREATE", event)
        await fake.wait_for("PATCH", r"/webhooks/\d+/[^/]+/messages/@original")
    assert [seen.text for seen in discord_engine.seen] == ["kaip uzregistruoti vaika i darzeli"]


async def test_a_direct_message_start_gets_the_language_question_with_two_buttons(
    discord_engine: Engine, discord_settings: Settings, fake: FakeDiscord
):
    member = user(snowflake(), "ona")
    channel_id = snowflake()
    async with gateway(discord_engine, discord_settings, fake):
        await fake.dispatch("MESSAGE_CREATE", dm_message(member, "/start", channel_id=channel_id))
        (sent,) = await fake.wait_for("POST", rf"/channels/{channel_id}/messages")
    assert "Kokia kalba kalbėsime?" in sent.json["content"]
    assert custom_ids(sent.json) == ["lang:lt", "lang:en"]


async def test_pressing_a_button_advances_onboarding(
    discord_engine: Engine, discord_settings: Settings, fake: FakeDiscord
):
    member = user(snowflake(), "emily")
    channel_id = snowflake()
    async with gateway(discord_engine, discord_settings, fake):
        await fake.dispatch("MESSAGE_CREATE", dm_message(member, "/start", channel_id=channel_id))
        (sent,) = await fake.wait_for("POST", rf"/channels/{channel_id}/messages")
        on_message = message(
            channel_id=channel_id,
            author=fake.bot,
            content=sent.json["content"],
            components=sent.json["components"],
        )
        press = component_interaction(
            "lang:en",
            member,
            application_id=fake.application_id,
            channel_id=channel_id,
            on_message=on_message,
            locale="en-US",
        )
        await fake.dispatch("INTERACTION_CREATE", press)
        (followup,) = await fake.wait_for("POST", rf"/webhooks/{fake.application_id}/[^/]+")
    (callback,) = fake.calls_to("POST", rf"/interactions/{press['id']}/[^/]+/callback")
    assert callback.json == {"type": 6}  # the press is acknowledged, the answer follows
    assert "Do you agree?" in followup.json["content"]
    assert "consent:membership" in custom_ids(followup.json)


async def test_server_messages_that_do_not_mention_the_bot_are_ignored(
    discord_engine: RecordingEngine, discord_settings: Settings, fake: FakeDiscord
):
    member = user(snowflake(), "petras")
    guild_channel = snowflake()
    chatter = message(
        channel_id=guild_channel, author=member, content="/start", guild_id=fake.guild_id
    )
    dm_channel = snowflake()
    async with gateway(discord_engine, discord_settings, fake):
        await fake.dispatch("MESSAGE_CREATE", chatter)
        await fake.dispatch("MESSAGE_CREATE", dm_message(member, "/start", channel_id=dm_channel))
        await fake.wait_for("POST", rf"/channels/{dm_channel}/messages")
    assert fake.calls_to("POST", rf"/channels/{guild_channel}/messages") == []
    assert len(discord_engine.seen) == 1


async def test_server_roles_follow_the_members_level(
    db: Database, discord_settings: Settings, fake: FakeDiscord
):
    settings = discord_settings.model_copy(
        update={
            "discord_guild_id": int(fake.guild_id),
            "discord_level_roles": {level: int(role) for level, role in ROLES.items()},
        }
    )
    engine = Engine(db=db, settings=settings)
    member = user(snowflake(), "ona")
    fake.guild_members[member["id"]] = {ROLES[3], STAFF_ROLE}  # a stale role, and staff's own
    roles_path = rf"/guilds/{fake.guild_id}/members/{member['id']}/roles/\d+"
    channel_id = snowflake()
    async with gateway(engine, settings, fake):
        await fake.dispatch("MESSAGE_CREATE", dm_message(member, "/start", channel_id=channel_id))
        await fake.wait_for("POST", rf"/channels/{channel_id}/messages")
        # the language chosen: now a member (a /start alone keeps nothing), at level 1
        await fake.dispatch("MESSAGE_CREATE", dm_message(member, "lietuviu", channel_id=channel_id))
        await fake.wait_for("DELETE", roles_path)
        assert fake.guild_members[member["id"]] == {ROLES[1], STAFF_ROLE}

        with db.session() as session:
            found = find_member(session=session, platform="discord", user_id=member["id"])
            assert found is not None and found.id is not None
            award(
                session=session,
                settings=settings,
                member_id=found.id,
                rule="manual",
                key="discord-test",
                points=150,
                reason="helped at the city celebration",
            )
        points = command_interaction(
            "points", member, application_id=fake.application_id, channel_id=channel_id
        )
        await fake.dispatch("INTERACTION_CREATE", points)
        await fake.wait_for("DELETE", roles_path, count=2)
    changes = [(call.method, call.path.rsplit("/", 1)[1]) for call in fake.calls]
    changes = [change for change in changes if change[0] in ("PUT", "DELETE")][1:]  # not commands
    assert changes == [
        ("PUT", ROLES[1]),
        ("DELETE", ROLES[3]),
        ("PUT", ROLES[2]),
        ("DELETE", ROLES[1]),
    ]
    assert fake.guild_members[member["id"]] == {ROLES[2], STAFF_ROLE}


async def test_a_user_who_is_not_in_the_server_gets_no_roles(
    discord_engine: Engine, discord_settings: Settings, fake: FakeDiscord
):
    settings = discord_settings.model_copy(
        update={"discord_guild_id": int(fake.guild_id), "discord_level_roles": {1: 1, 2: 2}}
    )
    member = user(snowflake(), "svecias")
    channel_id = snowflake()
    async with gateway(discord_engine, settings, fake):
        # "lietuviu" answers the first question: a member (a /start alone keeps nothing)
        await fake.dispatch("MESSAGE_CREATE", dm_message(member, "lietuviu", channel_id=channel_id))
        await fake.wait_for("GET", rf"/guilds/{fake.guild_id}/members/{member['id']}")
    assert fake.calls_to("PUT", r"/guilds/.*") == []


async def test_a_mention_in_the_server_is_answered_in_its_channel(
    discord_engine: RecordingEngine, discord_settings: Settings, fake: FakeDiscord
):
    member = user(snowflake(), "petras")
    channel_id = snowflake()
    mention = message(
        channel_id=channel_id,
        author=member,
        content=f"<@{fake.application_id}> /start",
        guild_id=fake.guild_id,
        mentions=[fake.bot],
    )
    async with gateway(discord_engine, discord_settings, fake):
        await fake.dispatch("MESSAGE_CREATE", mention)
        (sent,) = await fake.wait_for("POST", rf"/channels/{channel_id}/messages")
    assert [seen.text for seen in discord_engine.seen] == ["/start"]
    assert custom_ids(sent.json) == ["lang:lt", "lang:en"]


class CannedEngine(Engine):
    """An engine that answers every message with the same replies (to see them rendered)."""

    def __init__(self, replies: list[Reply], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.replies = replies

    async def handle(self, incoming: Incoming) -> list[Reply]:
        return self.replies


async def test_files_images_and_links_arrive_as_attachments_embeds_and_link_buttons(
    db: Database, discord_settings: Settings, fake: FakeDiscord
):
    export = Attachment(name="duomenys.json", mime="application/json", content='{"id": 1}')
    replies = [
        Reply(text="Jūsų duomenys", file=export),
        Reply(
            text="Jūsų pasas",
            image="https://connect.alytus.test/passport/1.png",
            links=(Link("Patikrinti", "https://connect.alytus.test/passport/verify"),),
        ),
    ]
    engine = CannedEngine(replies, db=db, settings=discord_settings)
    event = command_interaction(
        "profile", user(snowflake(), "ona"), application_id=fake.application_id, channel_id="1"
    )
    async with gateway(engine, discord_settings, fake):
        await fake.dispatch("INTERACTION_CREATE", event)
        (followup,) = await fake.wait_for("POST", rf"/webhooks/{fake.application_id}/[^/]+")
    (edit,) = fake.calls_to("PATCH", r"/webhooks/\d+/[^/]+/messages/@original")
    assert edit.json["content"] == "Jūsų duomenys"
    assert [a["filename"] for a in edit.json["attachments"]] == ["duomenys.json"]
    assert list(edit.files.values()) == [b'{"id": 1}']
    assert followup.json["embeds"][0]["image"]["url"].endswith("/passport/1.png")
    (button,) = followup.json["components"][0]["components"]
    assert (button["style"], button["url"]) == (5, "https://connect.alytus.test/passport/verify")


async def test_the_client_keeps_the_gateway_alive_with_heartbeats(
    discord_engine: Engine, discord_settings: Settings
):
    async with FakeDiscord(heartbeat_interval_ms=100) as fast:
        settings = discord_settings.model_copy(update={"discord_api_base": fast.api_base})
        async with gateway(discord_engine, settings, fast):
            for _ in range(200):
                if fast.heartbeats >= 2:
                    break
                await asyncio.sleep(0.02)
        assert fast.heartbeats >= 2


async def test_replies_discord_cannot_take_wait_for_the_worker(
    live_database_url: str, discord_settings: Settings, fake: FakeDiscord
):
    """Discord's API answers 503 (an outage) to the reply: it waits in the outbox, and the
    delivery worker sends it to the member's DMs once Discord is back. Before, it was lost
    with the exception. (Interactions go through the same code; discord.py itself retries
    their 5xx for 25 s first.) A database of its own: the test reads it while the gateway
    writes."""
    from admin.schema import SCHEMAS
    from bots.channels.discord_push import DiscordPush
    from bots.push_delivery import deliver_notifications
    from community.database import make_engine, migrate

    migrate(live_database_url, SCHEMAS)
    db = Database(make_engine(live_database_url))
    discord_engine = Engine(db=db, settings=discord_settings)

    member = user(snowflake(), "ona")
    channel_id = snowflake()
    fake.fail("POST", rf"/channels/{channel_id}/messages", 503, {"message": "outage"})
    async with gateway(discord_engine, discord_settings, fake):
        await fake.dispatch("MESSAGE_CREATE", dm_message(member, "/start", channel_id=channel_id))
        await wait_until(lambda: queued(db, member["id"]) == 1)

    before = len(fake.calls_to("POST", r"/channels/\d+/messages"))
    push = DiscordPush(discord_settings)
    try:
        report = await deliver_notifications(
            db=db, settings=discord_settings, channels={"discord": push}, catalog=default_catalog()
        )
    finally:
        await push.aclose()
    assert report.sent == 1
    later = [call.json["content"] for call in fake.calls_to("POST", r"/channels/\d+/messages")]
    assert len(later) == before + 1 and "Which language" in later[-1]


async def wait_until(condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "the condition never held"
        await asyncio.sleep(0.05)


def queued(db: Database, discord_user: str) -> int:
    """Notifications waiting for this Discord user's member."""
    from sqlmodel import func, select

    from community.models import Notification

    with db.session() as session:
        found = find_member(session=session, platform="discord", user_id=discord_user)
        if found is None:
            return 0
        count = select(func.count()).where(Notification.member_id == found.id)
        return session.exec(count).one()
