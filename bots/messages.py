"""Incoming and Reply: what crosses between a channel and the engine, knowing no platform."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Incoming:
    """One message or button press from a member on some platform."""

    platform: str
    user_id: str
    text: str | None = None
    payload: str | None = None
    locale: str | None = None
    update_id: str | None = None


@dataclass(frozen=True)
class Button:
    label: str
    payload: str


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Card:
    title: str
    text: str = ""
    image: str | None = None
    buttons: tuple[Button, ...] = ()
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class Attachment:
    """A file sent to the member, e.g. their data export (text content, e.g. JSON)."""

    name: str
    mime: str
    content: str


@dataclass(frozen=True)
class Reply:
    """What the bot says; each channel renders what its platform supports."""

    text: str
    buttons: tuple[Button, ...] = ()
    links: tuple[Link, ...] = ()
    image: str | None = None
    cards: tuple[Card, ...] = field(default=())
    file: Attachment | None = None
    # The member's data is gone (erasure): a channel that keeps its own copy of the
    # conversation or a session for the member drops both; the others need do nothing.
    forget: bool = False
