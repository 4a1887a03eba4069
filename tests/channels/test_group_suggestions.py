"""Group messages become suggestions for staff, and nothing is sent to anyone.

Telegram: the bot talks to tests/fakes/telegram_api.py, a local server on 127.0.0.1 that
speaks the documented Bot API (https://core.telegram.org/bots/api); the updates are real
supergroup message payloads shaped as in Telegram's documentation, parsed by the channel
(`TelegramChannel.parse`) and passed through the channel's own conversion
(`turn_from_update`) exactly as the adapter will: a message the bot does not answer goes to
`group_listening.hear_telegram`. Discord: real discord.py Message objects built from
payloads shaped as in Discord's documentation (tests/fakes/discord_api.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import discord
import pytest
from pydantic import SecretStr
from sqlmodel import select
from telegram import Update

from bots.channels.group_listening import from_discord, from_telegram, hear_discord, hear_telegram
from bots.channels.telegram import TelegramChannel, turn_from_update
from bots.engine import Engine
from community.database import Database
from community.models import GroupSuggestion, Member
from community.settings import Settings
from tests.fakes import discord_api
from tests.fakes.telegram_api import FakeTelegram, group_text_update, private_text_update

TOKEN = "123456789:AAF-test-token"
BOT = "alytus_test_bot"
GROUP = -1001234567890
ALYTUS = "Labas! Aš iš Alytaus, baigiau Jotvingių gimnaziją, dabar gyvenu Osle."
SMALL_TALK = "Kas šeštadienį eina į krepšinį?"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTelegram]:
    server = FakeTelegram.start(token=TOKEN, bot_username=BOT)
    yield server
    server.stop()


@pytest.fixture
def channel(fake: FakeTelegram, settings: Settings) -> Iterator[TelegramChannel]:
    fake.reset()
    pointed = settings.model_copy(
        update={"telegram_token": SecretStr(TOKEN), "telegram_api_base": fake.base_url}
    )
    yield TelegramChannel(pointed)


def through_adapter(channel: TelegramChannel, engine: Engine, *updates: Update) -> list[int | None]:
    """Each update through `adapter`, in one event loop (the bot's HTTP client lives in it)."""

    async def run() -> list[int | None]:
        try:
            return [await adapter(channel, engine, update) for update in updates]
        finally:
            await channel.close()

    return asyncio.run(run())


async def adapter(channel: TelegramChannel, engine: Engine, update: Update) -> int | None:
    """What TelegramChannel.answer does with the listening line added: answer what is meant
    for the bot, hand every other group message to group listening."""
    await channel.start()
    turn = turn_from_update(
        update, username=channel.username, bot_id=channel.bot.id, payloads=channel.payloads
    )
    if turn is None:
        return await hear_telegram(engine.db, update)
    await channel.answer(engine, update)
    return None


def suggestions(db: Database) -> list[GroupSuggestion]:
    with db.session() as session:
        found = list(session.exec(select(GroupSuggestion).order_by(GroupSuggestion.id)))
        for row in found:
            session.expunge(row)
        return found


def test_a_group_message_with_an_alytus_connection_becomes_a_suggestion_and_nothing_is_sent(
    channel: TelegramChannel, fake: FakeTelegram, engine: Engine, db: Database
):
    small_talk = channel.parse(group_text_update(601, SMALL_TALK, chat_id=GROUP))
    alytus = channel.parse(group_text_update(60200, ALYTUS, chat_id=GROUP))

    first, second = through_adapter(channel, engine, small_talk, alytus)
    assert first is None and second is not None
    [kept] = suggestions(db)
    assert kept.id == second
    assert (kept.platform, kept.chat_id, kept.chat_title) == (
        "telegram",
        str(GROUP),
        "Alytiškiai pasaulyje",
    )
    assert (kept.author_id, kept.author_name, kept.author_handle) == ("60200", "Jonas", "u60200")
    assert kept.excerpt == ALYTUS and kept.score >= 0.6
    assert {item["kind"] for item in kept.evidence} == {"origin", "school"}
    assert fake.sent() == []  # nothing to the group, nothing to the author
    with db.session() as session:  # and the author did not become a member
        assert session.exec(select(Member)).all() == []


def test_a_redelivered_update_is_one_suggestion(
    channel: TelegramChannel, engine: Engine, db: Database
):
    update = channel.parse(group_text_update(603, ALYTUS, chat_id=GROUP))
    assert through_adapter(channel, engine, update, update)[1] is None
    assert len(suggestions(db)) == 1


def test_messages_for_the_bot_are_answered_not_suggested(
    channel: TelegramChannel, fake: FakeTelegram, engine: Engine, db: Database
):
    update = channel.parse(group_text_update(604, f"@{BOT} /help {ALYTUS}", chat_id=GROUP))
    assert through_adapter(channel, engine, update) == [None]
    assert len(fake.sent("sendMessage", chat_id=GROUP)) == 1
    assert suggestions(db) == []


def test_private_chats_and_bots_are_not_group_messages(channel: TelegramChannel):
    assert from_telegram(channel.parse(private_text_update(605, ALYTUS))) is None
    payload = group_text_update(606, ALYTUS)
    payload["message"]["from"]["is_bot"] = True
    assert from_telegram(channel.parse(payload)) is None


def discord_message(content: str, *, bot: bool = False, in_guild: bool = True) -> discord.Message:
    client = discord.Client(intents=discord.Intents.none())
    state = client._connection
    guild_id = discord_api.snowflake()
    author = discord_api.user(discord_api.snowflake(), "ona.d", bot=bot)
    if not in_guild:
        channel_id = discord_api.snowflake()
        dm = discord.DMChannel(
            me=None,  # type: ignore[arg-type]
            state=state,
            data=discord_api.dm_channel(channel_id, author),  # type: ignore[arg-type]
        )
        data = discord_api.dm_message(author, content, channel_id=channel_id)
        return discord.Message(state=state, channel=dm, data=data)  # type: ignore[arg-type]
    guild = discord.Guild(data={"id": guild_id, "name": "Lithuanians in Ireland"}, state=state)  # type: ignore[typeddict-item]
    text_channel = discord.TextChannel(
        state=state,
        guild=guild,
        data={  # type: ignore[typeddict-item]
            "id": discord_api.snowflake(),
            "type": 0,
            "name": "general",
            "position": 0,
            "guild_id": guild_id,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
        },
    )
    data = discord_api.message(
        channel_id=str(text_channel.id), author=author, content=content, guild_id=guild_id
    )
    return discord.Message(state=state, channel=text_channel, data=data)  # type: ignore[arg-type]


def test_a_discord_server_message_becomes_a_suggestion(db: Database):
    message = discord_message("I grew up in Alytus, Dainava district, now in Dublin.")
    found = asyncio.run(hear_discord(db, message))
    assert found is not None
    [kept] = suggestions(db)
    assert kept.platform == "discord" and kept.chat_title == "Lithuanians in Ireland #general"
    assert kept.author_handle == "ona.d" and kept.author_id == str(message.author.id)
    assert from_discord(discord_message("Alytiškiai Dubline!", bot=True)) is None
    assert from_discord(discord_message("Alytiškiai Dubline!", in_guild=False)) is None
