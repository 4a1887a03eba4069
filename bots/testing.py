"""Drive the whole bot in-process, no network: conversation tests read like dialogues.

After errbot's test backend and zulip_bots' verify_dialog (STYLE.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import count

from bots.channels.base import reply_as_text
from bots.engine import Engine
from bots.messages import Incoming, Reply

_update_ids = count(1)


@dataclass
class BotTester:
    """One member talking to the engine; remembers the last replies."""

    engine: Engine
    user_id: str = "tester"
    platform: str = "terminal"
    locale: str | None = None
    last: list[Reply] = field(default_factory=list)
    turns: int = 0

    def say(self, text: str, update_id: str | None = None) -> list[Reply]:
        """Send typed text (commands included) and return the replies."""
        return self._send(
            Incoming(
                self.platform, self.user_id, text=text, locale=self.locale, update_id=update_id
            )
        )

    def press(self, payload: str) -> list[Reply]:
        """Press a button by its payload; it must be one the bot just offered."""
        offered = self.payloads()
        assert payload in offered, f"no button {payload!r} in the last replies: {offered}"
        return self._send(
            Incoming(self.platform, self.user_id, payload=payload, locale=self.locale)
        )

    def press_stale(self, payload: str) -> list[Reply]:
        """Press a button the bot is no longer offering (an old message's button)."""
        return self._send(
            Incoming(self.platform, self.user_id, payload=payload, locale=self.locale)
        )

    def _send(self, incoming: Incoming) -> list[Reply]:
        self.last = asyncio.run(self.engine.handle(incoming))
        self.turns += 1
        return self.last

    def payloads(self) -> list[str]:
        """Payloads of the buttons just offered, on the replies and on their cards."""
        return [
            button.payload
            for reply in self.last
            for button in (*reply.buttons, *(b for card in reply.cards for b in card.buttons))
        ]

    def text(self) -> str:
        """All of the last replies as the member would read them on a text screen."""
        return "\n".join(reply_as_text(reply) for reply in self.last)


def verify_dialog(tester: BotTester, dialog: Sequence[tuple[str, str | Sequence[str]]]) -> None:
    """Play (said, expected) pairs; each expected text must appear in the bot's answer.

    `said` is typed text, or "[payload]" to press a button.
    """
    for said, expected in dialog:
        if said.startswith("[") and said.endswith("]"):
            tester.press(said[1:-1])
        else:
            tester.say(said)
        answer = tester.text().casefold()
        wanted = [expected] if isinstance(expected, str) else list(expected)
        for piece in wanted:
            assert piece.casefold() in answer, f"after {said!r} expected {piece!r} in:\n{answer}"
