"""The profile questions: language, consent, relation, place, interests, return intention.

Each can be answered by a button (payload "<prefix>:<value>") or by typing what people write.
Typed answers are read by NLU: the question's own classifier (trained from the Rasa-format
answers in nlu/data/*/answers.yml) and the entities (places, interests), with the option
aliases of choices.yml as the fallback. One sentence may answer more than the question asked
("esu iš Alytaus, bet dabar gyvenu Airijoje, Dubline": abroad, Ireland, Dublin): what it also
answers is kept, and that question is not asked.
"""

from __future__ import annotations

import gettext
import re
from enum import StrEnum
from functools import lru_cache
from typing import Any

import pycountry

from bots.flows import choices
from bots.flows.base import Answered, Outcome, Pending
from bots.intents import asks_for_a_feature, plainly_a_question, top_intent
from bots.messages import Button, Link, Reply
from bots.turn import Turn
from community.members import record_consent
from community.profile import ConsentPurpose, Interest, Relation, ReturnIntention
from nlu.answers import ANSWERED_QUESTIONS, OTHER
from nlu.connection import names_alytus
from nlu.places import Place, parse_place
from nlu.text import fold, fold_with_offsets


def pressed(turn: Turn, prefix: str) -> str | None:
    """The value of a button of this question, or None when no such button was pressed."""
    if turn.payload and turn.payload.startswith(prefix + ":"):
        return turn.payload[len(prefix) + 1 :]
    return None


def typed_choice(turn: Turn, question: str) -> str | None:
    """A typed answer naming one option; digits press the n-th option too."""
    if turn.payload or not turn.text:
        return None
    option_list = choices.options(question)
    if turn.text.isdigit() and 1 <= int(turn.text) <= len(option_list):
        return option_list[int(turn.text) - 1]
    return choices.match_one(question, turn.text)


# A question's classifier must be this sure of an answer (tuned on the tune split of
# tests/data/onboarding_phrasings.jsonl; bench/onboarding_phrasings.py).
ANSWER_ABOVE = 0.5
# Words that show a sentence says something of coming back, so the return question's
# classifier may read it even when another question was asked ("... grįšiu kitais metais").
RETURN_CUES = ("griz", "grist", "sugriz", "parvaz", "grisiu", "return", "moving back",
               "move back", "come back", "coming back")  # fmt: skip


def understood(turn: Turn, question: str) -> str | None:
    """The answer NLU read from the typed text, when it is sure enough (never "other")."""
    parse = turn.understand_answer(question)
    if not parse or parse["value"] == OTHER or float(parse["confidence"]) < ANSWER_ABOVE:
        return None
    return str(parse["value"])


# When no option's words match, a confident "yes" or "no" from NLU answers these questions.
AFFIRM_DENY = {
    "consent": {"affirm": "all", "deny": "no"},
    "return": {"affirm": "within_year", "deny": "no"},
    "yes_no": {"affirm": "yes", "deny": "no"},
}
NLU_ANSWER_ABOVE = 0.6


def understood_choice(turn: Turn, question: str) -> str | None:
    """An option NLU read from the text (affirm / deny), when it is sure enough."""
    parse = turn.understand()
    if not parse or question not in AFFIRM_DENY:
        return None
    intent = parse.get("intent") or {}
    if float(intent.get("confidence") or 0) < NLU_ANSWER_ABOVE:
        return None
    return AFFIRM_DENY[question].get(str(intent.get("name")))


def choice_outcome(turn: Turn, prefix: str, question: str, allowed: set[str]) -> Outcome:
    """A button, else what NLU read, else the option's words, else a confident yes/no."""
    value = (
        pressed(turn, prefix)
        or (understood(turn, question) if question in ANSWERED_QUESTIONS else None)
        or typed_choice(turn, question)
        or understood_choice(turn, question)
    )
    return Answered(value) if value in allowed else None


@lru_cache(maxsize=2)
def _country_names(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])


def country_name(code: str | None, language: str) -> str:
    """A country's name in the member's language ('Norvegija' / 'Norway')."""
    country = pycountry.countries.get(alpha_2=code) if code else None
    if country is None:
        return code or ""
    name = getattr(country, "common_name", None) or country.name
    return _country_names(language).gettext(country.name) if language != "en" else name


