"""Mentoring and helping hands: members offer or seek mentoring, volunteering and charity help,
and two of them are introduced only when both say yes.

An offer's topic is folded into words (and a field code when a word names one), so "IT",
"programavimas" and "software" meet; a match needs a shared word and a shared language. What a
member typed is never shown to anyone else: a proposal names only the shared fields, words and
languages. Messages between introduced members go through the bot (bots/mentoring.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, or_, select

from community.models import HelpMatch, HelpOffer, Member, Notification, as_utc, utcnow


class HelpKind(StrEnum):
    MENTORING = "mentoring"
    VOLUNTEERING = "volunteering"
    CHARITY = "charity"


class HelpRole(StrEnum):
    OFFER = "offer"
    SEEK = "seek"


PROPOSED, INTRODUCED, DECLINED, STOPPED = "proposed", "introduced", "declined", "stopped"
ACCEPTED_A, ACCEPTED_B = "accepted_a", "accepted_b"
OPEN = (PROPOSED, ACCEPTED_A, ACCEPTED_B)
LIVE = (*OPEN, INTRODUCED)
PROPOSALS_AT_ONCE = 3
FIELD_PREFIX = "field:"
NOTICE_PREFIX = "mentoring."  # the dedupe keys of the notifications about a match
STEM = 5  # letters of a longer word compared: "programavimas" and "programming" meet

# Fields a member can pick with a button, per kind, with words (folded, stems) that name them.
FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "mentoring": {
        "it": ("it", "progr", "softw", "kompi", "compu", "infor", "techn", "duome", "data", "web"),
        "business": ("busin", "versl", "verslo", "start", "įmone", "imone", "compa", "finan"),
        "engineering": ("engin", "inzin", "statyb", "mecha", "elekt", "elect", "build"),
        "health": ("healt", "sveik", "medic", "gydyt", "nurse", "slaug", "docto"),
        "education": ("educa", "teach", "mokyt", "svieti", "scien", "moksl", "studi"),
        "law": ("law", "teise", "legal", "advok", "lawye", "juris"),
        "arts": ("art", "menas", "menai", "music", "muzik", "desig", "dizai", "media"),
        "trades": ("trade", "amata", "craft", "meist", "weld", "suvir", "staly", "carpe"),
    },
    "volunteering": {
        "children": ("child", "vaika", "vaiku", "kids", "jauni", "youth"),
        "elderly": ("elder", "senjo", "senol", "senel", "senio"),
        "environment": ("envir", "aplin", "gamta", "natur", "trees", "medzi"),
        "events": ("event", "rengi", "festi", "sport"),
        "animals": ("anima", "gyvun", "dogs", "sunys", "cats"),
    },
    "charity": {
        "food": ("food", "maist", "meals"),
        "clothes": ("cloth", "drabu", "apava", "shoes"),
        "household": ("house", "furni", "baldai", "buiti", "namu"),
        "transport": ("trans", "drive", "vaira", "ride"),
        "money": ("money", "pinig", "aukos", "donat", "parama"),
    },
}

# Languages members say they speak: code -> words for it (folded), Lithuanian and English.
LANGUAGES: dict[str, tuple[str, ...]] = {
    "lt": ("lt", "lietuviu", "lietuviskai", "lithuanian"),
    "en": ("en", "anglu", "angliskai", "english"),
    "ru": ("ru", "rusu", "rusiskai", "russian"),
    "pl": ("pl", "lenku", "lenkiskai", "polish"),
    "de": ("de", "vokieciu", "vokiskai", "german"),
    "uk": ("uk", "ukrainieciu", "ukrainietiskai", "ukrainian"),
    "no": ("no", "norvegu", "norvegiskai", "norwegian"),
}

# Words that say nothing about a topic, in either language (folded).
STOPWORDS = frozenset(
    """a an and in of on the for to with at my i im am want would like help need
    ir i su is ar be del apie mano as noriu norečiau noreciau reikia galiu padeti pagalba
    pagalbos mentor mentoring mentorius mentoryste mentorystes savanoryste labdara""".split()
)


class MentoringError(ValueError):
    """An offer or an answer that cannot be taken as given; `code` names it for the bot."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def fold(text: str) -> str:
    """Lower case, no diacritics: 'Programavimas' and 'programavimąs' read the same."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _stem(word: str) -> str:
    return word[:STEM] if len(word) > STEM else word


def _names(stem: str, name: str) -> bool:
    """Whether a topic word's stem is one of a field's names (short names: exactly)."""
    return stem == name if len(name) < 4 else stem.startswith(name[:STEM])


def topic_words(kind: str, topic: str) -> list[str]:
    """The words matching compares: stems of the topic's words and the fields they name."""
    words = [w for w in re.findall(r"[a-z0-9+#]+", fold(topic)) if w not in STOPWORDS]
    stems = {_stem(word) for word in words if len(word) >= 2}
    fields = {
        f"{FIELD_PREFIX}{code}"
        for code, names in FIELDS.get(kind, {}).items()
        if code in words or any(_names(stem, name) for stem in stems for name in names)
    }
    return sorted(stems | fields)


