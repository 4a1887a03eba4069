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
