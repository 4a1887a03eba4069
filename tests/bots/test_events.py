"""Events in chat: `/events` with the member's answers, answering by button, reminders the
day before (once, only to those who said yes, mentioning the check-in points), the check-in
code of a feed event, and the mayor's celebration among the events."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from admin.demo_activity import load_demo_activity
from bots.catalog import default_catalog
from bots.delivery import render
from bots.engine import Engine
from bots.events import queue_reminders
from bots.testing import BotTester, verify_dialog
from community.database import Database
from community.events import (
    EventError,
    answers_of,
    checkin_event_name,
    local_time,
    queue_event_reminders,
    rsvp,
)
from community.feed import create_item
from community.members import find_member
from community.models import FeedItem, Member, Notification, as_utc, utcnow
from community.ranking import for_you
from rewards.checkins import check_in, create_checkin_code
from rewards.invitations import send_mayor_invitation
from rewards.journal import award
from tests.community.test_feed import add_member

# 2026-12-01 12:00 in Alytus (UTC+2): past the reminder hour
NOON = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def event(session: Session, title: str, starts_at: datetime, **audience: list[str]) -> FeedItem:
    return create_item(
        session=session,
        kind="event",
        title_lt=f"{title} (lt)",
        title_en=title,
        body_lt="Visi kviečiami.",
        body_en="Everyone is welcome.",
        starts_at=starts_at,
        audience=audience or None,
    )


def joined(engine: Engine, user: str = "ona") -> BotTester:
    bot = BotTester(engine=engine, user_id=user)
    for step in ("/start", "english", "yes", "resident", "events", "done"):
        bot.say(step)
    return bot


def member_of(db: Database, user: str) -> Member:
    with db.session() as session:
        found = find_member(session=session, platform="terminal", user_id=user)
        assert found is not None
        session.expunge(found)
        return found


def test_events_lists_what_is_coming_and_a_button_answers(engine: Engine, db: Database):
    bot = joined(engine)
    with db.session() as session:
        soon = event(session, "Concert in the park", utcnow() + timedelta(days=3))
        later = event(session, "City run", utcnow() + timedelta(days=10))
        event(session, "Last week's fair", utcnow() - timedelta(days=7))
        event(session, "Meetup in London", utcnow() + timedelta(days=4), countries=["GB"])
        soon_id, later_id = soon.id, later.id
    replies = bot.say("/events")
    titles = [card.title for card in replies[0].cards]
    assert titles == ["Concert in the park", "City run"]  # soonest first; past and others' out
    assert "Will you come?" in replies[0].cards[0].text
    assert f"/events yes {soon_id}" in bot.payloads()
    verify_dialog(bot, [(f"[/events yes {soon_id}]", ["remind you the day before", "/checkin"])])
    verify_dialog(bot, [("/events", "You are going")])
    assert f"/events yes {soon_id}" not in bot.payloads()  # answered: only the other answer
    verify_dialog(bot, [(f"[/events no {soon_id}]", "Thanks for letting us know")])
    verify_dialog(bot, [("/renginiai", "You are not going")])
    member = member_of(db, "ona")
    with db.session() as session:
        assert answers_of(
            session, member_id=member.id or 0, item_ids=[soon_id or 0, later_id or 0]
        ) == {soon_id: "no"}


def test_stale_and_strange_answers_are_refused_politely(engine: Engine, db: Database):
    bot = joined(engine, "jonas")
    with db.session() as session:
        over = event(session, "Yesterday", utcnow() - timedelta(days=1))
        job = create_item(session=session, kind="job", title_lt="Darbas", title_en="Job")
        over_id, job_id = over.id, job.id
    verify_dialog(bot, [(f"/events yes {over_id}", "already over")])
    verify_dialog(bot, [(f"/events yes {job_id}", "no longer active")])
    verify_dialog(bot, [("/events yes 99999999999999", "no longer active")])
    verify_dialog(bot, [("/events maybe", "Events: /events")])
    verify_dialog(bot, [("/events", "No upcoming events yet")])


def test_a_stranger_is_asked_to_join(engine: Engine):
    bot = BotTester(engine=engine, user_id="stranger")
    verify_dialog(bot, [("/events", ["Renginiai skirti bendruomenės nariams", "Prisijungti"])])


def test_news_shows_an_event_with_its_answer_buttons(engine: Engine, db: Database):
    bot = joined(engine, "rasa")
    with db.session() as session:
        concert = event(session, "Concert in the park", utcnow() + timedelta(days=2))
        concert_id = concert.id
    bot.say("/news")
    assert "Concert in the park" in bot.text()
    assert {f"/events yes {concert_id}", f"/events no {concert_id}", "/optout event"} <= set(
        bot.payloads()
    )


def test_reminders_go_the_day_before_once_to_those_who_said_yes(db: Database):
    with db.session() as session:
        tomorrow = event(session, "Concert", datetime(2026, 12, 2, 16, 0, tzinfo=UTC))
        later = event(session, "Fair", datetime(2026, 12, 5, 9, 0, tzinfo=UTC))
        yes = add_member(session, user="yes", language="en")
        no = add_member(session, user="no")
        unreachable = add_member(session, user="gone")
        ids = [m.id or 0 for m in (yes, no, unreachable)]
        before = NOON - timedelta(days=2)
        for member_id, answer in zip(ids, ("yes", "no", "yes"), strict=True):
            rsvp(session, item_id=tomorrow.id or 0, member_id=member_id, answer=answer, now=before)
            rsvp(session, item_id=later.id or 0, member_id=member_id, answer="yes", now=before)
        for identity in unreachable_identities(session, ids[2]):
            identity.reachable = False
            session.add(identity)
        session.flush()

        early = queue_event_reminders(session, NOON.replace(hour=6))  # 08:00 in Alytus
        assert early.queued == 0
        first = queue_event_reminders(session, NOON)
        assert (first.queued, first.already, first.unreachable) == (1, 0, 1)
        again = queue_event_reminders(session, NOON + timedelta(hours=3))
        assert (again.queued, again.already) == (0, 1)
        [reminder] = session.exec(
            select(Notification).where(Notification.message_key == "events.reminder")
        ).all()
        assert reminder.member_id == ids[0] and reminder.platform == "telegram"
        text = render(default_catalog(), yes, reminder).text
        assert text.startswith("⏰ A reminder: tomorrow – Concert (2026-12-02 18:00)")
        assert "/checkin CODE to earn points" in text
        yes.language = "lt"
        assert "Concert (lt)" in render(default_catalog(), yes, reminder).text


def test_a_reminder_waits_until_morning_where_the_member_lives(db: Database):
    """10:00 in Alytus is 03:00 in Chicago: that member is told later the same Alytus day."""
    with db.session() as session:
        concert = event(session, "Concert", datetime(2026, 12, 2, 16, 0, tzinfo=UTC))
        home = add_member(session, user="vilnius", country="LT")
        chicago = add_member(session, user="chicago", country="US")  # New York's time
        for member in (home, chicago):
            rsvp(session, item_id=concert.id or 0, member_id=member.id or 0, answer="yes", now=NOON)

        at_noon = queue_event_reminders(session, NOON)  # 12:00 Alytus, 05:00 New York
        assert (at_noon.queued, at_noon.waiting) == (1, 1)
        morning = queue_event_reminders(session, NOON + timedelta(hours=4))  # 09:00 New York
        assert (morning.queued, morning.already, morning.waiting) == (1, 1, 0)
        told = session.exec(
            select(Notification.member_id).where(Notification.message_key == "events.reminder")
        ).all()
        assert sorted(told) == sorted([home.id, chicago.id])


def unreachable_identities(session: Session, member_id: int):  # type: ignore[no-untyped-def]
    from community.members import identities_of

    return identities_of(session=session, member_id=member_id)


def test_saying_no_after_the_reminder_was_queued_withdraws_it(db: Database):
    with db.session() as session:
        tomorrow = event(session, "Concert", datetime(2026, 12, 2, 16, 0, tzinfo=UTC))
        member = add_member(session, user="changes-mind")
        rsvp(session, item_id=tomorrow.id or 0, member_id=member.id or 0, answer="yes", now=NOON)
        assert queue_event_reminders(session, NOON).queued == 1
        rsvp(session, item_id=tomorrow.id or 0, member_id=member.id or 0, answer="no", now=NOON)
        assert session.exec(select(Notification)).all() == []


def test_an_answer_is_yes_or_no_for_an_event_to_come(db: Database):
    with db.session() as session:
        member = add_member(session, user="x")
        soon = event(session, "Concert", utcnow() + timedelta(days=1))
        with pytest.raises(EventError):
            rsvp(session, item_id=soon.id or 0, member_id=member.id or 0, answer="maybe")
        with pytest.raises(EventError):
            rsvp(session, item_id=12345678, member_id=member.id or 0, answer="yes")


def test_a_feed_event_has_a_check_in_code_that_pays_once(db: Database, settings):  # type: ignore[no-untyped-def]
    with db.session() as session:
        concert = event(session, "Concert", utcnow() + timedelta(hours=1))
        member = add_member(session, user="guest")
        assert checkin_event_name(concert) == f"feed:{concert.id}"
        code = create_checkin_code(
            session,
            event=checkin_event_name(concert),
            points=None,
            valid_from=utcnow() - timedelta(minutes=5),
            valid_until=utcnow() + timedelta(hours=3),
        )
        first = check_in(session=session, settings=settings, member_id=member.id or 0, code=code)
        again = check_in(session=session, settings=settings, member_id=member.id or 0, code=code)
        assert first.ok and first.award is not None and first.award.event is not None
        assert first.award.event.points > 0
        assert again.refused == "already"


def test_the_mayors_celebration_is_listed_and_reminded(engine: Engine, db: Database, settings):  # type: ignore[no-untyped-def]
    bot = joined(engine, "active")
    member = member_of(db, "active")
    with db.session() as session:
        award(
            session=session,
            settings=settings,
            member_id=member.id or 0,
            rule="manual",
            key="mayor-test",
            points=5000,
            reason="test",
        )
        held_on = (utcnow() + timedelta(days=20)).date()
        report = send_mayor_invitation(
            session=session, event="Alytus city festival", held_on=held_on, min_points=1000
        )
        invitation_id = report.invitation_id
    replies = bot.say("/events")
    [card] = replies[0].cards
    assert card.title == "The Mayor's invitation: Alytus city festival"
    assert "Will you come?" in card.text
    assert f"/rsvp {invitation_id} yes" in bot.payloads()
    bot.press(f"/rsvp {invitation_id} yes")
    verify_dialog(bot, [("/events", "You are going")])
    day_before = datetime.combine(held_on - timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    with db.session() as session:
        found = queue_reminders(session, day_before + timedelta(hours=10))
        assert found["queued"] == 1
        assert queue_reminders(session, day_before + timedelta(hours=11))["queued"] == 0
        [reminder] = session.exec(
            select(Notification).where(Notification.message_key == "events.mayor_reminder")
        ).all()
        stored = session.get(Member, member.id)
        assert stored is not None
        text = render(default_catalog(), stored, reminder).text
        assert "Alytus city festival" in text and "Mayor" in text and "/checkin" in text
        assert isinstance(held_on, date)


def a_concert(db: Database) -> str:
    """An event with a place and a link, three days on; its start as Alytus reads it."""
    with db.session() as session:
        concert = create_item(
            session=session,
            kind="event",
            title_lt="Koncertas parke",
            title_en="Concert in the park",
            body_lt="Visi kviečiami.",
            body_en="Everyone is welcome.",
            url="https://www.alytus.lt/renginiai/koncertas",
            starts_at=(utcnow() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0),
            place="Jaunimo parkas, Alytus",
        )
        return local_time(concert.starts_at)


def assert_card_says_when_where_and_links(replies: list, when: str) -> None:  # type: ignore[type-arg]
    [card] = [card for reply in replies for card in reply.cards]
    assert card.title == "Concert in the park"
    assert f"When: {when} (Alytus time)" in card.text
    assert "Where: Jaunimo parkas, Alytus" in card.text
    assert [(link.label, link.url) for link in card.links] == [
        ("Read more", "https://www.alytus.lt/renginiai/koncertas")
    ]


def test_events_show_when_where_and_the_link_as_news_does(engine: Engine, db: Database):
    """Before: /events said when, but not where, and had no link."""
    bot = joined(engine, "kur")
    when = a_concert(db)
    assert_card_says_when_where_and_links(bot.say("/events"), when)


def test_events_asked_in_words_show_where_and_the_link(
    db: Database,
    settings,  # type: ignore[no-untyped-def]
    nlu_parser,  # type: ignore[no-untyped-def]
):
    """Before: "kokie renginiai vyksta?" listed the event without its place and link."""
    bot = joined(Engine(db=db, settings=settings, parser=nlu_parser), "zodziais")
    when = a_concert(db)
    assert_card_says_when_where_and_links(bot.say("kokie renginiai vyksta?"), when)


def test_every_demo_event_has_a_date_a_place_and_a_link(db: Database, settings):  # type: ignore[no-untyped-def]
    """Before: the demo's job fair and city celebration had no date or place, and the
    birthday concert no link. The celebration is over, so /news does not offer it."""
    now = utcnow()
    load_demo_activity(db, settings)
    with db.session() as session:
        dated = [
            item
            for item in session.exec(select(FeedItem)).all()
            if item.kind == "event" or "mugė" in item.title_lt
        ]
        assert len(dated) == 4
        for item in dated:
            assert item.starts_at and item.place, item.title_en
            assert (item.url or "").startswith("https://www.alytus.lt/"), item.title_en
        starts = {item.title_en: as_utc(item.starts_at) for item in dated if item.starts_at}
        assert starts["City celebration: the programme (demo)"] < now
        upcoming = [title for title, start in starts.items() if start > now]
        assert len(upcoming) == 3 and "Alytus job fair (demo)" in upcoming
        member = add_member(session, user="demo-news", language="en", country="GB")
        shown = [found.item.title_en for found in for_you(session, member, limit=10)]
        assert "City celebration: the programme (demo)" not in shown
        assert "Alytus job fair (demo)" in shown
