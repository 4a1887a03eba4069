"""The Telegram channel (python-telegram-bot 22): updates in, replies out, nothing else.

An update becomes an Incoming (a button press is its callback data, `/start CODE` deep links
pass through as text); a Reply becomes sendMessage with an inline keyboard, sendPhoto and
sendDocument. In groups the bot answers only when addressed (`/cmd@bot`, `@bot`, or a reply to
it). Webhook (admin/telegram_web.py) and polling (telegram_polling.py) both go through
`TelegramChannel.answer`. No personal data in logs: only update ids and error texts.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import logging
from collections import OrderedDict
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

import httpx
from telegram import (
    BotCommand,
    BotCommandScopeDefault,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import MessageEntityType, ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bots.catalog import LANGUAGES, Catalog, default_catalog
from bots.channels import group_listening
from bots.engine import Engine, guess_language
from bots.messages import Button, Incoming, Link, Reply
from bots.reply_later import keep_for_later
from community.settings import Settings

log = logging.getLogger(__name__)

PLATFORM = "telegram"
MENU = (
    "start",
    "help",
    "profile",
    "points",
    "passport",
    "offers",
    "invite",
    "checkin",
    "leaderboard",
    "language",
    "privacy",
    "cancel",
    "news",
    "link",
)
MAX_TEXT = 4096  # Telegram's limit for one message
MAX_CALLBACK_BYTES = 64  # Telegram's limit for callback_data
LOOPBACK = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}


def make_bot(settings: Settings, *, rate_limited: bool = True, pool: int = 64) -> ExtBot:
    """A PTB bot aimed at ALYTUS_TELEGRAM_API_BASE (PTB appends the token to base_url);
    replies go through PTB's AIORateLimiter (Telegram's overall pace, 20/min per group),
    which also waits as a 429 tells it to, once."""
    assert settings.telegram_token is not None, "ALYTUS_TELEGRAM_TOKEN is not set"
    base = settings.telegram_api_base.rstrip("/")
    return ExtBot(
        settings.telegram_token.get_secret_value(),
        base_url=f"{base}/bot",
        base_file_url=f"{base}/file/bot",
        request=HTTPXRequest(connection_pool_size=pool, pool_timeout=10.0),
        get_updates_request=HTTPXRequest(connection_pool_size=2, read_timeout=60.0),
        rate_limiter=AIORateLimiter(
            overall_max_rate=settings.telegram_rate_per_second, max_retries=1
        )
        if rate_limited
        else None,
    )


def is_loopback(url: str) -> bool:
    return urlsplit(url).hostname in LOOPBACK


# ---- in: update -> Incoming --------------------------------------------------------------------


@dataclass(frozen=True)
class Turn:
    """One update worth answering: what the engine gets, and where the answer goes."""

    incoming: Incoming
    chat_id: int
    callback_query_id: str | None = None
    pressed_message_id: int | None = None


def addressed_text(message: Message, username: str, bot_id: int) -> str | None:
    """A group message's text without the bot's @mention when it is meant for the bot;
    None when it is not (a command for another bot, or talk among members)."""
    text = message.text or message.caption or ""
    mention = f"@{username}".casefold()
    for entity in message.entities or message.caption_entities or ():
        word = text[entity.offset : entity.offset + entity.length]
        if entity.type == MessageEntityType.BOT_COMMAND and word.casefold().endswith(mention):
            return text
        if entity.type == MessageEntityType.MENTION and word.casefold() == mention:
            return (text[: entity.offset] + text[entity.offset + entity.length :]).strip()
        if (
            entity.type == MessageEntityType.TEXT_MENTION
            and entity.user
            and entity.user.id == bot_id
        ):
            return text
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        return text
    return None


def turn_from_update(
    update: Update, *, username: str, bot_id: int, payloads: PayloadKeys
) -> Turn | None:
    """The Incoming for an update, or None for what the bot does not answer."""
    update_id = str(update.update_id)
    query = update.callback_query
    if query is not None and query.data is not None:
        chat_id = query.message.chat.id if query.message else query.from_user.id
        incoming = Incoming(
            platform=PLATFORM,
            user_id=str(query.from_user.id),
            payload=payloads.payload(query.data),
            locale=query.from_user.language_code,
            update_id=update_id,
        )
        pressed = query.message.message_id if query.message else None
        return Turn(incoming, chat_id, query.id, pressed)
    message = update.message
    if message is None or message.from_user is None or message.from_user.is_bot:
        return None
    text: str | None = message.text or message.caption
    if message.chat.type != message.chat.PRIVATE:
        text = addressed_text(message, username, bot_id)
        if text is None:
            return None
    incoming = Incoming(
        platform=PLATFORM,
        user_id=str(message.from_user.id),
        text=text,
        locale=message.from_user.language_code,
        update_id=update_id,
    )
    return Turn(incoming, message.chat.id)


class PayloadKeys:
    """Button payloads longer than Telegram's 64 bytes travel as a short key.

    The mapping lives in this process (bounded); a key it no longer knows reaches the engine
    as an unknown button, which it answers as a stale one."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self.long: OrderedDict[str, str] = OrderedDict()

    def key(self, payload: str) -> str:
        if len(payload.encode()) <= MAX_CALLBACK_BYTES:
            return payload
        key = "#" + hashlib.sha256(payload.encode()).hexdigest()[:24]
        self.long[key] = payload
        self.long.move_to_end(key)
        while len(self.long) > self.size:
            self.long.popitem(last=False)
        return key

    def payload(self, data: str) -> str:
        return self.long.get(data, data)