def parse_languages(text: str) -> list[str]:
    """Language codes named in `text` ('lt en', 'lietuviu, anglu', 'English')."""
    named = set(re.findall(r"[a-z]+", fold(text)))
    return [code for code, names in LANGUAGES.items() if named & set(names)]


def parse_kind(word: str) -> HelpKind | None:
    folded = fold(word)
    aliases = {
        "mentoring": HelpKind.MENTORING, "mentoryste": HelpKind.MENTORING,
        "mentorystes": HelpKind.MENTORING, "mentor": HelpKind.MENTORING,
        "volunteering": HelpKind.VOLUNTEERING, "savanoryste": HelpKind.VOLUNTEERING,
        "savanorystes": HelpKind.VOLUNTEERING, "volunteer": HelpKind.VOLUNTEERING,
        "charity": HelpKind.CHARITY, "labdara": HelpKind.CHARITY, "labdaros": HelpKind.CHARITY,
        "help": HelpKind.CHARITY, "pagalba": HelpKind.CHARITY,
    }  # fmt: skip
    return aliases.get(folded)


def parse_role(word: str) -> HelpRole | None:
    folded = fold(word)
    if folded in ("offer", "siulau", "siulyti", "give", "duodu"):
        return HelpRole.OFFER
    if folded in ("seek", "ieskau", "ieskoti", "need", "reikia", "find"):
        return HelpRole.SEEK
    return None


def create_offer(
    *,
    session: Session,
    member_id: int,
    kind: str,
    role: str,
    topic: str,
    languages: Iterable[str] = (),
) -> HelpOffer:
    """A member's offer or request; active (matched) once its languages are known."""
    kind, role = HelpKind(kind).value, HelpRole(role).value
    words = topic_words(kind, topic)
    if not words:
        raise MentoringError("no_topic")
    codes = [code for code in LANGUAGES if code in set(languages)]
    offer = HelpOffer(
        member_id=member_id,
        kind=kind,
        role=role,
        topic=topic.strip()[:300],
        words=words,
        languages=codes,
        active=bool(codes),
    )
    session.add(offer)
    session.flush()
    return offer


def set_languages(
    *, session: Session, offer_id: int, member_id: int, languages: Iterable[str]
) -> HelpOffer:
    """The languages of a draft offer: it becomes active and can be matched."""
    offer = session.get(HelpOffer, offer_id)
    if offer is None or offer.member_id != member_id:
        raise MentoringError("unknown_offer")
    codes = [code for code in LANGUAGES if code in set(languages)]
    if not codes:
        raise MentoringError("no_language")
    offer.languages, offer.active = codes, True
    session.add(offer)
    session.flush()
    return offer


def offers_of(*, session: Session, member_id: int, active_only: bool = True) -> list[HelpOffer]:
    query = select(HelpOffer).where(HelpOffer.member_id == member_id)
    if active_only:
        query = query.where(col(HelpOffer.active).is_(True))
    return list(session.exec(query.order_by(col(HelpOffer.id))))


