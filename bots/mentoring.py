"""Mentoring and helping hands in chat: `/mentor` to offer or seek mentoring, volunteering or
charity help; proposals with Yes/No; `/msg ID TEXT` between introduced members.

Every step is a command, so a button's payload and a typed line do the same thing; after
"Which field?" or "Which languages?" the next typed line is the answer too (MentoringFlow):
  /mentor                               the menu
  /mentor offer mentoring               pick a field (or type your profession)
  /mentor offer mentoring IT; lt en     the topic, then the languages you speak
  /mentor lang 7 lt en                  the languages of offer 7 (the language buttons)
  /mentor yes 3 | /mentor no 3          the answer to proposal 3
  /mentor list | /mentor stop [3]       what you have; stop everything, or one match
  /msg 3 Labas!                         to the member of introduced match 3, through the bot
Lithuanian words work too: "/mentor siulau mentoryste IT; lt en", "taip 3", "ne 3".

The matching and the rows live in community.mentoring; proposals, introductions and relayed
messages go through the notification outbox, so each side reads them on their own platform
in their own language, and nobody sees the other's name or account.
"""

from __future__ import annotations

import secrets
from typing import Any

from bots.catalog import LANGUAGES as CATALOG_LANGUAGES
from bots.features import Handler
from bots.messages import Button, Reply
from bots.turn import Turn
from community import mentoring
from community.mentoring import FIELDS, HelpKind, HelpRole, MentoringError
from community.models import HelpMatch, HelpOffer
from community.notifications import enqueue
from rewards.journal import latest_platform

YES_WORDS = ("yes", "taip")
NO_WORDS = ("no", "ne")
STOP_WORDS = ("stop", "stabdyti", "baigti")
LIST_WORDS = ("list", "mano", "sarasas")
LANGUAGE_CHOICES = ("lt", "en", "lt en")
FLOW = "mentoring"  # the conversation waits for a typed field or languages


# ---- catalogue helpers -------------------------------------------------------------------------


def _both(turn: Turn, name: str, key: str, /, **params: object) -> dict[str, str]:
    """A message in every catalogue language, as notification parameters name_lt, name_en
    (the delivery picks the member's own)."""
    return {
        f"{name}_{language}": turn.catalog.text(language, key, **params)
        for language in CATALOG_LANGUAGES
    }


def _in(turn: Turn, language: str, key: str, /, **params: object) -> str:
    return turn.catalog.text(language, key, **params)


def _buttons(turn: Turn, *pairs: tuple[str, str]) -> list[dict[str, str]]:
    """Answer buttons for a notification: a label per language and the payload."""
    return [
        {"label_lt": _in(turn, "lt", key), "label_en": _in(turn, "en", key), "payload": payload}
        for key, payload in pairs
    ]


def _notify(turn: Turn, member_id: int, key: str, dedupe: str, params: dict[str, Any]) -> None:
    """Tell a member later, on the platform they used last (nothing if they have none)."""
    platform = latest_platform(session=turn.session, member_id=member_id)
    if platform is not None:
        enqueue(
            session=turn.session,
            member_id=member_id,
            platform=platform,
            message_key=key,
            params=params,
            dedupe_key=dedupe,
        )


def _not_member(turn: Turn) -> Reply:
    return Reply(text=turn.t("mentoring.not_member"), buttons=(turn.button("menu.join", "/start"),))


# ---- the menu and recording an offer ------------------------------------------------------------


def menu(turn: Turn) -> list[Reply]:
    buttons = [
        turn.button(f"mentoring.choose_{kind.value}_{role.value}", f"/mentor {role} {kind}")
        for kind in HelpKind
        for role in HelpRole
    ]
    buttons += [
        turn.button("mentoring.button_list", "/mentor list"),
        turn.button("mentoring.button_stop", "/mentor stop"),
    ]
    return [Reply(text=turn.t("mentoring.menu"), buttons=tuple(buttons))]