class LanguageQuestion:
    key = "language"
    payload_prefix = "lang"

    def ask(self, turn: Turn) -> Reply:
        return Reply(
            text=turn.t("onboarding.welcome"),
            buttons=(turn.button("language.lt", "lang:lt"), turn.button("language.en", "lang:en")),
        )

    def answer(self, turn: Turn) -> Outcome:
        return choice_outcome(turn, self.payload_prefix, "language", {"lt", "en"})

    def store(self, turn: Turn, value: Any) -> None:
        turn.member.language = value
        turn.session.add(turn.member)


CONSENT_BUTTONS = {
    "all": "consent.button_all",
    "membership": "consent.button_membership",
    "no": "consent.button_no",
}


def privacy_notice_url(turn: Turn) -> str:
    return f"{turn.settings.public_url.rstrip('/')}/privacy?lang={turn.language}"


def consent_buttons(turn: Turn) -> tuple[Button, ...]:
    return tuple(turn.button(key, f"consent:{value}") for value, key in CONSENT_BUTTONS.items())


def consent_why(turn: Turn) -> Reply:
    """Why the data is asked for, for someone who asks at the consent question, and the
    choice again (short: the notice they just read is not repeated)."""
    link = Link(turn.t("privacy_page.title"), privacy_notice_url(turn))
    return Reply(text=turn.t("joining.consent_why"), buttons=consent_buttons(turn), links=(link,))


class ConsentQuestion:
    key = "consent"
    payload_prefix = "consent"

    def ask(self, turn: Turn) -> Reply:
        notice = turn.t(
            "consent.notice",
            version=turn.settings.privacy_notice_version,
            url=privacy_notice_url(turn),
        )
        return Reply(text=notice, buttons=consent_buttons(turn))

    def again(self, turn: Turn) -> Reply:
        """Asked again (after a question answered meanwhile): the notice was just read, so
        only the question, the choices and the link to the notice."""
        link = Link(turn.t("privacy_page.title"), privacy_notice_url(turn))
        return Reply(
            text=turn.t("joining.consent_again"), buttons=consent_buttons(turn), links=(link,)
        )

    def answer(self, turn: Turn) -> Outcome:
        return choice_outcome(turn, self.payload_prefix, "consent", set(CONSENT_BUTTONS))

    def store(self, turn: Turn, value: Any) -> None:
        granted = {
            ConsentPurpose.MEMBERSHIP: value in ("all", "membership"),
            ConsentPurpose.NEWS: value == "all",
            ConsentPurpose.PERSONALISATION: value == "all",
            ConsentPurpose.ONCHAIN_REWARDS: value == "all",
        }
        for purpose, yes in granted.items():
            record_consent(
                session=turn.session,
                member_id=turn.member_id,
                purpose=purpose,
                granted=yes,
                notice_version=turn.settings.privacy_notice_version,
                source=turn.incoming.platform,
            )


class OptionQuestion:
    """One answer from a fixed set of options (an enum): buttons "<key>:<value>" labelled by
    the catalogue's "<key>.<value>", or typed words from choices.yml."""

    def __init__(self, key: str, options: type[StrEnum], prompt: str, field: str) -> None:
        self.key = self.payload_prefix = key
        self.options = options
        self.prompt = prompt
        self.field = field  # the Member attribute the answer is stored in

    def ask(self, turn: Turn) -> Reply:
        return Reply(
            text=turn.t(self.prompt),
            buttons=tuple(
                turn.button(f"{self.key}.{option.value}", f"{self.key}:{option.value}")
                for option in self.options
            ),
        )

    def answer(self, turn: Turn) -> Outcome:
        allowed = {option.value for option in self.options}
        return choice_outcome(turn, self.payload_prefix, self.key, allowed)

    def store(self, turn: Turn, value: Any) -> None:
        setattr(turn.member, self.field, value)
        turn.session.add(turn.member)


ALSO_ANSWERED = "answered"  # slot: later questions a sentence already answered


def return_said(turn: Turn) -> str | None:
    """A plan to come back told in passing ("... bet kitais metais grįšiu")."""
    if not turn.text or not any(cue in fold(turn.text) for cue in RETURN_CUES):
        return None
    return understood(turn, "return")


def note_also_answered(turn: Turn, *questions: str) -> None:
    done = [*turn.slots.get(ALSO_ANSWERED, []), *questions]
    turn.conversation.slots = {**turn.slots, ALSO_ANSWERED: sorted(set(done))}


