"""The conversation engine: one async function from an Incoming message to Replies.

Everything a turn needs is loaded from and saved to the database in one transaction, so any
process can take the next message, a crash loses nothing, and a redelivered update (same
platform update id) is answered once.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bots import intents, linking, news, rewarding, way_home
from bots.answering import (
    SUGGESTION_PREFIX,
    AnswerFn,
    answer_replies,
    known_answer,
    suggestion_question,
)
from bots.catalog import LANGUAGES, Catalog, default_catalog
from bots.delivery import collect_for
from bots.features import feature_commands
from bots.flows import choices
from bots.flows.base import Flow
from bots.flows.language import LanguageFlow
from bots.flows.onboarding import STEPS as ONBOARDING_STEPS
from bots.flows.onboarding import OnboardingFlow
from bots.flows.privacy import PrivacyFlow
from bots.flows.profile import ProfileFlow
from bots.flows.questions import QUESTIONS, consent_why
from bots.input import clean_text, has_words
from bots.intents import Understanding, top_intent
from bots.invitations import invitation
from bots.mentoring import MentoringFlow
from bots.messages import Incoming, Reply
from bots.turn import Turn
from bots.way_home import WayHomeFlow
from community.activity import MESSAGE, questions_asked, record_activity
from community.database import Database, written_tables
from community.members import (
    consent_history,
    find_member,
    get_or_create_member,
    touch_identity,
)
from community.models import Conversation, Member
from community.rate_limits import allow
from community.settings import Settings
from community.updates import claim_update
from nlu.text import fold

log = logging.getLogger(__name__)

COMMANDS = ("start", "help", "language", "profile", "privacy", "cancel")
REWARD_COMMANDS = ("points", "passport", "offers", "invite", "checkin", "leaderboard", "rsvp")
OTHER_COMMANDS = ("link", "news", "optout", "optin")
# Intents that do what a command does, typed in words ("noriu pakeisti kalba").
COMMAND_INTENTS = {
    "help": "help",
    "cancel": "cancel",
    "change_language": "language",
    "edit_profile": "profile",
    "start_onboarding": "start",
    "my_points": "points",
    "my_passport": "passport",
    "partner_offers": "offers",
    "leaderboard": "leaderboard",
    "invite_friend": "invite",
}
# Commands that only show something: asked for in the middle of a question, they are
# answered and the question asked again (the others change what the member is doing).
LOOKUPS = frozenset({"my_points", "my_passport", "partner_offers", "leaderboard"})
# Intents that may interrupt a question the member is in the middle of.
INTERRUPTING = {*COMMAND_INTENTS, "privacy_export", "privacy_erase", "talk_to_human"}
# Rate limited here; the web chat is limited at its door, with a 429 the page understands.
RATE_LIMITED = ("telegram", "discord", "messenger")
# What any first visit writes; a visitor who wrote nothing else is not kept as a member.
LEFT_BY_ANY_VISIT = {"member", "channelidentity", "conversation", "activity"}


def _speak_as_written(turn: Turn) -> None:
    """A visitor who has chosen nothing yet and writes in English is answered in English
    (the language is Lithuanian until they say otherwise or write otherwise)."""
    parse = turn.understand() or {}
    written = parse.get("language")
    if written in LANGUAGES and written != turn.member.language:
        turn.member.language = written
        turn.reparse()


def _join_hint(turn: Turn) -> list[Reply]:
    """ "Join for news that fit you", under a visitor's first question when it was answered
    (said after every answer it drowns the answers; a visitor we keep nothing of is new
    each time)."""
    asked = questions_asked(session=turn.session, member_id=turn.member_id)
    if asked["all"] > 1 or not asked["answered"]:
        return []  # after a "don't know" its own choices are enough
    return [Reply(text=turn.t("kb.join_hint"), buttons=(turn.button("menu.join", "/start"),))]


# Word starts that make a message at the consent question one about the data asked for.
ABOUT_DATA = ("duomen", "privat", "sutik", "kodel", "kam", "why", "data", "privacy", "consent")
# What a visitor at the consent question may still ask for by typing it (there is nothing of
# theirs to export yet: "why do you need my data?" is a question, not an export).
STILL_DONE_AT_CONSENT = frozenset({"privacy_erase", "cancel", "change_language", "talk_to_human"})


def _asks_why_at_consent(turn: Turn, intent: str, confidence: float) -> bool:
    """At the consent question, "kam jums mano duomenys?" (or help) asks about the data: it
    gets why, not the command menu; another question is answered and consent asked again.
    Erasure, a change of language and the like still do what they say."""
    at_consent = turn.conversation.flow == "onboarding" and turn.conversation.step == "consent"
    about_data = any(word.startswith(ABOUT_DATA) for word in fold(turn.text or "").split())
    asked_help = intent == "help" and confidence >= intents.ACT_ABOVE
    return at_consent and (asked_help or (about_data and intent not in STILL_DONE_AT_CONSENT))


def _at_the_door(turn: Turn) -> bool:
    """Nothing begun: no flow, a menu that holds nothing of theirs (what we hold, the
    language), or only the bot's opening question (the language) asked."""
    conversation = turn.conversation
    if conversation.flow in (None, "privacy", "language"):
        return True
    return (
        conversation.flow == "onboarding"
        and conversation.step == ONBOARDING_STEPS[0]
        and not conversation.slots
    )