def _ask_field(turn: Turn, kind: HelpKind, role: HelpRole) -> list[Reply]:
    turn.go(FLOW, "topic", kind=kind.value, role=role.value)
    buttons = tuple(
        turn.button(f"mentoring.field_{code}", f"/mentor {role} {kind} {code}")
        for code in FIELDS[kind.value]
    )
    text = turn.t(f"mentoring.ask_topic_{kind.value}", command=f"/mentor {role} {kind}")
    return [Reply(text=text, buttons=buttons)]


def _ask_languages(turn: Turn, offer: HelpOffer) -> list[Reply]:
    turn.go(FLOW, "languages", offer=offer.id)
    buttons = tuple(
        turn.button(
            f"mentoring.languages_{choice.replace(' ', '_')}", f"/mentor lang {offer.id} {choice}"
        )
        for choice in LANGUAGE_CHOICES
    )
    return [Reply(text=turn.t("mentoring.ask_languages", offer=offer.id), buttons=buttons)]


def record(turn: Turn, kind: HelpKind, role: HelpRole, rest: str) -> list[Reply]:
    """'/mentor offer mentoring TOPIC[; LANGUAGES]': save it, then match or ask languages."""
    topic, _, languages = rest.partition(";")
    if not topic.strip():
        return _ask_field(turn, kind, role)
    codes = mentoring.parse_languages(languages)
    try:
        offer = mentoring.create_offer(
            session=turn.session,
            member_id=turn.member_id,
            kind=kind.value,
            role=role.value,
            topic=topic,
            languages=codes,
        )
    except MentoringError:
        return _ask_field(turn, kind, role)
    if not offer.active:
        return _ask_languages(turn, offer)
    return _saved(turn, offer)


def set_languages(turn: Turn, rest: str) -> list[Reply]:
    offer_id, _, languages = rest.partition(" ")
    if not offer_id.isdigit() or len(offer_id) > 9:
        return [Reply(text=turn.t("mentoring.how"))]
    try:
        offer = mentoring.set_languages(
            session=turn.session,
            offer_id=int(offer_id),
            member_id=turn.member_id,
            languages=mentoring.parse_languages(languages),
        )
    except MentoringError as error:
        if error.code == "no_language":
            offer = turn.session.get(HelpOffer, int(offer_id))
            assert offer is not None
            return _ask_languages(turn, offer)
        return [Reply(text=turn.t("common.stale_button"))]
    return _saved(turn, offer)


def _saved(turn: Turn, offer: HelpOffer) -> list[Reply]:
    """The offer is active: propose matches to both sides of each."""
    made = mentoring.propose_matches(session=turn.session, offer=offer)
    for match in made:
        propose(turn, match)
    what = turn.t(f"mentoring.choose_{offer.kind}_{offer.role}")
    key = "mentoring.saved_found" if made else "mentoring.saved_waiting"
    return [Reply(text=turn.t(key, what=what, count=len(made)))]


# ---- proposals, answers, introductions -----------------------------------------------------------


def _why(turn: Turn, match: HelpMatch, language: str) -> str:
    reason = match.reason or {}
    topics = [
        _in(turn, language, f"mentoring.field_{code}")
        for code in reason.get("fields", [])
        if turn.catalog.has(f"mentoring.field_{code}")
    ]
    topics += [word for word in reason.get("words", []) if word not in topics]
    languages = [
        _in(turn, language, f"mentoring.lang_{code}") for code in reason.get("languages", [])
    ]
    return _in(
        turn, language, "mentoring.why", topics=", ".join(topics), languages=", ".join(languages)
    )


