"""What the bot does with free text outside a question: the intent NLU found, acted on.

Rasa-shaped parse results come from nlu/; this module only maps an intent to the flow or
reply that serves it, and asks a short clarifying question when NLU is unsure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from bots.messages import Reply
from bots.turn import Turn
from nlu.text import fold, looks_like_question, words

CLARIFY_BELOW = 0.45  # top intent confidence under which the bot asks which of two was meant
ACT_ABOVE = 0.6  # inside a question, an intent interrupts only when NLU is at least this sure


class Understanding(Protocol):
    """What the engine needs from nlu/: nlu.parser.Parser satisfies it."""

    def parse(self, text: str, *, language_hint: str | None = None) -> Any: ...


# Intents answered by one catalogue message; the message key is "intent.reply_<name>".
SIMPLE_REPLIES = ("greet", "goodbye", "thanks", "bot_challenge", "affirm", "deny")
# Intents the knowledge base answers (the feed of events and jobs will join it later).
QUESTIONS = (
    "service_question",
    "return_help",
    "inform",
    "events",
    "jobs",
    "business_investment",
    "mentoring",
    "charity_volunteering",
)

# Intents a feature of the bot serves, and the word stems that show the member named it: the
# model alone is not enough ("ar yra sunu dresiravimo aikstele?" reads as events at 0.83).
# Intents that answer or steer rather than ask (an onboarding answer the model filed under
# one of them is still an answer).
NOT_ASKING = frozenset(
    {"inform", "affirm", "deny", "greet", "thanks", "goodbye", "cancel", "change_language"}
)
# Intents whose examples are broad (any question about the city): a question filed under
# one of them may still be an answer that names a place.
LOOSE_INTENTS = frozenset({"service_question", "out_of_scope", "return_help"})

FEATURES = {"mentoring": "mentor", "charity_volunteering": "mentor", "events": "events"}
FEATURE_STEMS = {
    "mentor": ("mentor", "savanor", "volunt", "labdar", "charit"),
    "events": ("rengin", "event", "koncert", "festival"),
}


def names_feature(text: str, feature: str) -> bool:
    """Whether `text` says the feature's own word (any case ending, with or without
    diacritics): "noriu savanoriauti", "kokie renginiai vyksta?"."""
    stems = FEATURE_STEMS[feature]
    return any(word.startswith(stems) for word in words(fold(text)))


def plainly_a_question(turn: Turn, intent: str) -> bool:
    """A question about something else, asked while the bot waits for an answer: answered
    (or politely declined), and the open question asked again. It must ask (a question mark
    or a question word first) about a service or something out of scope; a statement
    ("gyvenu Norvegijoje", `inform`), a yes or a no is an answer the question could not
    read, never a question to file for staff."""
    return intent not in NOT_ASKING and looks_like_question(turn.text)


def asks_for_a_feature(intent: str, confidence: float) -> bool:
    """An intent the bot serves by itself (the passport, events, news), said surely enough
    that a question naming it is about it, even when it also names Alytus ("kas yra alytaus
    pasas" asks about the passport; it does not say where one lives)."""
    return intent not in NOT_ASKING and intent not in LOOSE_INTENTS and confidence >= ACT_ABOVE


def top_intent(parse: dict[str, Any] | None) -> tuple[str, float]:
    if not parse:
        return "out_of_scope", 0.0
    intent = parse.get("intent") or {}
    return str(intent.get("name") or "out_of_scope"), float(intent.get("confidence") or 0.0)


def clarification(turn: Turn, parse: dict[str, Any]) -> Reply | None:
    """'Did you mean A or B?' with the two likeliest actionable intents, or None."""
    ranking = [
        item["name"]
        for item in parse.get("intent_ranking", [])
        if item["name"] != "out_of_scope" and has_label(turn, item["name"])
    ][:2]
    if len(ranking) < 2:
        return None
    return Reply(
        text=turn.t("intent.clarify"),
        buttons=tuple(turn.button(f"intent.label_{name}", f"intent:{name}") for name in ranking),
    )


def has_label(turn: Turn, intent: str) -> bool:
    return turn.catalog.has(f"intent.label_{intent}")


Action = Callable[[Turn, str], list[Reply]]


def simple_reply(turn: Turn, intent: str) -> list[Reply]:
    return [Reply(text=turn.t(f"intent.reply_{intent}"))]


def handoff(turn: Turn, intent: str) -> list[Reply]:
    """The city's contacts, then (for members) a request a coordinator answers in the admin."""
    from bots import way_home

    return way_home.handoff(turn)


def out_of_scope(turn: Turn, intent: str) -> list[Reply]:
    return [Reply(text=turn.t("intent.out_of_scope"))]
