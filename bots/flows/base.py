"""What a flow and a question are: small units the engine drives one turn at a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from bots.messages import Reply
from bots.turn import Turn


class Flow(Protocol):
    """A conversation with steps (onboarding, profile, privacy...)."""

    name: str

    def start(self, turn: Turn) -> list[Reply]:
        """Begin the flow: ask the first thing."""
        ...

    def handle(self, turn: Turn) -> list[Reply]:
        """Take the member's next message in the step the conversation is at."""
        ...


@dataclass(frozen=True)
class Answered:
    """The member answered the question; `value` is what gets stored."""

    value: Any


@dataclass(frozen=True)
class Pending:
    """The member is not done yet (e.g. picking several interests): say this and wait."""

    replies: list[Reply]


Outcome = Answered | Pending | None  # None: not understood


class Question(Protocol):
    """One profile question, asked by onboarding and again by /profile to change it."""

    key: str
    payload_prefix: str

    def ask(self, turn: Turn) -> Reply: ...

    def answer(self, turn: Turn) -> Outcome: ...

    def store(self, turn: Turn, value: Any) -> None: ...
