"""Replies as JSON: the shape the web chat and `alytus chat --json` speak (TypedDicts)."""

from __future__ import annotations

from dataclasses import asdict

from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12

from bots.messages import Reply


class ButtonJSON(TypedDict):
    label: str
    payload: str


class LinkJSON(TypedDict):
    label: str
    url: str


class CardJSON(TypedDict):
    title: str
    text: str
    image: str | None
    buttons: list[ButtonJSON]
    links: list[LinkJSON]


class FileJSON(TypedDict):
    name: str
    mime: str
    content: str


class ReplyJSON(TypedDict):
    text: str
    buttons: list[ButtonJSON]
    links: list[LinkJSON]
    image: str | None
    cards: list[CardJSON]
    file: FileJSON | None
    forget: bool  # the page drops its stored conversation; the server replaced the session


def reply_to_json(reply: Reply) -> ReplyJSON:
    """A Reply as plain JSON-ready data (tuples become lists)."""
    data = asdict(reply)
    return ReplyJSON(
        text=data["text"],
        buttons=list(data["buttons"]),
        links=list(data["links"]),
        image=data["image"],
        cards=[
            CardJSON(
                title=card["title"],
                text=card["text"],
                image=card["image"],
                buttons=list(card["buttons"]),
                links=list(card["links"]),
            )
            for card in data["cards"]
        ],
        file=data["file"],
        forget=data["forget"],
    )