# ---- out: Reply -> Bot API calls ---------------------------------------------------------------


def keyboard(reply: Reply, payloads: PayloadKeys) -> InlineKeyboardMarkup | None:
    """Buttons one a row (labels are sentences), then links as URL buttons."""
    buttons: list[Button] = [*reply.buttons]
    links: list[Link] = [*reply.links]
    for card in reply.cards:
        buttons += card.buttons
        links += card.links
    rows = [[InlineKeyboardButton(b.label, callback_data=payloads.key(b.payload))] for b in buttons]
    rows += [[InlineKeyboardButton(link.label, url=link.url)] for link in links if _url_ok(link)]
    return InlineKeyboardMarkup(rows) if rows else None


def _url_ok(link: Link) -> bool:
    """Telegram refuses URL buttons it cannot open; those links go into the text instead."""
    return link.url.startswith(("https://", "http://")) and not is_loopback(link.url)


def message_html(reply: Reply) -> str:
    """The reply's text, cards and button-less links as Telegram HTML (everything escaped)."""
    parts = [html.escape(reply.text)]
    for card in reply.cards:
        parts.append(f"<b>{html.escape(card.title)}</b>\n{html.escape(card.text)}".rstrip())
    links = [*reply.links, *(link for card in reply.cards for link in card.links)]
    for link in links:
        if not _url_ok(link):
            parts.append(f"{html.escape(link.label)}: {html.escape(link.url)}")
    return "\n\n".join(part for part in parts if part)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Pieces under Telegram's limit, cut at line ends (never inside an HTML escape)."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut <= 0:
            cut = text.rfind(" ", 0, limit)
        if cut <= 0:
            cut = text.rfind("&", 0, limit) if "&" in text[limit - 8 : limit] else limit
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [*pieces, text] if text else pieces