def propose(turn: Turn, match: HelpMatch) -> None:
    """'Someone who … wants to …; want to be introduced? [Yes] [No]' to each side."""
    assert match.id is not None
    for member_id in (match.member_a_id, match.member_b_id):
        other_role = mentoring.role_of(match, member_id)
        params: dict[str, Any] = {"match": match.id}
        for language in CATALOG_LANGUAGES:
            params[f"who_{language}"] = _in(
                turn, language, f"mentoring.who_{match.kind}_{other_role}"
            )
            params[f"why_{language}"] = _why(turn, match, language)
        params["buttons"] = _buttons(
            turn,
            ("mentoring.button_yes", f"/mentor yes {match.id}"),
            ("mentoring.button_no", f"/mentor no {match.id}"),
        )
        _notify(
            turn,
            member_id,
            "mentoring.proposal",
            f"mentoring.proposal:{match.id}:{member_id}",
            params,
        )


def _introduction(turn: Turn, match: HelpMatch) -> dict[str, Any]:
    return {
        "match": match.id,
        "buttons": _buttons(turn, ("mentoring.button_write", f"/msg {match.id}")),
    }


def answer(turn: Turn, yes: bool, rest: str) -> list[Reply]:
    match_id = rest.split()[0] if rest.split() else ""
    if not match_id.isdigit() or len(match_id) > 9:
        return [Reply(text=turn.t("mentoring.how"))]
    try:
        match = mentoring.answer(
            session=turn.session, match_id=int(match_id), member_id=turn.member_id, yes=yes
        )
    except MentoringError as error:
        key = "mentoring.answer_closed" if error.code.startswith("already_") else None
        return [Reply(text=turn.t(key or "common.stale_button"))]
    other = mentoring.other_member(match, turn.member_id)
    if not yes:
        _notify(
            turn,
            other,
            "mentoring.closed",
            f"mentoring.closed:{match.id}:{other}",
            {"match": match.id},
        )
        return [Reply(text=turn.t("mentoring.declined"))]
    if match.status != mentoring.INTRODUCED:
        return [Reply(text=turn.t("mentoring.yes_waiting"))]
    params = _introduction(turn, match)
    _notify(turn, other, "mentoring.introduced", f"mentoring.introduced:{match.id}:{other}", params)
    buttons = (Button(turn.t("mentoring.button_write"), f"/msg {match.id}"),)
    return [Reply(text=turn.t("mentoring.introduced", match=match.id), buttons=buttons)]


# ---- listing and stopping -----------------------------------------------------------------------


def listing(turn: Turn) -> list[Reply]:
    offers = mentoring.offers_of(session=turn.session, member_id=turn.member_id)
    matches = mentoring.matches_of(session=turn.session, member_id=turn.member_id)
    if not offers and not matches:
        return [Reply(text=turn.t("mentoring.nothing"), buttons=menu(turn)[0].buttons[:6])]
    lines = [turn.t("mentoring.yours")]
    for offer in offers:
        what = turn.t(f"mentoring.choose_{offer.kind}_{offer.role}")
        languages = ", ".join(turn.t(f"mentoring.lang_{code}") for code in offer.languages)
        lines.append(f"• {what}: {offer.topic} ({languages})")
    for match in matches:
        said_yes = mentoring.has_said_yes(match, turn.member_id)
        status = (
            "introduced"
            if match.status == mentoring.INTRODUCED
            else ("waiting_other" if said_yes else "waiting_you")
        )
        lines.append(turn.t(f"mentoring.match_{status}", match=match.id))
    return [
        Reply(
            text="\n".join(lines), buttons=(turn.button("mentoring.button_stop", "/mentor stop"),)
        )
    ]


def stop(turn: Turn, rest: str) -> list[Reply]:
    match_id = rest.split()[0] if rest.split() else ""
    if match_id and (not match_id.isdigit() or len(match_id) > 9):
        return [Reply(text=turn.t("mentoring.how"))]
    try:
        ended = mentoring.stop(
            session=turn.session,
            member_id=turn.member_id,
            match_id=int(match_id) if match_id else None,
        )
    except MentoringError:
        return [Reply(text=turn.t("common.stale_button"))]
    for match in ended:
        other = mentoring.other_member(match, turn.member_id)
        _notify(
            turn,
            other,
            "mentoring.ended",
            f"mentoring.ended:{match.id}:{other}",
            {"match": match.id},
        )
    return [Reply(text=turn.t("mentoring.stopped_one" if match_id else "mentoring.stopped"))]


