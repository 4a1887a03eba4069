"""Listening in group chats: a Telegram group or Discord server message that is not meant
for the bot is handed to community.suggestions, which keeps it for staff only when it
suggests an Alytus connection. Nothing is ever sent: not to the group, not to the author.

The adapters call `hear_telegram(db, update)` and `hear_discord(db, message)` for the
group messages they do not answer; the bot hears them only where it may read them (a
Telegram bot with privacy mode off or an administrator, a Discord bot with the message
content intent and the channel's read permission). No text is logged.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Chat, Update

from community.database import Database
from community.suggestions import GroupMessage, note_group_message

log = logging.getLogger(__name__)

GROUP_CHATS = (Chat.GROUP, Chat.SUPERGROUP)


def from_telegram(update: Update) -> GroupMessage | None:
    """A group or supergroup message by a person, with text; None for anything else."""
    message = update.message
    if message is None or message.chat.type not in GROUP_CHATS:
        return None
    author = message.from_user
    if author is None or author.is_bot:
        return None
    text = message.text or message.caption
    if not text:
        return None
    return GroupMessage(
        platform="telegram",
        chat_id=str(message.chat.id),
        chat_title=message.chat.title or "",
        message_id=str(message.message_id),
        author_id=str(author.id),
        author_name=author.full_name,
        author_handle=author.username,
        text=text,
    )


def from_discord(message: Any) -> GroupMessage | None:
    """A message in a server's channel by a person, with text (a discord.Message); None for
    direct messages, bots and empty messages."""
    guild = getattr(message, "guild", None)
    author = message.author
    if guild is None or getattr(author, "bot", False) or not (message.content or "").strip():
        return None
    channel = message.channel
    title = f"{guild.name} #{getattr(channel, 'name', '')}".rstrip(" #")
    return GroupMessage(
        platform="discord",
        chat_id=str(channel.id),
        chat_title=title,
        message_id=str(message.id),
        author_id=str(author.id),
        author_name=str(getattr(author, "display_name", "") or author.name),
        author_handle=str(author.name) if getattr(author, "name", None) else None,
        text=message.content,
    )


def note(db: Database, message: GroupMessage) -> int | None:
    """Score and maybe keep one group message; the suggestion's id, or None."""
    with db.session() as session:
        suggestion = note_group_message(session, message)
        return suggestion.id if suggestion is not None else None


async def hear(db: Database, message: GroupMessage | None) -> int | None:
    """`note` off the event loop; a failure is logged, never raised into the adapter."""
    if message is None:
        return None
    try:
        return await asyncio.to_thread(note, db, message)
    except Exception:  # listening must never break answering
        log.exception("group message %s/%s not noted", message.platform, message.message_id)
        return None


async def hear_telegram(db: Database, update: Update) -> int | None:
    """For TelegramChannel.answer: a group message the bot does not answer."""
    return await hear(db, from_telegram(update))


async def hear_discord(db: Database, message: Any) -> int | None:
    """For DiscordBot.on_message: a server message that does not mention the bot."""
    return await hear(db, from_discord(message))
