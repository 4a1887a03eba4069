"""The conversation engine: one async function from an Incoming message to Replies.

Everything a turn needs is loaded from and saved to the database in one transaction, so any
process can take the next message, a crash loses nothing, and a redelivered update (same
platform update id) is answered once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bots.catalog import Catalog, default_catalog
from bots.flows.base import Flow
from bots.flows.language import LanguageFlow
from bots.flows.onboarding import OnboardingFlow
from bots.flows.privacy import PrivacyFlow
from bots.flows.profile import ProfileFlow
from bots.flows.questions import QUESTIONS
from bots.input import clean_text, has_words
from bots.messages import Incoming, Reply
from bots.turn import Turn
from community.database import Database
from community.members import consent_history, get_or_create_member
from community.models import Conversation
from community.settings import Settings
from community.updates import claim_update

log = logging.getLogger(__name__)

Understand = Callable[[str, str], dict[str, Any]]
COMMANDS = ("start", "help", "language", "profile", "privacy", "cancel")


def split_command(text: str) -> tuple[str, str] | None:
    """('start', 'CODE') for '/start CODE' (also '/start@AlytusBot CODE'); None otherwise."""
    if not text.startswith("/"):
        return None
    head, _, rest = text[1:].partition(" ")
    return head.split("@", 1)[0].lower(), rest.strip()


def guess_language(locale: str | None, default: str) -> str:
    """The first language to greet a new member in, from the platform's locale."""
    if locale and locale.lower().startswith(("lt", "en")):
        return locale[:2].lower()
    return default


class Engine:
    """Routes each message to a command, the member's current flow, or the fallback."""

    def __init__(
        self,
        *,
        db: Database,
        settings: Settings,
        catalog: Catalog | None = None,
        understand: Understand | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.catalog = catalog or default_catalog()
        self.understand = understand
        flows: list[Flow] = [OnboardingFlow(), ProfileFlow(), PrivacyFlow(), LanguageFlow()]
        self.flows = {flow.name: flow for flow in flows}

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """Answer one message; database work runs in a thread so the event loop stays free."""
        return await asyncio.to_thread(self.handle_sync, incoming)

    def handle_sync(self, incoming: Incoming) -> list[Reply]:
        try:
            with self.db.session() as session:
                return self._handle(session, incoming)
        except Exception:
            log.exception("turn failed for %s user %s", incoming.platform, incoming.user_id)
            language = guess_language(incoming.locale, self.settings.default_language)
            return [Reply(text=self.catalog.text(language, "common.error"))]

    def _handle(self, session: Session, incoming: Incoming) -> list[Reply]:
        if incoming.update_id is not None and not claim_update(
            session=session, platform=incoming.platform, update_id=incoming.update_id
        ):
            return []  # a redelivery: already answered
        member, _ = get_or_create_member(
            session=session,
            platform=incoming.platform,
            user_id=incoming.user_id,
            language=guess_language(incoming.locale, self.settings.default_language),
        )
        assert member.id is not None
        conversation = self._conversation(session, member.id)
        turn = Turn(
            session=session,
            settings=self.settings,
            catalog=self.catalog,
            member=member,
            conversation=conversation,
            incoming=incoming,
            text=clean_text(incoming.text),
            payload=clean_text(incoming.payload) or None,
        )
        replies = self._route(turn)
        if not turn.erased:
            session.add(turn.conversation)
            session.add(turn.member)
        return replies

    def _conversation(self, session: Session, member_id: int) -> Conversation:
        conversation = session.get(Conversation, member_id, with_for_update=True)
        if conversation is not None:
            return conversation
        try:
            with session.begin_nested():
                conversation = Conversation(member_id=member_id)
                session.add(conversation)
                session.flush()
        except IntegrityError:
            conversation = session.get(Conversation, member_id, with_for_update=True)
            assert conversation is not None
        return conversation

    def _route(self, turn: Turn) -> list[Reply]:
        if len(turn.text) > self.settings.max_message_chars:
            limit = self.settings.max_message_chars
            return [
                Reply(text=turn.t("common.too_long", limit=limit)),
                *self._current_question(turn),
            ]
        command = split_command(turn.payload or turn.text)
        if command and command[0] in COMMANDS:
            return self._command(turn, *command)
        if command:
            return [Reply(text=turn.t("common.unknown_command")), self._help(turn)]
        if not turn.payload and not has_words(turn.text):
            return [Reply(text=turn.t("common.empty")), *self._current_question(turn)]
        flow = self.flows.get(turn.conversation.flow or "")
        if flow is not None:
            return flow.handle(turn)
        if turn.member.onboarded_at is None and not consent_history(
            session=turn.session, member_id=turn.member_id
        ):
            return self.flows["onboarding"].start(turn)
        return self._fallback(turn)

    def _command(self, turn: Turn, name: str, argument: str) -> list[Reply]:
        if name == "start":
            if turn.member.onboarded_at is not None:
                turn.finish()
                return [Reply(text=turn.t("onboarding.welcome_back")), self._help(turn)]
            onboarding = self.flows["onboarding"]
            assert isinstance(onboarding, OnboardingFlow)
            return onboarding.start(turn, referral_code=argument or None)
        if name == "help":
            return [self._help(turn)]
        if name == "cancel":
            turn.finish()
            return [Reply(text=turn.t("common.cancelled")), self._help(turn)]
        return self.flows[name].start(turn)

    def _current_question(self, turn: Turn) -> list[Reply]:
        step = turn.conversation.step
        if turn.conversation.flow in ("onboarding", "profile") and step in QUESTIONS:
            return [QUESTIONS[step].ask(turn)]
        return []

    def _help(self, turn: Turn) -> Reply:
        joined = turn.member.onboarded_at is not None
        buttons = [
            turn.button(
                "menu.profile" if joined else "menu.join", "/profile" if joined else "/start"
            ),
            turn.button("menu.privacy", "/privacy"),
            turn.button("menu.language", "/language"),
        ]
        return Reply(text=turn.t("help.text"), buttons=tuple(buttons))

    def _fallback(self, turn: Turn) -> list[Reply]:
        if turn.payload:
            return [Reply(text=turn.t("common.stale_button")), self._help(turn)]
        return [Reply(text=turn.t("fallback.not_yet")), self._help(turn)]