def answers_language(turn: Turn) -> bool:
    """A language button, or the name of a language typed alone ("lietuviu", "english")."""
    if turn.payload is not None:
        return turn.payload.startswith("lang:")
    return bool(turn.text) and choices.match_one("language", turn.text) is not None


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
        parser: Understanding | None = None,
        answer: AnswerFn | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.catalog = catalog or default_catalog()
        self.parser = parser
        self.answer = answer
        flows: list[Flow] = [
            OnboardingFlow(),
            ProfileFlow(),
            PrivacyFlow(),
            LanguageFlow(),
            WayHomeFlow(),
            MentoringFlow(),
        ]
        self.flows = {flow.name: flow for flow in flows}
        self.features = feature_commands()

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """Answer one message; database work runs in a thread so the event loop stays free."""
        return await asyncio.to_thread(self.handle_sync, incoming)

    def handle_sync(self, incoming: Incoming) -> list[Reply]:
        try:
            with self.db.session() as session:
                replies = self._handle(session, incoming)
                erased = bool(session.info.get("erased"))
            if erased:
                self.db.forget_erased()  # committed: now leave no old copy in the WAL
            return replies
        except Exception:
            # the update id, never the member's account id or words: logs hold no personal data
            log.exception("turn failed: %s update %s", incoming.platform, incoming.update_id)
            language = guess_language(incoming.locale, self.settings.default_language)
            return [Reply(text=self.catalog.text(language, "common.error"))]

    def _handle(self, session: Session, incoming: Incoming) -> list[Reply]:
        if incoming.update_id is not None and not claim_update(
            session=session, platform=incoming.platform, update_id=incoming.update_id
        ):
            return []  # a redelivery: already answered
        member = find_member(session=session, platform=incoming.platform, user_id=incoming.user_id)
        if incoming.platform in RATE_LIMITED and not allow(
            session=session,
            key=f"{incoming.platform}:{incoming.user_id}",
            per_minute=self.settings.chat_rate_per_minute,
        ):
            language = member.language if member else self._first_language(incoming)
            return [Reply(text=self.catalog.text(language, "common.slow_down"))]
        if member is None:
            return self._first_contact(session, incoming)
        touch_identity(session=session, platform=incoming.platform, user_id=incoming.user_id)
        replies, _ = self._turn(session, member, incoming)
        return replies

    def _first_language(self, incoming: Incoming) -> str:
        return guess_language(incoming.locale, self.settings.default_language)

    def _first_contact(self, session: Session, incoming: Incoming) -> list[Reply]:
        """Someone the bot has not met: answered in full, but kept as a member only when
        they start joining or leave something that must be kept (a question filed for
        staff, a consent); a greeting, a question answered or a page opened leaves no row,
        so requests without a cookie do not fill the database with members."""
        savepoint = session.begin_nested()
        with written_tables(session) as written:
            member, _ = get_or_create_member(
                session=session,
                platform=incoming.platform,
                user_id=incoming.user_id,
                language=self._first_language(incoming),
            )
            replies, turn = self._turn(session, member, incoming)
        if turn.erased or written - LEFT_BY_ANY_VISIT or not _at_the_door(turn):
            savepoint.commit()
            return replies
        savepoint.rollback()
        record_activity(session=session, member_id=None, platform=incoming.platform, kind=MESSAGE)
        return replies

    def _turn(
        self, session: Session, member: Member, incoming: Incoming
    ) -> tuple[list[Reply], Turn]:
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
            parser=self.parser,
        )
        if (
            turn.conversation.flow is None
            and answers_language(turn)
            and not self._has_decided(turn)
        ):
            # the bot's first question, asked when nothing was kept: this is its answer
            turn.go(self.flows["onboarding"].name, ONBOARDING_STEPS[0])
        replies = self._route(turn)
        if turn.erased:
            session.info["erased"] = True
        else:
            record_activity(
                session=session, member_id=member.id, platform=incoming.platform, kind=MESSAGE
            )
            session.add(turn.conversation)
            session.add(turn.member)
            replies += collect_for(
                session=session, catalog=self.catalog, member=member, platform=incoming.platform
            )
        return replies, turn

    async def pending(self, platform: str, user_id: str) -> list[Reply]:
        """Notifications waiting for a member of a pull channel (the web chat polls this)."""
        return await asyncio.to_thread(self._pending, platform, user_id)

    def _pending(self, platform: str, user_id: str) -> list[Reply]:
        with self.db.session() as session:
            member = find_member(session=session, platform=platform, user_id=user_id)
            if member is None:
                return []
            return collect_for(
                session=session, catalog=self.catalog, member=member, platform=platform
            )

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
        if command and command[0] in (*COMMANDS, *REWARD_COMMANDS, *OTHER_COMMANDS):
            return self._command(turn, *command)
        if command and command[0] in self.features:
            return self.features[command[0]](turn, command[1])
        if command:
            return [Reply(text=turn.t("common.unknown_command")), self._help(turn)]
        if not turn.payload and not has_words(turn.text):
            return [Reply(text=turn.t("common.empty")), *self._current_question(turn)]
        if turn.payload and turn.payload.startswith(SUGGESTION_PREFIX):
            question = suggestion_question(turn, turn.payload)
            if question is not None and self.answer is not None:
                return answer_replies(turn, question, self.answer)
            return [Reply(text=turn.t("common.stale_button")), self._help(turn)]
        flow = self.flows.get(turn.conversation.flow or "")
        if flow is not None:
            replies = flow.handle(turn)
            if turn.not_understood:
                return self._interruption(turn, replies) or replies
            return replies
        if turn.payload and turn.payload.startswith("intent:"):
            asked = turn.slots.get("asked") or turn.text or None
            return self._act(turn, turn.payload.removeprefix("intent:"), asked)
        if not self._has_decided(turn):
            _speak_as_written(turn)
            intent, confidence = top_intent(turn.understand())
            if self._feature(turn, intent) and confidence >= intents.ACT_ABOVE:
                return self._act(turn, intent, turn.text)  # the feature's reply invites to join
            if intent in intents.QUESTIONS and confidence >= intents.ACT_ABOVE:
                return [*self._act(turn, intent, turn.text), *_join_hint(turn)]
            if self.answer is not None and (
                intent == "out_of_scope" or intent in intents.QUESTIONS
            ):
                known = known_answer(turn, turn.text, self.answer)
                if known is not None:  # a first message the model doubted but an article answers
                    return [known, *_join_hint(turn)]
            return self.flows["onboarding"].start(turn)
        return self._free_text(turn)

    def _feature(self, turn: Turn, intent: str, text: str | None = None) -> str | None:
        """The feature command that serves this intent when the member named the feature
        (typed text, or the text a clarification button stands for); None in the middle of
        onboarding, where a feature's "join first" would only confuse."""
        feature = intents.FEATURES.get(intent)
        said = turn.text if text is None else text
        if feature is None or not said or not intents.names_feature(said, feature):
            return None
        if turn.member.onboarded_at is None and turn.conversation.flow is not None:
            return None
        return feature

    def _has_decided(self, turn: Turn) -> bool:
        """Joined, or answered the consent question either way."""
        return turn.member.onboarded_at is not None or bool(
            consent_history(session=turn.session, member_id=turn.member_id)
        )

    def _free_text(self, turn: Turn) -> list[Reply]:
        if turn.payload:
            return [Reply(text=turn.t("common.stale_button")), self._help(turn)]
        parse = turn.understand()
        if parse is None:
            return [Reply(text=turn.t("fallback.not_yet")), self._help(turn)]
        intent, confidence = top_intent(parse)
        if intent != "out_of_scope" and confidence < intents.CLARIFY_BELOW:
            question = intents.clarification(turn, parse)
            if question is not None:
                turn.conversation.slots = {"asked": turn.text}
                return [question]
        return self._act(turn, intent, turn.text)

    def _interruption(self, turn: Turn, asked_again: list[Reply]) -> list[Reply] | None:
        """A member in the middle of a question asked for something else ('atsaukti', or a
        service question): do that; a question is answered and the open one asked again."""
        if turn.conversation.step == ONBOARDING_STEPS[0]:
            _speak_as_written(turn)  # a question instead of a language: its language it is
            asked_again = [asked_again[0], QUESTIONS[ONBOARDING_STEPS[0]].ask(turn)]
        intent, confidence = top_intent(turn.understand())
        if _asks_why_at_consent(turn, intent, confidence):
            return [consent_why(turn)]
        if intent == "help" and confidence >= intents.ACT_ABOVE:
            return [self._help(turn), *asked_again[1:]]  # what the bot can do; still asking
        if intent in LOOKUPS and confidence >= intents.ACT_ABOVE:
            return [*self._act(turn, intent, turn.text), *asked_again[1:]]
        if intent in INTERRUPTING and confidence >= intents.ACT_ABOVE:
            return self._act(turn, intent, turn.text)
        if intents.plainly_a_question(turn, intent) and self.answer is not None:
            return [*self._act(turn, intent, turn.text), *asked_again[1:]]
        return None  # not an answer, and not plainly something else: the question again

    def _act(self, turn: Turn, intent: str, text: str | None) -> list[Reply]:
        """Do what the intent asks for."""
        if intent in COMMAND_INTENTS:
            return self._command(turn, COMMAND_INTENTS[intent], "")
        privacy = self.flows["privacy"]
        assert isinstance(privacy, PrivacyFlow)
        if intent == "privacy_export":
            return privacy.export(turn)
        if intent == "privacy_erase":
            return privacy.ask_erase(turn)
        if intent == "talk_to_human":
            return intents.handoff(turn, intent)
        if intent in intents.SIMPLE_REPLIES:
            replies = intents.simple_reply(turn, intent)
            return [*replies, self._help(turn)] if intent == "greet" else replies
        if intent == "return_help" and self.answer is not None and text:
            offer = way_home.offer(turn, always=True)
            return [*answer_replies(turn, text, self.answer), *([offer] if offer else [])]
        feature = self._feature(turn, intent, text)
        if feature:
            # "noriu tapti mentoriumi" opens /mentor, "kokie renginiai?" lists /events, after
            # an article that answers if one does; no article is no gap to file for staff
            known = known_answer(turn, text, self.answer) if self.answer and text else None
            return [*([known] if known else []), *self.features[feature](turn, "")]
        if intent in intents.QUESTIONS:
            if self.answer is None or not text:
                return [Reply(text=turn.t("fallback.not_yet")), self._help(turn)]
            return answer_replies(turn, text, self.answer)
        if intent == "out_of_scope" and self.answer is not None and text:
            # the model says "not ours", but an article may well answer ("kiek vaiko pinigu
            # 2026"); the knowledge base declines on its own, so ask it, and file nothing
            known = known_answer(turn, text, self.answer)
            if known is not None:
                return [known]
        return [*intents.out_of_scope(turn, intent), self._help(turn)]

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
        if name in REWARD_COMMANDS:
            return self._reward_command(turn, name, argument)
        if name == "link":
            turn.finish()
            return linking.link(turn, argument)
        if name == "news":
            return news.news(turn)
        if name in ("optout", "optin"):
            return (news.opt_out if name == "optout" else news.opt_in)(turn, argument)
        return self.flows[name].start(turn)

    def _reward_command(self, turn: Turn, name: str, argument: str) -> list[Reply]:
        if name == "invite":
            return [invitation(turn)]
        if name == "checkin":
            return rewarding.checkin(turn, argument)
        if name == "leaderboard":
            return rewarding.leaderboard_command(turn, argument)
        if name == "rsvp":
            return rewarding.rsvp_command(turn, argument)
        return {
            "points": rewarding.points,
            "passport": rewarding.passport,
            "offers": rewarding.offers,
        }[name](turn)

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
        if turn.member.return_intention in way_home.PLANNING:
            buttons.append(turn.button("way_home.button_open", "/home"))
        return Reply(text=turn.t("help.text"), buttons=tuple(buttons))