def _documented_types(update: Update) -> bool:
    """Whether the fields the bot reads have the types the Bot API documents: PTB takes
    `"chat": {"id": []}` or `"data": []` as they come, and the first comparison or lookup
    of one would fail (the public fuzz found both)."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    query = update.callback_query
    numbers = (
        chat.id if chat else 0,
        user.id if user else 0,
        message.message_id if message else 0,
    )
    texts = (
        message.text if message else None,
        message.caption if message else None,
        query.data if query else None,
        query.id if query else None,
        user.language_code if user else None,
        user.username if user else None,
        user.first_name if user else None,
        chat.type if chat else None,
    )
    return all(isinstance(value, int) and not isinstance(value, bool) for value in numbers) and all(
        value is None or isinstance(value, str) for value in texts
    )


class NotYetKnown(Exception):
    """A group message arrived while the Bot API could not say who the bot is (getMe
    failed): whether it is addressed to the bot cannot be told yet, so Telegram should
    deliver it again later (the webhook answers 503)."""


class TelegramChannel:
    """One bot for the process: answers updates through the engine, renders replies."""

    name = PLATFORM

    def __init__(self, settings: Settings, catalog: Catalog | None = None, **bot_options: object):
        self.settings = settings
        self.catalog = catalog or default_catalog()
        self.bot = make_bot(settings, **bot_options)  # type: ignore[arg-type]
        self.payloads = PayloadKeys()
        self._ready = False

    async def start(self) -> None:
        """Initialize the bot once (getMe: its id and username for group mentions)."""
        if not self._ready:
            await self.bot.initialize()
            self._ready = True

    async def close(self) -> None:
        if self._ready:
            await self.bot.shutdown()
            self._ready = False

    @property
    def username(self) -> str:
        return self.settings.telegram_bot_username or self.bot.username

    @property
    def bot_id(self) -> int:
        """The bot's user id from getMe; before getMe answered, the token's first part
        (Telegram's tokens start with the bot's id)."""
        return self.bot.id if self._ready else int(self.bot.token.split(":", 1)[0])

    def _known_username(self) -> str | None:
        if self.settings.telegram_bot_username:
            return self.settings.telegram_bot_username
        return self.bot.username if self._ready else None

    async def set_commands(self) -> None:
        """The command menu in Lithuanian, English, and (Lithuanian) for everyone else."""
        for language in (*LANGUAGES, None):
            menu = [
                BotCommand(
                    name, self.catalog.text(language or LANGUAGES[0], f"telegram.command.{name}")
                )
                for name in MENU
            ]
            await self.bot.set_my_commands(
                menu, scope=BotCommandScopeDefault(), language_code=language
            )

    def parse(self, data: dict) -> Update:
        """A Telegram Update from its JSON; raises ValueError when it is not one."""
        update_id = data.get("update_id") if isinstance(data, dict) else None
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            raise ValueError("not a Telegram update")
        try:
            update = Update.de_json(data, self.bot)
        except (TypeError, KeyError, AttributeError, ValueError, OverflowError, OSError) as error:
            # OSError and OverflowError: a "date" too far off for a timestamp
            raise ValueError("not a Telegram update") from error
        if update is None or not _documented_types(update):
            raise ValueError("not a Telegram update")
        return update

    async def answer(self, engine: Engine, update: Update) -> int:
        """Run one update through the engine and send its replies; how many were sent.

        When the Bot API cannot be reached, the update is still answered: the engine records
        it and its replies wait in the outbox for the delivery worker (Telegram does not
        deliver an update again once the webhook said 200)."""
        try:
            await self.start()
        except NetworkError as error:
            log.warning("telegram: Bot API unreachable (%s); replies will wait", error.message)
        username = self._known_username()
        if username is None and update.effective_chat and update.effective_chat.id < 0:
            raise NotYetKnown()
        turn = turn_from_update(
            update, username=username or "", bot_id=self.bot_id, payloads=self.payloads
        )
        if turn is None:  # not for the bot; a group message may suggest an Alytus connection
            await group_listening.hear_telegram(engine.db, update)
            return 0
        if turn.callback_query_id is not None:
            await self._acknowledge(turn)
        replies = await engine.handle(turn.incoming)
        for place, reply in enumerate(replies):
            sent: list[str] = []
            try:
                await self.send_reply(turn.chat_id, reply, sent)
            except (RetryAfter, NetworkError) as error:
                if isinstance(error, BadRequest):
                    raise  # a refusal of this very message: sending it again would fail too
                # a group's answer waits for the member's private chat with the bot
                log.warning("telegram: reply kept for later: %s", error.message)
                if "photo" in sent:  # the picture went; only what follows it waits
                    replies[place] = replace(reply, image=None)
                for number, later in enumerate(replies[place:], start=place):  # all, in order
                    await asyncio.to_thread(
                        keep_for_later,
                        db=engine.db,
                        platform=turn.incoming.platform,
                        user_id=turn.incoming.user_id,
                        reply=later,
                        occasion=f"{update.update_id}:{number}",
                        language=guess_language(
                            turn.incoming.locale, engine.settings.default_language
                        ),
                    )
                return place
        return len(replies)

    async def _acknowledge(self, turn: Turn) -> None:
        """Stop the button's spinner; in a private chat the pressed keyboard goes away too,
        so an old question cannot be answered twice."""
        try:
            await self.bot.answer_callback_query(turn.callback_query_id)  # type: ignore[arg-type]
            if turn.pressed_message_id is not None and turn.chat_id > 0:
                await self.bot.edit_message_reply_markup(
                    chat_id=turn.chat_id, message_id=turn.pressed_message_id, reply_markup=None
                )
        except TelegramError as error:
            log.info("telegram: callback acknowledgement failed: %s", error.message)

    async def send_reply(
        self, chat_id: int | str, reply: Reply, sent: list[str] | None = None
    ) -> None:
        """A reply as Telegram shows it: photo, text with its keyboard, then a file. `sent`
        learns "photo" once the picture went, for a caller that keeps the rest for later."""
        if reply.image:
            await self.bot.send_photo(chat_id, photo=await self._photo(reply.image))
            if sent is not None:
                sent.append("photo")
        pieces = split_text(message_html(reply)) or ["…"]
        markup = keyboard(reply, self.payloads)
        for number, piece in enumerate(pieces, start=1):
            await self.bot.send_message(
                chat_id,
                piece,
                parse_mode=ParseMode.HTML,
                reply_markup=markup if number == len(pieces) else None,
            )
        if reply.file is not None:
            await self.bot.send_document(
                chat_id,
                document=reply.file.content.encode(),
                filename=reply.file.name,
            )

    async def _photo(self, url: str) -> str | bytes:
        """Telegram fetches photo URLs itself; it cannot reach a loopback server, so then
        the bytes are uploaded instead."""
        if not is_loopback(url):
            return url
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.get(url)
            response.raise_for_status()
            return response.content