# ---- the commands ------------------------------------------------------------------------------


def mentor_command(turn: Turn, argument: str) -> list[Reply]:
    if turn.member.onboarded_at is None:
        return [_not_member(turn)]
    if turn.conversation.flow == FLOW:
        turn.finish()  # a button or a typed command answers; the step asks again if it must
    words = argument.split(maxsplit=2)
    if not words:
        return menu(turn)
    first = mentoring.fold(words[0])
    rest = argument.split(maxsplit=1)[1] if len(words) > 1 else ""
    if first in YES_WORDS or first in NO_WORDS:
        return answer(turn, first in YES_WORDS, rest)
    if first in STOP_WORDS:
        return stop(turn, rest)
    if first in LIST_WORDS:
        return listing(turn)
    if first in ("lang", "kalbos", "kalba"):
        return set_languages(turn, rest)
    if len(words) >= 2:
        role, kind = mentoring.parse_role(words[0]), mentoring.parse_kind(words[1])
        if role is None and kind is None:
            role, kind = mentoring.parse_role(words[1]), mentoring.parse_kind(words[0])
        if role is not None and kind is not None:
            return record(turn, kind, role, words[2] if len(words) > 2 else "")
    return [Reply(text=turn.t("mentoring.how")), *menu(turn)]


def msg_command(turn: Turn, argument: str) -> list[Reply]:
    """'/msg 3 text': pass the text to the other member of introduced match 3."""
    if turn.member.onboarded_at is None:
        return [_not_member(turn)]
    match_id, _, text = argument.strip().partition(" ")
    if not match_id.isdigit() or len(match_id) > 9:
        return [Reply(text=turn.t("mentoring.msg_how"))]
    try:
        match = mentoring.introduced_match(
            session=turn.session, match_id=int(match_id), member_id=turn.member_id
        )
    except MentoringError:
        return [Reply(text=turn.t("mentoring.msg_not_introduced"))]
    if not text.strip():
        return [Reply(text=turn.t("mentoring.msg_write", match=match.id))]
    other = mentoring.other_member(match, turn.member_id)
    params = {
        "match": match.id,
        "text": text.strip(),
        "buttons": _buttons(turn, ("mentoring.button_reply", f"/msg {match.id}")),
    }
    dedupe = f"mentoring.msg:{match.id}:{turn.member_id}:{secrets.token_hex(8)}"
    _notify(turn, other, "mentoring.relayed", dedupe, params)
    return [Reply(text=turn.t("mentoring.msg_sent"))]


COMMANDS: dict[str, Handler] = {"mentor": mentor_command, "msg": msg_command}


class MentoringFlow:
    """The typed answer to the open question of /mentor: "Which field?" takes "IT" or
    "buhalterine apskaita", "Which languages?" takes "lietuviu ir anglu". The engine routes the
    member's next message here while the conversation's flow is "mentoring"."""

    name = FLOW

    def start(self, turn: Turn) -> list[Reply]:
        return mentor_command(turn, "")

    def handle(self, turn: Turn) -> list[Reply]:
        step, slots, text = turn.conversation.step, dict(turn.slots), turn.text
        if turn.payload or "?" in text:  # a stale button, or a question: not the answer
            step = None
        if step == "topic":
            kind, role = HelpKind(slots["kind"]), HelpRole(slots["role"])
            return mentor_command(turn, f"{role} {kind} {text}")
        if step == "languages":
            return mentor_command(turn, f"lang {slots['offer']} {text}")
        turn.finish()
        turn.not_understood = True
        return [Reply(text=turn.t("mentoring.how"))]
