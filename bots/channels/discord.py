"""The Discord channel (discord.py 2): the gateway, slash commands, direct messages, buttons
as components, and server roles that follow a member's level.

Slash commands, DMs, mentions in a server and button presses become Incoming messages; the
engine's replies go back as interaction responses or messages (see discord_render). Writing
to a member first is DiscordPush's (REST, no gateway). `run_gateway` is what `alytus bots`
runs; ALYTUS_DISCORD_API_BASE points REST (and, through GET /gateway/bot, the gateway) at
another server, e.g. the fake one the tests run.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.app_commands import locale_str
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bots.catalog import Catalog
from bots.channels import group_listening
from bots.channels.discord_push import DiscordPush
from bots.channels.discord_render import DiscordMessage, render
from bots.channels.discord_roles import level_of, role_for_level, sync_level_role
from bots.engine import Engine, guess_language
from bots.messages import Incoming, Reply
from bots.reply_later import keep_for_later
from community.settings import Settings

__all__ = ["DiscordPush", "DiscordBot", "role_for_level", "run_gateway", "sync_level_role"]

log = logging.getLogger(__name__)

PLATFORM = "discord"
# Slash command -> the typed command the engine understands (/ask sends its question).
COMMANDS = {
    "profile": "/profile",
    "points": "/points",
    "passport": "/passport",
    "invite": "/invite",
    "events": "/news",
    "language": "/language",
}
Answer = Callable[[discord.Interaction, Incoming], Awaitable[None]]
Send = Callable[[int, DiscordMessage], Awaitable[None]]


class CatalogTranslator(app_commands.Translator):
    """Slash command names and descriptions in Lithuanian, from the message catalogues
    (English is the default Discord shows everyone else)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    async def translate(
        self,
        string: locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        key = string.extras.get("key")
        if key is None or locale is not discord.Locale.lithuanian:
            return None
        return self.catalog.text("lt", key)


def catalog_str(catalog: Catalog, key: str) -> locale_str:
    """The English text of a key, remembering the key for the translator."""
    return locale_str(catalog.text("en", key), key=key)


def incoming_from_interaction(
    interaction: discord.Interaction, *, text: str | None = None, payload: str | None = None
) -> Incoming:
    return Incoming(
        platform=PLATFORM,
        user_id=str(interaction.user.id),
        text=text,
        payload=payload,
        locale=interaction.locale.value,
        update_id=str(interaction.id),
    )


def add_commands(tree: app_commands.CommandTree, catalog: Catalog, answer: Answer) -> None:
    """/ask and the commands that stand for the engine's typed commands."""

    async def ask(interaction: discord.Interaction, question: str) -> None:
        await answer(interaction, incoming_from_interaction(interaction, text=question))

    ask = app_commands.rename(question=catalog_str(catalog, "discord.option_question"))(ask)
    ask = app_commands.describe(
        question=catalog_str(catalog, "discord.option_question_description")
    )(ask)
    tree.add_command(_command(catalog, "ask", ask))
    for name, typed in COMMANDS.items():
        tree.add_command(_command(catalog, name, _typed_command(answer, typed)))


def _command(
    catalog: Catalog, name: str, callback: Callable[..., Awaitable[None]]
) -> app_commands.Command[Any, Any, None]:
    return app_commands.Command(
        name=catalog_str(catalog, f"discord.command_{name}"),
        description=catalog_str(catalog, f"discord.command_{name}_description"),
        callback=callback,
    )


def _typed_command(answer: Answer, typed: str) -> Callable[[discord.Interaction], Awaitable[None]]:
    async def command(interaction: discord.Interaction) -> None:
        await answer(interaction, incoming_from_interaction(interaction, text=typed))

    return command


class DiscordBot(discord.Client):
    """The gateway adapter: converts Discord events to Incoming and replies back."""

    def __init__(self, *, engine: Engine, settings: Settings, **options: object) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.dm_messages = True
        intents.guild_messages = True  # to hear mentions of the bot in the server
        intents.message_content = True
        super().__init__(intents=intents, **options)  # type: ignore[arg-type]
        self.engine = engine
        self.settings = settings
        self.tree = app_commands.CommandTree(self)
        add_commands(self.tree, engine.catalog, self.answer_command)

    async def setup_hook(self) -> None:
        """After login, before the gateway: find the gateway of a non-default API, then
        publish the slash commands (bulk overwrite, so removed commands disappear)."""
        if self.settings.discord_api_base:
            _, url, _ = await self.http.get_bot_gateway()
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
        await self.tree.set_translator(CatalogTranslator(self.engine.catalog))
        await self.tree.sync()

    async def answer_command(self, interaction: discord.Interaction, incoming: Incoming) -> None:
        """A slash command: show "thinking", then the engine's replies (private in a server)."""
        private = interaction.guild_id is not None
        deferred = await _unless_unreachable(
            interaction.response.defer(thinking=True, ephemeral=private)
        )
        replies = await self.engine.handle(incoming)
        if not replies:  # a redelivered interaction, already answered
            if deferred:
                await _unless_unreachable(interaction.delete_original_response())
            return

        async def send(place: int, message: DiscordMessage) -> None:
            if place == 0:
                await interaction.edit_original_response(**_edit_kwargs(message))
            else:
                await interaction.followup.send(**message.send_kwargs(), ephemeral=private)

        await self._send_or_keep(incoming, replies, send if deferred else None)
        await self.follow_level(incoming.user_id)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """A pressed button: its custom_id is the payload."""
        if interaction.type is not discord.InteractionType.component or interaction.data is None:
            return
        custom_id = interaction.data.get("custom_id")
        if not custom_id:
            return
        deferred = await _unless_unreachable(interaction.response.defer())
        incoming = incoming_from_interaction(interaction, payload=str(custom_id))
        private = interaction.guild_id is not None

        async def send(_: int, message: DiscordMessage) -> None:
            await interaction.followup.send(**message.send_kwargs(), ephemeral=private)

        replies = await self.engine.handle(incoming)
        await self._send_or_keep(incoming, replies, send if deferred else None)
        await self.follow_level(incoming.user_id)

    async def on_message(self, message: discord.Message) -> None:
        """Direct messages, and messages in a server that mention the bot."""
        if message.author.bot or self.user is None:
            return
        text = message.content
        if not isinstance(message.channel, discord.DMChannel):
            if self.user not in message.mentions:
                # not for the bot; it may suggest an Alytus connection to staff (never a contact)
                await group_listening.hear_discord(self.engine.db, message)
                return
            text = re.sub(rf"<@!?{self.user.id}>", "", text).strip()
        incoming = Incoming(
            platform=PLATFORM,
            user_id=str(message.author.id),
            text=text,
            update_id=str(message.id),
        )

        async def send(_: int, part: DiscordMessage) -> None:
            await message.channel.send(**part.send_kwargs())

        await self._send_or_keep(incoming, await self.engine.handle(incoming), send)
        await self.follow_level(incoming.user_id)

    async def _send_or_keep(
        self, incoming: Incoming, replies: list[Reply], send: Send | None
    ) -> None:
        """Send the replies in order; when Discord cannot be reached (a 5xx, a network
        error) the reply that failed and those after it wait in the outbox, and the delivery
        worker sends them to the member's DMs. `send` None: Discord was unreachable already."""
        place = 0
        for number, reply in enumerate(replies):
            try:
                if send is None:
                    raise ConnectionError("Discord was unreachable")
                for message in render(reply):
                    await send(place, message)
                    place += 1
            except (discord.DiscordServerError, aiohttp.ClientError, OSError) as error:
                log.warning("discord: replies kept for later: %s", error)
                for later_number, later in enumerate(replies[number:], start=number):
                    await asyncio.to_thread(
                        keep_for_later,
                        db=self.engine.db,
                        platform=PLATFORM,
                        user_id=incoming.user_id,
                        reply=later,
                        occasion=f"{incoming.update_id}:{later_number}",
                        language=guess_language(incoming.locale, self.settings.default_language),
                    )
                return

    async def follow_level(self, discord_user_id: str) -> None:
        """Keep the member's server role in step with their level."""
        if self.settings.discord_guild_id is None or not self.settings.discord_level_roles:
            return
        level = await level_of(self.engine.db, discord_user_id)
        if level is None:
            return
        try:
            await sync_level_role(self, self.settings, discord_user_id, level)
        except discord.HTTPException as error:  # e.g. the bot lacks Manage Roles
            log.warning("discord role not synced: %s", error)


async def _unless_unreachable(call: Awaitable[object]) -> bool:
    """Await a Discord call; False when Discord could not be reached (nothing raised)."""
    try:
        await call
    except (discord.DiscordServerError, aiohttp.ClientError, OSError) as error:
        log.warning("discord: unreachable: %s", error)
        return False
    return True


def _edit_kwargs(message: DiscordMessage) -> dict[str, Any]:
    """Editing a message takes its files as `attachments`."""
    kwargs = message.send_kwargs()
    if "file" in kwargs:
        kwargs["attachments"] = [kwargs.pop("file")]
    return kwargs


@contextmanager
def discord_api(api_base: str | None) -> Iterator[None]:
    """Point discord.py at another API (class attributes, so restored afterwards)."""
    saved = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    if api_base:
        Route.BASE = api_base.rstrip("/")
    try:
        yield
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved


async def run_gateway(
    engine: Engine, settings: Settings, stop: asyncio.Event, **options: object
) -> None:
    """Connect to Discord's gateway and answer members until `stop` is set.

    `options` go to discord.Client (e.g. guild_ready_timeout)."""
    if settings.discord_token is None:
        raise ValueError("ALYTUS_DISCORD_TOKEN is not set")
    token = settings.discord_token.get_secret_value()
    with discord_api(settings.discord_api_base):
        bot = DiscordBot(engine=engine, settings=settings, **options)
        async with bot:
            running = asyncio.create_task(bot.start(token))
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            await bot.close()
            if not stop.is_set():
                await running  # a failed login or a fatal gateway close is raised here
                return
            try:
                await running
            except Exception:  # closed under a login or connect still in progress
                log.debug("discord gateway stopped while connecting", exc_info=True)
