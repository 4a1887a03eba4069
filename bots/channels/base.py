"""The two sides of a channel (after Rasa's InputChannel / OutputChannel, see STYLE.md).

An output channel must send text; buttons, links, cards and files have defaults that fall
back to text (buttons become numbered lines), and a platform overrides what it supports.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Protocol

from bots.messages import Button, Reply


def reply_as_text(reply: Reply) -> str:
    """A reply rendered for a text-only screen: numbered buttons, links on their own lines
    (a card's links under the card; its buttons are the channel's to offer, see
    `all_buttons`)."""
    lines = [reply.text]
    for card in reply.cards:
        lines.append(f"[{card.title}] {card.text}".rstrip())
        lines += [f"{link.label}: {link.url}" for link in card.links]
    for link in reply.links:
        lines.append(f"{link.label}: {link.url}")
    if reply.image:
        lines.append(reply.image)
    if reply.file:
        lines.append(f"--- {reply.file.name} ---\n{reply.file.content}")
    for number, button in enumerate(reply.buttons, start=1):
        lines.append(f"  {number}. {button.label}")
    return "\n".join(lines)


def all_buttons(reply: Reply) -> tuple[Button, ...]:
    """The reply's buttons and then its cards' ("Dalyvausiu", "Daugiau tokių"), for a
    platform that shows buttons only under the message."""
    return (*reply.buttons, *(button for card in reply.cards for button in card.buttons))


class OutputChannel(ABC):
    """Sends replies to one member on one platform."""

    name: str = "output"

    @abstractmethod
    async def send_text(self, recipient_id: str, text: str) -> None:
        """Send plain text; the only thing every platform must do."""

    async def send_reply(self, recipient_id: str, reply: Reply) -> None:
        """Send a whole reply; the default flattens it to text."""
        await self.send_text(recipient_id, reply_as_text(reply))


class CollectingOutputChannel(OutputChannel):
    """Keeps what was sent: the test double, and the REST responder's buffer."""

    name = "collector"

    def __init__(self) -> None:
        self.sent: list[tuple[str, Reply]] = []

    async def send_text(self, recipient_id: str, text: str) -> None:
        self.sent.append((recipient_id, Reply(text=text)))

    async def send_reply(self, recipient_id: str, reply: Reply) -> None:
        self.sent.append((recipient_id, reply))


@dataclass(frozen=True)
class SendOutcome:
    """What a platform said to one proactive message (a notification, a broadcast)."""

    delivered: bool
    retry_after: float | None = None  # the platform asked us to wait (HTTP 429), in seconds
    unreachable: bool = False  # the member blocked the bot or left: stop sending there
    error: str | None = None


@dataclass(frozen=True)
class RateLimit:
    """A platform's pace for proactive messages: overall and to one chat, a second."""

    per_second: float
    per_chat_per_second: float


class PushChannel(Protocol):
    """A platform the bot may write to first (Telegram, Discord, Messenger): the delivery
    worker and broadcasts send through it, within its rate limit."""

    platform: str
    rate: RateLimit

    async def push(self, recipient_id: str, reply: Reply) -> SendOutcome:
        """Send one reply to the member's user id on this platform; never raises for the
        platform's own refusals (they come back in the outcome)."""
        ...
