"""One turn of a conversation: who speaks, what they said, and where the conversation is.

Flows read and change the Turn; the engine loads it before and saves it after, inside one
database transaction, so any process can take the next message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from bots.catalog import Catalog
from bots.messages import Button, Incoming
from community.models import Conversation, Member, utcnow
from community.settings import Settings


@dataclass
class Turn:
    session: Session
    settings: Settings
    catalog: Catalog
    member: Member
    conversation: Conversation
    incoming: Incoming
    text: str
    payload: str | None
    parser: Any = None  # bots.intents.Understanding, or None: typed answers via choices only
    erased: bool = field(default=False)
    not_understood: bool = field(default=False)
    _parse: dict[str, Any] | None = field(default=None, repr=False)
    _answers: dict[str, dict[str, Any] | None] = field(default_factory=dict, repr=False)

    @property
    def language(self) -> str:
        return self.member.language

    @property
    def member_id(self) -> int:
        assert self.member.id is not None
        return self.member.id

    def understand(self) -> dict[str, Any] | None:
        """NLU's reading of the typed text (parsed once per turn), or None without NLU."""
        if self.parser is None or self.payload or not self.text:
            return None
        if self._parse is None:
            self._parse = dict(self.parser.parse(self.text, language_hint=self.language))
        return self._parse

    def reparse(self) -> None:
        """Read the text again (the member's language changed this turn)."""
        self._parse = None
        self._answers.clear()

    def understand_answer(self, question: str) -> dict[str, Any] | None:
        """NLU's reading of the typed text as an answer to one of the bot's questions
        (nlu.parser.Parser.parse_answer), once per question and turn; None without NLU or
        with an NLU that reads no answers."""
        if self.payload or not self.text:
            return None
        read = getattr(self.parser, "parse_answer", None)
        if read is None:
            return None
        if question not in self._answers:
            found = read(self.text, question, language_hint=self.language)
            self._answers[question] = dict(found) if found else None
        return self._answers[question]

    def t(self, key: str, /, **params: object) -> str:
        """A catalogue message in the member's language."""
        return self.catalog.text(self.language, key, **params)

    def button(self, key: str, payload: str) -> Button:
        return Button(label=self.t(key), payload=payload)

    @property
    def slots(self) -> dict[str, Any]:
        return self.conversation.slots

    def go(self, flow: str, step: str, **slots: Any) -> None:
        """Move to a step; slots given here are added to the current ones."""
        self.conversation.flow = flow
        self.conversation.step = step
        self.conversation.slots = {**self.conversation.slots, **slots}
        self.conversation.updated_at = utcnow()

    def finish(self) -> None:
        """Leave the current flow; the next message starts fresh."""
        self.conversation.flow = None
        self.conversation.step = None
        self.conversation.slots = {}
        self.conversation.updated_at = utcnow()
