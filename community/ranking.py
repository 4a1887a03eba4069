"""For you: feed items ranked for one member, each with the reason it is there.

An item the member may see (its audience fits them, its kind is not muted, it is not an
event that is over) scores by what the member told us: an interest that matches the item's
kind or its audience, an audience made for their country or relation, a place in their
country named in the item ("near you"), and a plan to return (jobs and way-home items count
more); freshness breaks ties (newer first, an event soon before one later). Each signal that
counted is a Reason; the strongest is the one a member reads ("because you chose jobs").

Ranking uses the profile only with the member's PERSONALISATION consent; without it every
member gets the items that fit them in the same order (newest first, an event soon first),
each with the reason "latest".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from community.feed import FeedKind, fits_audience, opted_out_kinds
from community.members import has_consent
from community.models import FeedItem, Member, as_utc, utcnow
from community.profile import ConsentPurpose, Interest, Relation, ReturnIntention
from nlu.places import find_places
from nlu.text import fold, words

# The interest a member chose that a kind of item is about.
KIND_INTEREST: dict[str, str] = {
    FeedKind.EVENT: Interest.EVENTS,
    FeedKind.JOB: Interest.JOBS,
    FeedKind.BUSINESS: Interest.BUSINESS,
    FeedKind.MENTORING: Interest.MENTORING,
    FeedKind.CHARITY: Interest.CHARITY,
}
RETURNING = {ReturnIntention.WITHIN_YEAR: 2.5, ReturnIntention.MAYBE: 1.5}
HOME = "LT"
WEIGHTS = {
    "interest": 3.0,  # the item's kind is an interest the member chose
    "audience_interest": 2.0,  # the item's audience names an interest the member chose
    "country": 3.5,  # the audience is members in the member's country (beats an interest)
    "near": 1.5,  # the item names a place in the member's (foreign) country
    "return": 1.0,  # times RETURNING[intention]: a job or a way-home item
    "return_audience": 2.0,  # the audience is members planning to return
    "relation": 1.0,  # the audience is members of the member's relation
    "far": -1.0,  # a resident and an item about a place abroad only
}
FRESH_DAYS = 14.0  # an item's freshness halves about every 10 days (e-folding 14)
SOON_DAYS = 14.0  # an event within this many days gets a bonus, the sooner the more
SOON_WEIGHT = 1.5
OLDEST_DAYS = 120  # items published before this are not ranked (upcoming events still are)
CANDIDATES = 500
# Words (folded) that make an item about moving back to Alytus.
_RETURN_STEMS = ("griz", "sugriz")
_RETURN_WORDS = frozenset({"return", "returning", "returnees", "returnee", "moving", "homecoming"})


@dataclass(frozen=True)
class Reason:
    """Why an item is shown: a code the catalogue turns into words, and its value.

    codes: interest (value: an Interest), country and near (an ISO country), relation (a
    Relation), return (a ReturnIntention), soon (the event's start, ISO), new, latest."""

    code: str
    value: str = ""
    weight: float = 0.0


@dataclass(frozen=True)
class RankedItem:
    item: FeedItem
    score: float
    reasons: tuple[Reason, ...]  # strongest first; never empty

    @property
    def reason(self) -> Reason:
        return self.reasons[0]


def for_you(
    session: Session,
    member: Member,
    *,
    limit: int = 5,
    now: datetime | None = None,
    personalised: bool | None = None,
) -> list[RankedItem]:
    """The member's top items, best first. `personalised` None: as their consent says."""
    moment = as_utc(now) if now else utcnow()
    if personalised is None:
        personalised = member.id is not None and has_consent(
            session=session, member_id=member.id, purpose=ConsentPurpose.PERSONALISATION
        )
    ranked = [
        rank_item(item, member, moment, personalised=personalised)
        for item in candidates(session, member, moment)
    ]
    ranked.sort(key=lambda found: (-found.score, -_published(found.item), -(found.item.id or 0)))
    return ranked[:limit]


def candidates(session: Session, member: Member, now: datetime) -> list[FeedItem]:
    """Items the member may be shown now: published, recent or an event still to come,
    meant for them, of a kind they did not mute, not an event that is over."""
    muted = set(opted_out_kinds(session=session, member_id=member.id or 0))
    query = (
        select(FeedItem)
        .where(
            col(FeedItem.published_at) <= now,
            or_(
                col(FeedItem.published_at) >= now - timedelta(days=OLDEST_DAYS),
                col(FeedItem.starts_at) >= now,
            ),
        )
        .order_by(col(FeedItem.published_at).desc(), col(FeedItem.id).desc())
        .limit(CANDIDATES)
    )
    return [
        item
        for item in session.exec(query)
        if item.kind not in muted
        and not is_over(item, now)
        and fits_audience(member, item.audience or {})
    ]


def is_over(item: FeedItem, now: datetime) -> bool:
    return (
        item.kind == FeedKind.EVENT and item.starts_at is not None and as_utc(item.starts_at) < now
    )


def rank_item(
    item: FeedItem, member: Member, now: datetime, *, personalised: bool = True
) -> RankedItem:
    """One item's score for the member, and the reasons it scored."""
    reasons = _profile_reasons(item, member) if personalised else []
    fresh = _freshness(item, now)
    soon = _soon(item, now)
    score = sum(reason.weight for reason in reasons) + fresh + soon
    reasons.sort(key=lambda reason: -reason.weight)
    shown = [reason for reason in reasons if reason.weight > 0]
    if not personalised:
        shown = [Reason("latest")]
    elif soon > 0 and item.starts_at is not None:
        shown.append(Reason("soon", as_utc(item.starts_at).isoformat(), soon))
    elif not shown:
        shown.append(Reason("new", "", fresh))
    return RankedItem(item=item, score=round(score, 4), reasons=tuple(shown))


def _profile_reasons(item: FeedItem, member: Member) -> list[Reason]:
    audience: dict[str, Any] = item.audience or {}
    interests = set(member.interests or [])
    reasons: list[Reason] = []
    kind_interest = KIND_INTEREST.get(item.kind)
    if kind_interest in interests:
        reasons.append(Reason("interest", str(kind_interest), WEIGHTS["interest"]))
    else:
        shared = sorted(set(audience.get("interests") or []) & interests)
        if shared:
            reasons.append(Reason("interest", shared[0], WEIGHTS["audience_interest"]))
    country = member.country
    places = _countries_named(item)
    if country and country in (audience.get("countries") or []):
        reasons.append(Reason("country", country, WEIGHTS["country"]))
    elif country and country != HOME and country in places:
        reasons.append(Reason("near", country, WEIGHTS["near"]))
    if member.relation in (Relation.RESIDENT, Relation.RETURNED) and places and HOME not in places:
        reasons.append(Reason("far", next(iter(sorted(places))), WEIGHTS["far"]))
    if member.relation and member.relation in (audience.get("relations") or []):
        reasons.append(Reason("relation", member.relation, WEIGHTS["relation"]))
    intention = member.return_intention
    if intention in RETURNING:
        if intention in (audience.get("return_intentions") or []):
            reasons.append(Reason("return", intention, WEIGHTS["return_audience"]))
        elif item.kind == FeedKind.JOB or is_about_returning(item):
            weight = WEIGHTS["return"] * RETURNING[intention]
            reasons.append(Reason("return", intention, weight))
    return reasons


def _freshness(item: FeedItem, now: datetime) -> float:
    """1 for an item published now, falling with age."""
    age = max((now - as_utc(item.published_at)).total_seconds(), 0.0) / 86400
    return math.exp(-age / FRESH_DAYS)


def _soon(item: FeedItem, now: datetime) -> float:
    """A bonus for an event coming up within SOON_DAYS, the larger the sooner."""
    if item.kind != FeedKind.EVENT or item.starts_at is None:
        return 0.0
    days = (as_utc(item.starts_at) - now).total_seconds() / 86400
    if days < 0 or days > SOON_DAYS:
        return 0.0
    return SOON_WEIGHT * (1.0 - days / SOON_DAYS)


def _published(item: FeedItem) -> float:
    return as_utc(item.published_at).timestamp()


def _text_of(item: FeedItem) -> str:
    return "\n".join((item.title_lt, item.title_en, item.body_lt, item.body_en))


def _countries_named(item: FeedItem) -> set[str]:
    """Countries whose name or a city of which the item's text names."""
    return {mention.country for mention in find_places(_text_of(item))}


def is_about_returning(item: FeedItem) -> bool:
    """An item about moving back (way home): "grįžti", "Grįžtu LT", "return"..."""
    for word in words(fold(_text_of(item))):
        if word in _RETURN_WORDS or word.startswith(_RETURN_STEMS):
            return True
    return False


def reasons_of(ranked: Sequence[RankedItem]) -> list[tuple[int, str, str]]:
    """(item id, reason code, value) of each ranked item: what a test or a log can show."""
    return [(found.item.id or 0, found.reason.code, found.reason.value) for found in ranked]
