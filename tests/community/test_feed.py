"""The feed's audience: joined, not erased, NEWS consent now, not opted out, and the item's
filters (relation, country, interest, language, return intention)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session

from community.database import Database
from community.feed import (
    FeedError,
    audience_count,
    audience_query,
    create_item,
    latest_for,
    opt_in,
    opt_out,
    opted_out_kinds,
)
from community.members import record_consent
from community.models import ChannelIdentity, Member, utcnow
from community.profile import ConsentPurpose


def add_member(
    session: Session,
    *,
    user: str,
    platform: str = "telegram",
    language: str = "lt",
    relation: str | None = "emigrant",
    country: str | None = "NO",
    interests: tuple[str, ...] = ("jobs",),
    return_intention: str | None = "maybe",
    news: bool | None = True,
    onboarded: bool = True,
    extra_identities: tuple[tuple[str, str, int], ...] = (),
) -> Member:
    """A member with one identity (plus (platform, user, minutes ago) extras) and consent."""
    member = Member(
        language=language,
        relation=relation,
        country=country,
        interests=list(interests),
        return_intention=return_intention,
        onboarded_at=utcnow() if onboarded else None,
    )
    session.add(member)
    session.flush()
    assert member.id is not None
    session.add(ChannelIdentity(member_id=member.id, platform=platform, platform_user_id=user))
    for other_platform, other_user, minutes_ago in extra_identities:
        session.add(
            ChannelIdentity(
                member_id=member.id,
                platform=other_platform,
                platform_user_id=other_user,
                last_seen_at=utcnow() - timedelta(minutes=minutes_ago),
            )
        )
    if news is not None:
        for purpose in (ConsentPurpose.MEMBERSHIP, ConsentPurpose.NEWS):
            record_consent(
                session=session,
                member_id=member.id,
                purpose=purpose,
                granted=news or purpose is ConsentPurpose.MEMBERSHIP,
                notice_version="2026-11",
                source="test",
            )
    session.flush()
    return member


def item(session: Session, kind: str = "job", **audience: Any):  # type: ignore[no-untyped-def]
    return create_item(
        session=session,
        kind=kind,
        title_lt="Darbas Alytuje",
        title_en="A job in Alytus",
        body_lt="Ieškome inžinieriaus.",
        body_en="We are looking for an engineer.",
        url="https://alytus.lt/darbas",
        audience=audience,
    )


def ids(session: Session, found) -> set[int]:  # type: ignore[no-untyped-def]
    return set(session.exec(audience_query(session, found)).all())


def test_consent_onboarding_erasure_and_opt_out_decide(db: Database):
    with db.session() as session:
        yes = add_member(session, user="1")
        no_consent = add_member(session, user="2", news=False)
        never_asked = add_member(session, user="3", news=None)
        not_joined = add_member(session, user="4", onboarded=False)
        erased = add_member(session, user="5")
        erased.erased_at = utcnow()
        withdrew = add_member(session, user="6")
        record_consent(
            session=session, member_id=withdrew.id, purpose=ConsentPurpose.NEWS,
            granted=False, notice_version="2026-11", source="test",
        )  # fmt: skip
        muted = add_member(session, user="7")
        assert opt_out(session=session, member_id=muted.id, kind="job")
        assert not opt_out(session=session, member_id=muted.id, kind="job")
        job = item(session)
        found = ids(session, job)
        assert yes.id in found and muted.id not in found
        assert not found & {no_consent.id, never_asked.id, not_joined.id, erased.id, withdrew.id}
        assert muted.id in ids(session, item(session, kind="event")), "opt-out is per kind"
        assert opted_out_kinds(session=session, member_id=muted.id) == ["job"]
        assert opt_in(session=session, member_id=muted.id, kind="job")
        assert muted.id in ids(session, job)


def test_relation_country_interest_language_and_return_filters(db: Database):
    with db.session() as session:
        oslo = add_member(session, user="1", country="NO", interests=("jobs", "events"))
        london = add_member(session, user="2", country="GB", interests=("business",))
        home = add_member(
            session, user="3", relation="resident", country="LT", interests=("events",),
            return_intention=None, language="en",
        )  # fmt: skip
        soon = add_member(session, user="4", country="IE", return_intention="within_year")
        assert ids(session, item(session)) >= {oslo.id, london.id, home.id, soon.id}
        assert ids(session, item(session, relations=["emigrant"])) == {oslo.id, london.id, soon.id}
        assert ids(session, item(session, countries=["no", "gb"])) == {oslo.id, london.id}
        assert ids(session, item(session, interests=["events"])) == {oslo.id, home.id}
        assert ids(session, item(session, languages=["en"])) == {home.id}
        assert ids(session, item(session, return_intentions=["within_year"])) == {soon.id}
        both = item(session, relations=["emigrant"], interests=["business", "events"])
        assert ids(session, both) == {oslo.id, london.id}
        assert audience_count(session, both) == 2


def test_items_need_a_known_kind_and_both_titles(db: Database):
    with db.session() as session:
        with pytest.raises(FeedError):
            item(session, kind="gossip")
        with pytest.raises(FeedError):
            create_item(session=session, kind="event", title_lt="Renginys", title_en=" ")
        with pytest.raises(FeedError):
            item(session, planets=["mars"])


def test_latest_for_shows_what_fits_newest_first(db: Database):
    with db.session() as session:
        member = add_member(session, user="1", country="NO", interests=("events",))
        older = item(session, kind="event")
        older.published_at = utcnow() - timedelta(days=2)
        newer = item(session, kind="announcement", countries=["NO"])
        item(session, kind="job", countries=["GB"])  # not for Norway
        muted = item(session, kind="charity")
        opt_out(session=session, member_id=member.id, kind="charity")
        session.flush()
        shown = latest_for(session, member, limit=5)
        assert [found.id for found in shown] == [newer.id, older.id]
        assert muted.id not in [found.id for found in shown]
