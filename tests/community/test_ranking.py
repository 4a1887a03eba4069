"""For you: members of different profiles get different top items, each with its reason, and
`/news` shows the reason in the member's language."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session

from bots.catalog import default_catalog
from bots.messages import Incoming
from bots.news import news, reason_text
from bots.turn import Turn
from community.database import Database
from community.feed import create_item, opt_out
from community.members import record_consent
from community.models import Conversation, FeedItem, Member, utcnow
from community.profile import ConsentPurpose
from community.ranking import for_you, reasons_of
from community.settings import Settings
from tests.community.test_feed import add_member


def personalised(session: Session, member: Member) -> Member:
    assert member.id is not None
    record_consent(
        session=session,
        member_id=member.id,
        purpose=ConsentPurpose.PERSONALISATION,
        granted=True,
        notice_version="2026-11",
        source="test",
    )
    return member


def publish(
    session: Session,
    kind: str,
    title: str,
    *,
    days_ago: float = 1,
    body: str = "",
    starts_at: Any = None,
    **audience: Any,
) -> FeedItem:
    item = create_item(
        session=session,
        kind=kind,
        title_lt=f"{title} (lt)",
        title_en=title,
        body_lt=body,
        body_en=body,
        starts_at=starts_at,
        audience=audience,
    )
    item.published_at = utcnow() - timedelta(days=days_ago)
    session.add(item)
    session.flush()
    return item


def the_feed(session: Session) -> dict[str, FeedItem]:
    now = utcnow()
    return {
        "job": publish(session, "job", "Engineer wanted at a plant in Alytus", days_ago=3),
        "festival": publish(
            session,
            "event",
            "Alytus city festival",
            days_ago=2,
            starts_at=now + timedelta(days=5),
            body="Concerts in the city park.",
        ),
        "oslo": publish(
            session,
            "event",
            "Meetup of Alytus people",
            days_ago=4,
            starts_at=now + timedelta(days=20),
            body="In Oslo, Norway, at the Lithuanian community house.",
        ),
        "home": publish(
            session,
            "announcement",
            "Grįžtu LT: help for returning",
            days_ago=6,
            body="Advice for those who plan to return to Alytus.",
        ),
        "business": publish(session, "business", "A grant for new businesses", days_ago=0.5),
        "over": publish(
            session, "event", "Last week's concert", days_ago=10, starts_at=now - timedelta(days=2)
        ),
        "uk_job": publish(session, "job", "A job for members in the UK", countries=["GB"]),
        "no_job": publish(
            session, "job", "Remote job for members in Norway", days_ago=8, countries=["NO"]
        ),
    }


def emigrant(session: Session) -> Member:
    """An emigrant in Norway who chose jobs and plans to return within a year."""
    member = add_member(
        session, user="ona", country="NO", interests=("jobs",), return_intention="within_year"
    )
    return personalised(session, member)


def resident(session: Session) -> Member:
    """A resident of Alytus who chose events."""
    member = add_member(
        session,
        user="jonas",
        relation="resident",
        country="LT",
        interests=("events",),
        return_intention=None,
    )
    return personalised(session, member)


def test_an_emigrant_and_a_resident_get_different_top_items_with_reasons(db: Database):
    with db.session() as session:
        items = the_feed(session)
        name = {item.id: key for key, item in items.items()}
        abroad = for_you(session, emigrant(session), limit=5)
        home = for_you(session, resident(session), limit=5)

        abroad_reasons = {name[i]: (code, value) for i, code, value in reasons_of(abroad)}
        home_reasons = {name[i]: (code, value) for i, code, value in reasons_of(home)}
        # the emigrant: jobs first (chosen, and useful for returning), the Norway job, the
        # way-home item, the meetup near them; never the UK job nor the event that is over
        assert name[abroad[0].item.id] in ("job", "no_job")
        assert abroad_reasons["job"] == ("interest", "jobs")
        assert abroad_reasons["no_job"] == ("country", "NO")
        assert abroad_reasons["home"] == ("return", "within_year")
        assert "uk_job" not in abroad_reasons and "over" not in abroad_reasons
        assert {"job", "no_job", "home"} <= set(abroad_reasons)
        # the resident: the festival in Alytus first, because they chose events
        assert name[home[0].item.id] == "festival"
        assert home_reasons["festival"] == ("interest", "events")
        assert "uk_job" not in home_reasons and "over" not in home_reasons
        assert "no_job" not in home_reasons  # meant for members in Norway
        assert abroad[0].item.id != home[0].item.id
        # the Oslo meetup is near the emigrant, and far from the resident
        oslo = [found for found in abroad if found.item.id == items["oslo"].id]
        if oslo:
            assert ("near", "NO") in [(r.code, r.value) for r in oslo[0].reasons]
        ranks = {name[found.item.id]: place for place, found in enumerate(home)}
        assert "oslo" not in ranks or ranks["oslo"] > ranks["festival"]


def test_reasons_read_as_a_few_words_in_each_language(db: Database, settings: Settings):
    with db.session() as session:
        the_feed(session)
        member = emigrant(session)
        english = ["because you chose jobs", "for members in Norway", "because you plan to return"]
        lithuanian = [
            "nes pasirinkote darbą",
            "skirta jūsų šaliai: Norvegija",
            "nes planuojate grįžti",
        ]
        for language, expected in (("en", english), ("lt", lithuanian)):
            member.language = language
            [reply] = news(turn_for(session, settings, member))
            shown = "\n".join(card.text for card in reply.cards)
            for words in expected:
                assert f"💡 {words}" in shown, (words, shown)


def test_every_reason_has_words_in_both_languages(db: Database, settings: Settings):
    with db.session() as session:
        the_feed(session)
        members = [emigrant(session), resident(session)]
        members.append(
            personalised(
                session,
                add_member(
                    session,
                    user="maybe",
                    relation="friend",
                    country="GB",
                    interests=("business", "charity", "sport"),
                    return_intention="maybe",
                ),
            )
        )
        for member in members:
            for found in for_you(session, member, limit=20):
                for reason in found.reasons:
                    for language in ("lt", "en"):
                        member.language = language
                        text = reason_text(turn_for(session, settings, member), reason)
                        assert text and "{" not in text and "." not in text.split()[0]


def test_events_coming_soon_come_before_later_ones_and_past_ones_are_out(db: Database):
    with db.session() as session:
        now = utcnow()
        later = publish(session, "event", "Later", days_ago=0, starts_at=now + timedelta(days=12))
        soon = publish(session, "event", "Soon", days_ago=3, starts_at=now + timedelta(days=1))
        publish(session, "event", "Over", days_ago=0, starts_at=now - timedelta(hours=1))
        member = resident(session)
        found = for_you(session, member, limit=10)
        assert [ranked.item.id for ranked in found] == [soon.id, later.id]


def test_opted_out_kinds_are_removed(db: Database):
    with db.session() as session:
        items = the_feed(session)
        member = emigrant(session)
        opt_out(session=session, member_id=member.id or 0, kind="job")
        kinds = {ranked.item.kind for ranked in for_you(session, member, limit=20)}
        assert "job" not in kinds and items["home"].kind in kinds


def test_without_personalisation_consent_the_profile_does_not_change_the_order(
    db: Database, settings: Settings
):
    with db.session() as session:
        items = the_feed(session)
        member = add_member(session, user="plain", country="LT", interests=("jobs",))
        other = add_member(session, user="other", country="LT", interests=("events",))
        found = for_you(session, member, limit=5)
        assert [ranked.reason.code for ranked in found] == ["latest"] * 5
        assert [ranked.item.id for ranked in found] == [
            ranked.item.id for ranked in for_you(session, other, limit=5)
        ]
        assert found[0].item.id == items["festival"].id  # in five days
        assert found[1].item.id == items["business"].id  # the newest
        member.language = "en"
        [reply] = news(turn_for(session, settings, member))
        assert "Turn on personalisation" in reply.text


def turn_for(session: Session, settings: Settings, member: Member) -> Turn:
    return Turn(
        session=session,
        settings=settings,
        catalog=default_catalog(),
        member=member,
        conversation=Conversation(member_id=member.id),
        incoming=Incoming(platform="telegram", user_id="1", text="/news"),
        text="/news",
        payload=None,
    )