def _pair_is_live(session: Session, kind: str, one: int, other: int) -> bool:
    """These two members already have a proposal or an introduction of this kind."""
    query = select(HelpMatch.id).where(
        HelpMatch.kind == kind,
        col(HelpMatch.status).in_(LIVE),
        or_(
            (col(HelpMatch.member_a_id) == one) & (col(HelpMatch.member_b_id) == other),
            (col(HelpMatch.member_a_id) == other) & (col(HelpMatch.member_b_id) == one),
        ),
    )
    return session.exec(query).first() is not None


@dataclass(frozen=True)
class Candidate:
    offer: HelpOffer
    shared_words: list[str]
    shared_languages: list[str]


def candidates_for(*, session: Session, offer: HelpOffer) -> list[Candidate]:
    """Active offers of the same kind and the opposite role, by other members who were not
    erased, sharing a topic word and a language: the most shared words first."""
    opposite = HelpRole.SEEK if offer.role == HelpRole.OFFER else HelpRole.OFFER
    query = (
        select(HelpOffer)
        .join(Member, col(Member.id) == HelpOffer.member_id)
        .where(
            HelpOffer.kind == offer.kind,
            HelpOffer.role == opposite.value,
            col(HelpOffer.active).is_(True),
            HelpOffer.member_id != offer.member_id,
            col(Member.erased_at).is_(None),
        )
        .order_by(col(HelpOffer.id))
    )
    found = []
    for other in session.exec(query):
        words = sorted(set(offer.words) & set(other.words))
        languages = [code for code in offer.languages if code in other.languages]
        if words and languages:
            found.append(Candidate(other, words, languages))
    found.sort(key=lambda c: (-len(c.shared_words), c.offer.id or 0))
    return found


def _reason(offerer: HelpOffer, seeker: HelpOffer, candidate: Candidate) -> dict[str, Any]:
    """Why two offers fit, in words both members typed: the fields, up to three shared
    words (as the offerer wrote them, folded), and the shared languages."""
    fields = [
        w.removeprefix(FIELD_PREFIX) for w in candidate.shared_words if w.startswith(FIELD_PREFIX)
    ]
    stems = {w for w in candidate.shared_words if not w.startswith(FIELD_PREFIX)}
    named = set(fields)
    words: list[str] = []
    for word in re.findall(r"[a-z0-9+#]+", fold(offerer.topic)):
        if _stem(word) in stems and word not in words and word not in named:
            words.append(word)
    return {"fields": fields, "words": words[:3], "languages": candidate.shared_languages}


def propose_matches(
    *, session: Session, offer: HelpOffer, limit: int = PROPOSALS_AT_ONCE
) -> list[HelpMatch]:
    """New proposals for an active offer (none twice for the same two members and kind)."""
    if not offer.active or offer.id is None:
        return []
    made: list[HelpMatch] = []
    for candidate in candidates_for(session=session, offer=offer):
        if len(made) >= limit:
            break
        other = candidate.offer
        if _pair_is_live(session, offer.kind, offer.member_id, other.member_id):
            continue
        offerer, seeker = (offer, other) if offer.role == HelpRole.OFFER else (other, offer)
        assert offerer.id is not None and seeker.id is not None
        match = HelpMatch(
            offer_a_id=offerer.id,
            offer_b_id=seeker.id,
            member_a_id=offerer.member_id,
            member_b_id=seeker.member_id,
            kind=offer.kind,
            reason=_reason(offerer, seeker, candidate),
        )
        session.add(match)
        session.flush()
        made.append(match)
    return made


def other_member(match: HelpMatch, member_id: int) -> int:
    return match.member_b_id if member_id == match.member_a_id else match.member_a_id


def role_of(match: HelpMatch, member_id: int) -> str:
    """What the *other* side does in this match: 'offer' or 'seek'."""
    return HelpRole.SEEK.value if member_id == match.member_a_id else HelpRole.OFFER.value