def relation_of(turn: Turn, place: Place) -> str | None:
    """Where one lives decides most answers: a named foreign place means abroad, Alytus or
    one of its districts a resident. Coming back, or never having lived there, the classifier
    reads ("grįžau iš Airijos", "niekada negyvenau, bet močiutė iš Alytaus")."""
    read = understood(turn, "relation")
    if read in (Relation.RETURNED, Relation.FRIEND):
        return read
    if place.country not in (None, "LT"):
        return Relation.EMIGRANT
    if names_alytus(turn.text) or place.country == "LT":
        return Relation.RESIDENT
    return read or typed_choice(turn, "relation")


class RelationQuestion(OptionQuestion):
    """Residents and returnees live in Alytus: their place is known without asking. A
    sentence that also names where one lives abroad, or a plan to come back, answers those
    questions too."""

    def __init__(self) -> None:
        super().__init__("relation", Relation, "onboarding.ask_relation", "relation")

    def answer(self, turn: Turn) -> Outcome:
        value = pressed(turn, self.payload_prefix)
        if value is not None:
            return Answered({"relation": value}) if value in set(Relation) else None
        if turn.payload or not turn.text:
            return None
        place = parse_place(turn.text)
        relation = relation_of(turn, place)
        if relation is None:
            return None
        found: dict[str, Any] = {"relation": relation}
        if relation in (Relation.EMIGRANT, Relation.FRIEND) and place.country not in (None, "LT"):
            found |= {"country": place.country, "city": place.city}
        if relation == Relation.EMIGRANT and (plan := return_said(turn)):
            found["return"] = plan
        return Answered(found)

    def store(self, turn: Turn, value: Any) -> None:
        relation = value["relation"]
        if relation in (Relation.RESIDENT, Relation.RETURNED):
            turn.member.country, turn.member.city = "LT", "Alytus"
        if "country" in value:
            turn.member.country, turn.member.city = value["country"], value["city"]
            note_also_answered(turn, "place")
        if "return" in value:
            turn.member.return_intention = value["return"]
            note_also_answered(turn, "return")
        super().store(turn, relation)


class PlaceQuestion:
    key = "place"
    payload_prefix = "place"

    def ask(self, turn: Turn) -> Reply:
        return Reply(
            text=turn.t("onboarding.ask_place"), buttons=(turn.button("place.skip", "place:skip"),)
        )

    def answer(self, turn: Turn) -> Outcome:
        """A country (and city) typed freely, or 'rather not say': where one lives is optional."""
        skip = {"country": None, "city": None}
        if pressed(turn, self.payload_prefix) == "skip":
            return Answered(skip)
        if turn.payload or not turn.text:
            return None
        place = parse_place(turn.text)
        if place.country is None:
            if understood(turn, "place") == "skip" or typed_choice(turn, "place") == "skip":
                return Answered(skip)
            if names_alytus(turn.text):
                place = Place(country="LT", city="Alytus")
            else:
                return None
        found: dict[str, Any] = {"country": place.country, "city": place.city}
        if plan := return_said(turn):
            found["return"] = plan
        return Answered(found)

    def store(self, turn: Turn, value: Any) -> None:
        turn.member.country = value["country"]
        turn.member.city = value["city"]
        if "return" in value:
            turn.member.return_intention = value["return"]
            note_also_answered(turn, "return")
        turn.session.add(turn.member)


class InterestsQuestion:
    """Several interests: buttons toggle and 'Done' ends; typing names them all at once."""

    key = "interests"
    payload_prefix = "interest"
    draft_slot = "interests_draft"

    def ask(self, turn: Turn) -> Reply:
        text = turn.t("onboarding.ask_interests")
        if chosen := self._chosen(turn):
            text += "\n" + turn.t("onboarding.interests_chosen", chosen=chosen)
        return Reply(text=text, buttons=self._buttons(turn))

    def _toggled(self, turn: Turn) -> Reply:
        chosen = self._chosen(turn) or turn.t("profile.unknown")
        return Reply(
            text=turn.t("onboarding.interests_chosen", chosen=chosen), buttons=self._buttons(turn)
        )

    def _chosen(self, turn: Turn) -> str:
        chosen = set(turn.slots.get(self.draft_slot, []))
        return ", ".join(turn.t(f"interest.{i.value}") for i in Interest if i.value in chosen)

    def _buttons(self, turn: Turn) -> tuple[Button, ...]:
        chosen = set(turn.slots.get(self.draft_slot, []))
        buttons = [
            Button(
                ("✓ " if interest.value in chosen else "") + turn.t(f"interest.{interest.value}"),
                f"interest:{interest.value}",
            )
            for interest in Interest
        ]
        buttons.append(turn.button("interest.done", "interest:done"))
        return tuple(buttons)

    def answer(self, turn: Turn) -> Outcome:
        value = pressed(turn, self.payload_prefix)
        draft = list(turn.slots.get(self.draft_slot, []))
        if value == "done":
            return Answered(draft)
        if value in {i.value for i in Interest}:
            draft = [i for i in draft if i != value] if value in draft else [*draft, value]
            turn.conversation.slots = {**turn.slots, self.draft_slot: draft}
            return Pending([self._toggled(turn)])
        if value is None and turn.text and not turn.payload:
            typed = typed_interests(turn)
            if typed:
                return Answered(typed)
        return None

    def store(self, turn: Turn, value: Any) -> None:
        turn.member.interests = [i.value for i in Interest if i.value in value]
        turn.conversation.slots = {k: v for k, v in turn.slots.items() if k != self.draft_slot}
        turn.session.add(turn.member)


