"""The terminal channel (`alytus chat`): buttons shown numbered, typing the number presses it.

With --json it reads one message a line (text, or a button's payload) and writes exactly one
JSON line per input line, for scripts and tests.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from typing import TextIO

from bots.channels.base import reply_as_text
from bots.channels.wire import reply_to_json
from bots.engine import Engine
from bots.messages import Incoming, Reply


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
        pressed = [button.payload for reply in replies for button in reply.buttons]
        if replies:
            self.buttons = pressed
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


def run_interactive(engine: Engine, user_id: str, prompt: str = "> ") -> None:
    """A chat in the terminal; Ctrl-D or Ctrl-C ends it."""
    session = TerminalSession(engine, user_id)

    async def loop() -> None:
        for reply in await session.say("/start"):
            print(reply_as_text(reply), end="\n\n")
        while True:
            try:
                line = await asyncio.to_thread(input, prompt)
            except (EOFError, KeyboardInterrupt):
                print()
                return
            for reply in await session.say(line):
                print(reply_as_text(reply), end="\n\n")

    asyncio.run(loop())
