"""The feed: events, jobs, business chances, mentoring, charity and announcements, each in
Lithuanian and English, with the audience it is meant for.

An audience is a set of lists (relations, countries, interests, languages, return
intentions); an empty list means everyone. Only members who joined, were not erased, hold
NEWS consent now and did not opt out of the item's kind ever hear of an item.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import String, and_, cast, exists, func, or_, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql import Select
from sqlmodel import Session, col, delete, select

from community.models import Consent, FeedItem, Member, NewsOptOut, utcnow
from community.profile import ConsentPurpose

AUDIENCE_KEYS = ("relations", "countries", "interests", "languages", "return_intentions")


class FeedKind(StrEnum):
    """What an item is about; members opt out per kind."""

    EVENT = "event"
    JOB = "job"
    BUSINESS = "business"  # a business or investment chance
    MENTORING = "mentoring"
    CHARITY = "charity"  # charity or volunteering
    ANNOUNCEMENT = "announcement"


class FeedError(ValueError):
    """An item that cannot be made as asked (unknown kind, empty title, bad audience)."""


def make_audience(
    *,
    relations: Iterable[str] = (),
    countries: Iterable[str] = (),
    interests: Iterable[str] = (),
    languages: Iterable[str] = (),
    return_intentions: Iterable[str] = (),
) -> dict[str, list[str]]:
    """An audience with normalised values: countries upper case, the rest lower case."""
    return {
        "relations": sorted({value.lower() for value in relations}),
        "countries": sorted({value.upper() for value in countries}),
        "interests": sorted({value.lower() for value in interests}),
        "languages": sorted({value.lower() for value in languages}),
        "return_intentions": sorted({value.lower() for value in return_intentions}),
    }


def create_item(
    *,
    session: Session,
    kind: str,
    title_lt: str,
    title_en: str,
    body_lt: str = "",
    body_en: str = "",
    url: str | None = None,
    starts_at: datetime | None = None,
    place: str | None = None,
    audience: dict[str, Any] | None = None,
) -> FeedItem:
    """Publish an item; the audience keys not given mean everyone. `place` is where an
    event happens, as staff write it ("Rotušės aikštė, Alytus")."""
    try:
        kind = FeedKind(kind.lower()).value
    except ValueError as error:
        raise FeedError(f"unknown kind {kind!r}; one of {', '.join(FeedKind)}") from error
    if not title_lt.strip() or not title_en.strip():
        raise FeedError("an item needs a title in Lithuanian and in English")
    unknown = set(audience or {}) - set(AUDIENCE_KEYS)
    if unknown:
        raise FeedError(f"unknown audience keys: {', '.join(sorted(unknown))}")
    item = FeedItem(
        kind=kind,
        title_lt=title_lt.strip(),
        title_en=title_en.strip(),
        body_lt=body_lt.strip(),
        body_en=body_en.strip(),
        url=url or None,
        starts_at=starts_at,
        place=(place or "").strip()[:200] or None,
        audience=make_audience(**(audience or {})),
    )
    session.add(item)
    session.flush()
    return item


def _news_consent_granted() -> Any:
    """True where the member's latest NEWS consent record grants it."""
    latest = (
        select(Consent.granted)
        .where(Consent.member_id == Member.id, Consent.purpose == ConsentPurpose.NEWS.value)
        .order_by(col(Consent.at).desc(), col(Consent.id).desc())
        .limit(1)
        .correlate(Member)
        .scalar_subquery()
    )
    return latest == true()


def _any_interest(interests: list[str]) -> Any:
    """The member's JSON list of interests holds one of these (portable: SQLite and
    PostgreSQL both keep the JSON text, and interest words are plain ASCII)."""
    as_text = cast(Member.interests, String)
    return or_(*(as_text.like(f'%"{interest}"%') for interest in interests))


def audience_query(session: Session, item: FeedItem) -> Select[Any]:
    """SELECT of the ids of members this item is for, now."""
    audience = item.audience or {}
    opted_out = exists().where(NewsOptOut.member_id == Member.id, NewsOptOut.kind == item.kind)
    conditions = [
        col(Member.onboarded_at).is_not(None),
        col(Member.erased_at).is_(None),
        _news_consent_granted(),
        ~opted_out,
    ]
    filters = (
        ("relations", Member.relation),
        ("countries", Member.country),
        ("languages", Member.language),
        ("return_intentions", Member.return_intention),
    )
    for key, column in filters:
        if audience.get(key):
            conditions.append(col(column).in_(audience[key]))
    if audience.get("interests"):
        conditions.append(_any_interest(list(audience["interests"])))
    return select(Member.id).where(and_(*conditions)).order_by(col(Member.id))


def audience_count(session: Session, item: FeedItem) -> int:
    """How many members the item reaches now (shown when a broadcast is created)."""
    members = audience_query(session, item).order_by(None).subquery()
    return int(session.exec(select(func.count()).select_from(members)).one())


def fits_audience(member: Member, audience: dict[str, Any]) -> bool:
    """Whether one member falls in an audience (the same test as audience_query)."""
    checks = (
        ("relations", member.relation),
        ("countries", member.country),
        ("languages", member.language),
        ("return_intentions", member.return_intention),
    )
    if any(audience.get(key) and value not in audience[key] for key, value in checks):
        return False
    wanted = audience.get("interests") or []
    return not wanted or bool(set(wanted) & set(member.interests or []))


def latest_for(session: Session, member: Member, limit: int = 5) -> list[FeedItem]:
    """The newest items meant for this member (for `/news`), whatever their consent: a member
    who asks is shown what fits them; only the kinds they opted out of are left out."""
    opted_out = set(opted_out_kinds(session=session, member_id=member.id or 0))
    query = (
        select(FeedItem)
        .where(col(FeedItem.published_at) <= utcnow())
        .order_by(col(FeedItem.published_at).desc(), col(FeedItem.id).desc())
        .limit(limit * 10)
    )
    found = [
        item
        for item in session.exec(query)
        if item.kind not in opted_out and fits_audience(member, item.audience or {})
    ]
    return found[:limit]


def opted_out_kinds(*, session: Session, member_id: int) -> list[str]:
    query = select(NewsOptOut.kind).where(NewsOptOut.member_id == member_id)
    return sorted(session.exec(query).all())


def opt_out(*, session: Session, member_id: int, kind: str) -> bool:
    """Stop news of one kind; False when it was already off."""
    kind = FeedKind(kind).value
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(NewsOptOut)
        .values(member_id=member_id, kind=kind, at=utcnow())
        .on_conflict_do_nothing()
        .returning(NewsOptOut.kind)  # rowcount is not reliable for ON CONFLICT everywhere
    )
    return session.execute(statement).first() is not None


def opt_in(*, session: Session, member_id: int, kind: str) -> bool:
    """Hear of a kind again; False when it was not off."""
    kind = FeedKind(kind).value
    statement = delete(NewsOptOut).where(
        col(NewsOptOut.member_id) == member_id, col(NewsOptOut.kind) == kind
    )
    return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]