EVERYTHING = re.compile(r"\b(viskas|visko|visi|visos|viska|everything|all|anything)\b")
EXCEPT = re.compile(r"\b(isskyrus|isskirus|except|apart from|but not|other than|bet ne|be)\b")


def typed_interests(turn: Turn) -> list[str]:
    """Interests named in a sentence: the NLU's interest entities and the options' words;
    "viskas" means all, and what follows "išskyrus" / "except" is left out."""
    folded, origin = fold_with_offsets(turn.text)
    cut = EXCEPT.search(folded)
    border = origin[cut.start()] if cut else len(turn.text)
    parse = turn.understand_answer("interests") or {}
    named: set[str] = set()
    excluded: set[str] = set()
    for entity in parse.get("entities", []):
        if entity["entity"] == "interest_topic" and entity["value"] in set(Interest):
            (named if entity["start"] < border else excluded).add(entity["value"])
    if not named and not excluded:  # the options' words, when NLU's entities found nothing
        named.update(choices.match_many("interests", turn.text[:border]))
        excluded.update(choices.match_many("interests", turn.text[border:]) if cut else [])
    if EVERYTHING.search(folded[: cut.start()] if cut else folded):
        named = {interest.value for interest in Interest}
    return [interest.value for interest in Interest if interest in named - excluded]


class ReturnQuestion(OptionQuestion):
    def __init__(self) -> None:
        super().__init__("return", ReturnIntention, "onboarding.ask_return", "return_intention")


QUESTIONS = {
    question.key: question
    for question in (
        LanguageQuestion(),
        ConsentQuestion(),
        RelationQuestion(),
        PlaceQuestion(),
        InterestsQuestion(),
        ReturnQuestion(),
    )
}


def ask_again(turn: Turn, key: str, reason: str = "common.not_understood") -> list[Reply]:
    """A short 'I did not get that' (or 'that button is old') and the question again."""
    turn.not_understood = True
    if turn.payload and reason == "common.not_understood":
        reason = "common.stale_button"
    elif key == "place" and reason == "common.not_understood":
        reason = "onboarding.place_not_understood"
    question = QUESTIONS[key]
    again = getattr(question, "again", question.ask)  # a long question may be asked briefly
    return [Reply(text=turn.t(reason)), again(turn)]


def asks_something_else(turn: Turn, key: str) -> bool:
    """A question about something else, not an answer ("kiek kainuoja butai Alytuje?" names
    Alytus but is no answer to where one lives): the engine answers it and asks again."""
    if turn.payload or not turn.text:
        return False
    intent, confidence = top_intent(turn.understand())
    if not plainly_a_question(turn, intent):
        return False
    if asks_for_a_feature(intent, confidence) or key == "language":
        return True  # nobody names their language in a question ("…a Lithuanian permit?")
    return key not in ANSWERED_QUESTIONS or understood(turn, key) is None


def take_answer(turn: Turn, key: str) -> Answered | list[Reply]:
    """Put the member's message to question `key`: the stored answer, or what to say now
    (the question again when not understood, the picker while choosing several)."""
    question = QUESTIONS[key]
    if asks_something_else(turn, key):
        return ask_again(turn, key)
    outcome = question.answer(turn)
    if outcome is None:
        return ask_again(turn, key)
    if isinstance(outcome, Pending):
        return outcome.replies
    question.store(turn, outcome.value)
    return outcome