def _match_of(session: Session, match_id: int, member_id: int) -> HelpMatch:
    match = session.get(HelpMatch, match_id, with_for_update=True)
    if match is None or member_id not in (match.member_a_id, match.member_b_id):
        raise MentoringError("unknown_match")
    return match


def answer(*, session: Session, match_id: int, member_id: int, yes: bool) -> HelpMatch:
    """A side's yes or no; both yes makes the match 'introduced', one no 'declined'."""
    match = _match_of(session, match_id, member_id)
    if match.status not in OPEN:
        raise MentoringError("already_" + match.status)
    side = "a" if member_id == match.member_a_id else "b"
    if not yes:
        match.status = DECLINED
    elif match.status == PROPOSED:
        match.status = f"accepted_{side}"
    elif match.status != f"accepted_{side}":
        match.status = INTRODUCED
    match.updated_at = utcnow()
    session.add(match)
    session.flush()
    return match


def has_said_yes(match: HelpMatch, member_id: int) -> bool:
    side = "a" if member_id == match.member_a_id else "b"
    return match.status in (f"accepted_{side}", INTRODUCED)


def introduced_match(*, session: Session, match_id: int, member_id: int) -> HelpMatch:
    """A match the member may write through: introduced, and theirs."""
    match = _match_of(session, match_id, member_id)
    if match.status != INTRODUCED:
        raise MentoringError("not_introduced")
    return match


def matches_of(*, session: Session, member_id: int, live_only: bool = True) -> list[HelpMatch]:
    query = select(HelpMatch).where(
        or_(col(HelpMatch.member_a_id) == member_id, col(HelpMatch.member_b_id) == member_id)
    )
    if live_only:
        query = query.where(col(HelpMatch.status).in_(LIVE))
    return list(session.exec(query.order_by(col(HelpMatch.id))))


def stop(*, session: Session, member_id: int, match_id: int | None = None) -> list[HelpMatch]:
    """End one match, or (no id) every offer and live match of the member; returns the
    matches ended, so the other sides can be told."""
    if match_id is not None:
        ended = [_match_of(session, match_id, member_id)]
        ended = [match for match in ended if match.status in LIVE]
    else:
        ended = matches_of(session=session, member_id=member_id)
        for offer in offers_of(session=session, member_id=member_id, active_only=False):
            offer.active = False
            session.add(offer)
    for match in ended:
        match.status = STOPPED
        match.updated_at = utcnow()
        session.add(match)
    session.flush()
    return ended


def export_member(*, session: Session, member_id: int) -> dict[str, Any]:
    """The member's offers (with what they typed) and matches, for their data export."""
    offers = offers_of(session=session, member_id=member_id, active_only=False)
    return {
        "offers": [
            {
                "kind": offer.kind,
                "role": offer.role,
                "topic": offer.topic,
                "languages": list(offer.languages),
                "active": offer.active,
                "created_at": as_utc(offer.created_at).isoformat(),
            }
            for offer in offers
        ],
        "matches": [
            {
                "id": match.id,
                "kind": match.kind,
                "status": match.status,
                "created_at": as_utc(match.created_at).isoformat(),
            }
            for match in matches_of(session=session, member_id=member_id, live_only=False)
        ],
    }


def forget_member(*, session: Session, member_id: int) -> bool:
    """Delete the member's offers and matches (erasure), and every notification about those
    matches on either side (proposals, introductions, relayed messages, which hold what
    the member wrote); True when there was any."""
    matches = matches_of(session=session, member_id=member_id, live_only=False)
    offers = offers_of(session=session, member_id=member_id, active_only=False)
    match_ids = {str(match.id) for match in matches}
    about = select(Notification).where(col(Notification.dedupe_key).startswith(NOTICE_PREFIX))
    for notice in session.exec(about) if match_ids else ():
        parts = notice.dedupe_key.split(":")  # "mentoring.<what>:<match id>:..." (bots/)
        if len(parts) > 1 and parts[1] in match_ids:
            session.delete(notice)
    for row in [*matches, *offers]:
        session.delete(row)
    session.flush()
    return bool(matches or offers)
