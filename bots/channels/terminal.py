"""The terminal channel (`alytus chat`): buttons shown numbered, cards' buttons too (after
the reply's own), and typing the number presses it.

With --json it reads one message a line (text, or a button's payload) and writes exactly one
JSON line per input line, for scripts and tests.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Iterable
from typing import TextIO

from bots.channels.wire import reply_to_json
from bots.engine import Engine
from bots.messages import Button, Card, Incoming, Reply


def offered(replies: list[Reply]) -> list[Button]:
    """The buttons of a turn in the order they are numbered: each reply's own buttons, then
    its cards' buttons (a /news card's "Dalyvausiu"), one count across the replies."""
    return [
        button
        for reply in replies
        for button in (*reply.buttons, *(b for card in reply.cards for b in card.buttons))
    ]


def _numbered(buttons: tuple[Button, ...], first: int) -> list[str]:
    return [f"  {number}. {button.label}" for number, button in enumerate(buttons, start=first)]


def _card_lines(card: Card, first: int) -> list[str]:
    lines = [f"[{card.title}] {card.text}".rstrip()]
    lines += [f"{link.label}: {link.url}" for link in card.links]
    return lines + _numbered(card.buttons, first)


def replies_as_text(replies: list[Reply]) -> str:
    """A turn's replies for the terminal: every button numbered the way `offered` counts
    them, so typing the number shown presses that button (cards' buttons included)."""
    blocks, number = [], 1
    for reply in replies:
        lines = [reply.text]
        lines += [f"{link.label}: {link.url}" for link in reply.links]
        lines += [reply.image] if reply.image else []
        lines += [f"--- {reply.file.name} ---\n{reply.file.content}"] if reply.file else []
        lines += _numbered(reply.buttons, number)
        number += len(reply.buttons)
        for card in reply.cards:
            lines += _card_lines(card, number)
            number += len(card.buttons)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


class TerminalSession:
    """One terminal user's conversation; remembers the last buttons to map numbers to them."""

    platform = "terminal"

    def __init__(self, engine: Engine, user_id: str) -> None:
        self.engine = engine
        self.user_id = user_id
        self.buttons: list[str] = []

    def incoming(self, line: str) -> Incoming:
        line = line.rstrip("\n")
        stripped = line.strip()
        if stripped.isdigit() and 1 <= int(stripped) <= len(self.buttons):
            return Incoming(self.platform, self.user_id, payload=self.buttons[int(stripped) - 1])
        if stripped and stripped in self.buttons:
            return Incoming(self.platform, self.user_id, payload=stripped)
        if stripped.startswith("/"):
            return Incoming(self.platform, self.user_id, payload=stripped)
        return Incoming(self.platform, self.user_id, text=line)

    async def say(self, line: str) -> list[Reply]:
        replies = await self.engine.handle(self.incoming(line))
        if replies:
            self.buttons = [button.payload for button in offered(replies)]
        return replies


def run_json(engine: Engine, user_id: str, lines: Iterable[str], out: TextIO) -> None:
    """One JSON line out for every line in, until the input ends."""
    session = TerminalSession(engine, user_id)

    async def loop() -> None:
        for line in lines:
            replies = await session.say(line)
            payload = {"replies": [reply_to_json(reply) for reply in replies]}
            out.write(json.dumps(payload, ensure_ascii=False) + "\n")
            out.flush()

    asyncio.run(loop())


def run_interactive(
    engine: Engine,
    user_id: str,
    prompt: str = "> ",
    *,
    read: Callable[[str], str] = input,
    out: TextIO | None = None,
) -> None:
    """A chat in the terminal; Ctrl-D or Ctrl-C ends it (`read` and `out` for tests)."""
    session = TerminalSession(engine, user_id)
    screen = out or sys.stdout

    def show(replies: list[Reply]) -> None:
        if replies:
            screen.write(replies_as_text(replies) + "\n\n")
            screen.flush()

    async def loop() -> None:
        show(await session.say("/start"))
        while True:
            try:
                line = await asyncio.to_thread(read, prompt)
            except (EOFError, KeyboardInterrupt):
                screen.write("\n")
                return
            show(await session.say(line))

    asyncio.run(loop())
