"""Replies as Discord messages: text within Discord's limits, buttons as components, links
as link buttons, images and cards as embeds, a file as an attachment.

Shared by the gateway adapter (discord.py objects) and the REST push (their JSON), so both
render a reply the same way.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import discord

from bots.messages import Attachment, Button, Card, Link, Reply

CONTENT_LIMIT = 2000  # characters in one message's content
CUSTOM_ID_LIMIT = 100  # a component's custom_id, which carries the button's payload
LABEL_LIMIT = 80
COMPONENT_LIMIT = 25  # five rows of five buttons
EMBED_LIMIT = 10


@dataclass
class DiscordMessage:
    """One message to send; a long reply becomes several, the last carrying the extras."""

    content: str
    embeds: list[discord.Embed] = field(default_factory=list)
    view: discord.ui.View | None = None
    file: Attachment | None = None

    def send_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for discord.py's send / followup methods."""
        kwargs: dict[str, Any] = {"content": self.content or None}
        if self.embeds:
            kwargs["embeds"] = self.embeds
        if self.view is not None:
            kwargs["view"] = self.view
        if self.file is not None:
            kwargs["file"] = as_file(self.file)
        return kwargs

    def to_json(self) -> dict[str, Any]:
        """The REST body of POST /channels/{id}/messages (without the file's bytes)."""
        body: dict[str, Any] = {"content": self.content}
        if self.embeds:
            body["embeds"] = [embed.to_dict() for embed in self.embeds]
        if self.view is not None:
            body["components"] = self.view.to_components()
        if self.file is not None:
            body["attachments"] = [{"id": 0, "filename": self.file.name}]
        return body


def as_file(attachment: Attachment) -> discord.File:
    """A fresh discord.File each time: discord.py consumes it when sending."""
    return discord.File(io.BytesIO(attachment.content.encode("utf-8")), filename=attachment.name)


def render(reply: Reply) -> list[DiscordMessage]:
    """A reply as one or more messages."""
    buttons = [*reply.buttons, *(button for card in reply.cards for button in card.buttons)]
    links = [*reply.links, *(link for card in reply.cards for link in card.links)]
    view, left_over = _view(buttons, links)
    text = "\n".join([reply.text, *left_over]) if left_over else reply.text
    chunks = _chunks(text) or [""]
    messages = [DiscordMessage(content=chunk) for chunk in chunks]
    last = messages[-1]
    last.embeds = _embeds(reply.image, reply.cards)
    last.view = view
    last.file = reply.file
    return messages


def _view(buttons: list[Button], links: list[Link]) -> tuple[discord.ui.View | None, list[str]]:
    """Buttons and links as components; what does not fit is returned as lines of text."""
    view = discord.ui.View(timeout=None)
    left_over: list[str] = []
    used: set[str] = set()  # Discord refuses two components with one custom_id in a message
    for button in buttons:
        if len(view.children) >= COMPONENT_LIMIT or len(button.payload) > CUSTOM_ID_LIMIT:
            left_over.append(f"• {button.label}")
        elif button.payload not in used:
            used.add(button.payload)
            view.add_item(
                discord.ui.Button(
                    label=button.label[:LABEL_LIMIT],
                    custom_id=button.payload,
                    style=discord.ButtonStyle.primary,
                )
            )
    for link in links:
        on_the_web = link.url.startswith(("https://", "http://"))
        if len(view.children) >= COMPONENT_LIMIT or not on_the_web:
            left_over.append(f"{link.label}: {link.url}")
        else:
            view.add_item(discord.ui.Button(label=link.label[:LABEL_LIMIT], url=link.url))
    if not view.children:
        return None, left_over
    # The payload travels in custom_id and on_interaction hands it to the engine, so
    # discord.py need not keep the view in memory: a stopped view is never stored.
    view.stop()
    return view, left_over


def _embeds(image: str | None, cards: tuple[Card, ...]) -> list[discord.Embed]:
    embeds = []
    if image:
        embeds.append(discord.Embed().set_image(url=image))
    for card in cards:
        embed = discord.Embed(title=card.title[:256], description=card.text[:4096] or None)
        if card.image:
            embed.set_image(url=card.image)
        embeds.append(embed)
    return embeds[:EMBED_LIMIT]


def _chunks(text: str) -> list[str]:
    """Text cut at line ends into pieces Discord accepts."""
    chunks: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line) > CONTENT_LIMIT:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:CONTENT_LIMIT])
            line = line[CONTENT_LIMIT:]
        if len(current) + len(line) > CONTENT_LIMIT:
            chunks.append(current)
            current = ""
        current += line
    if current:
        chunks.append(current)
    return [chunk.rstrip("\n") for chunk in chunks if chunk.strip()]
