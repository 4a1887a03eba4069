"""City polls in the community room: a valid poll, its audience asked once, one answer per
member, results by relation and country, closing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from community import polls
from community.database import Database
from community.feed import opt_out
from community.models import Member, Notification, Poll, utcnow
from tests.community.test_feed import add_member

CHOICES = [("Parkas", "A park"), ("Baseinas", "A pool"), ("Biblioteka", "A library")]


def make_poll(session: Session, **extra: object) -> Poll:
    fields: dict[str, object] = {
        "question_lt": "Ką statyti Dainavoje?",
        "question_en": "What should Dainava get?",
        "choices": CHOICES,
        **extra,
    }
    return polls.create_poll(session=session, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"choices": CHOICES[:1]}, "2 to 6 choices"),
        ({"choices": CHOICES * 3}, "2 to 6 choices"),
        ({"choices": [("Taip", ""), ("Ne", "No")]}, "choice 1 in English is empty"),
        ({"question_en": "  "}, "question in English is empty"),
        ({"question_lt": "x" * 301}, "longer than 300"),
        ({"audience": {"planets": ["mars"]}}, "unknown audience keys"),
        ({"closes_at": utcnow() - timedelta(minutes=1)}, "already passed"),
    ],
)
def test_a_poll_needs_both_languages_and_two_to_six_choices(
    db: Database, change: dict[str, object], problem: str
):
    with db.session() as session, pytest.raises(polls.PollError, match=problem):
        make_poll(session, **change)


def test_sending_asks_the_audience_once_with_a_button_per_choice(db: Database):
    with db.session() as session:
        norway = add_member(session, user="1", country="NO")
        add_member(session, user="2", country="GB")
        add_member(session, user="3", country="NO", news=False)
        muted = add_member(session, user="4", country="NO")
        opt_out(session=session, member_id=muted.id or 0, kind="announcement")
        poll = make_poll(session, audience={"countries": ["no"]})
        assert poll.id is not None and poll.status == "draft"
        report = polls.send_poll(session=session, poll_id=poll.id)
        assert (report.asked, report.already, report.unreachable) == (1, 0, 0)
        assert poll.status == "open"
        asked = session.exec(select(Notification).where(Notification.message_key == "poll.ask"))
        (notification,) = asked.all()
        assert notification.member_id == norway.id and notification.platform == "telegram"
        assert notification.params["question_en"] == "What should Dainava get?"
        assert [b["payload"] for b in notification.params["buttons"]] == [
            f"/poll {poll.id} {n}" for n in (1, 2, 3)
        ]
        again = polls.send_poll(session=session, poll_id=poll.id)
        assert (again.asked, again.already) == (0, 1)


def test_one_answer_each_and_results_by_relation_and_country(db: Database):
    with db.session() as session:
        people = [
            add_member(session, user="1", relation="emigrant", country="NO"),
            add_member(session, user="2", relation="emigrant", country="NO"),
            add_member(session, user="3", relation="emigrant", country="GB"),
            add_member(session, user="4", relation="resident", country=None),
        ]
        poll = make_poll(session)
        assert poll.id is not None
        polls.send_poll(session=session, poll_id=poll.id)
        for member, choice in zip(people, (1, 1, 2, 3), strict=True):
            polls.answer_poll(session=session, poll_id=poll.id, member=member, choice=choice)
        with pytest.raises(polls.AnswerRefused, match="already"):
            polls.answer_poll(session=session, poll_id=poll.id, member=people[0], choice=2)
        with pytest.raises(polls.AnswerRefused, match="bad_choice"):
            polls.answer_poll(session=session, poll_id=poll.id, member=people[0], choice=4)
        found = polls.results(session, poll.id)
        assert found.total == 4 and found.counts == [2, 1, 1]
        assert found.by_relation == {"emigrant": [2, 1, 0], "resident": [0, 0, 1]}
        assert found.by_country == {"NO": [2, 0, 0], "GB": [0, 1, 0], "unknown": [0, 0, 1]}
        assert ("country", "NO", "A park", 2) in found.rows()

        exported = polls.export_member(session=session, member_id=people[2].id or 0)
        assert [(row["poll"], row["choice"]) for row in exported] == [(poll.id, 2)]

        # erasure unlinks an answer but keeps it counted
        assert polls.forget_member(session=session, member_id=people[0].id or 0)
        assert polls.results(session, poll.id).counts == [2, 1, 1]


def test_a_closed_or_expired_poll_takes_no_answers(db: Database):
    with db.session() as session:
        member = add_member(session, user="1")
        poll = make_poll(session)
        assert poll.id is not None
        with pytest.raises(polls.AnswerRefused, match="closed"):  # a draft is not open yet
            polls.answer_poll(session=session, poll_id=poll.id, member=member, choice=1)
        polls.send_poll(session=session, poll_id=poll.id)
        polls.close_poll(session=session, poll_id=poll.id)
        with pytest.raises(polls.AnswerRefused, match="closed"):
            polls.answer_poll(session=session, poll_id=poll.id, member=member, choice=1)
        with pytest.raises(polls.PollError, match="closed"):
            polls.send_poll(session=session, poll_id=poll.id)

        later = make_poll(session, closes_at=utcnow() + timedelta(hours=1))
        assert later.id is not None
        polls.send_poll(session=session, poll_id=later.id)
        later.closes_at = utcnow() - timedelta(seconds=1)
        assert polls.state(later) == "closed"
        assert polls.open_polls_for(session, member) == []
        with pytest.raises(polls.AnswerRefused, match="closed"):
            polls.answer_poll(session=session, poll_id=later.id, member=member, choice=1)


def test_a_member_outside_the_audience_is_not_asked_and_cannot_answer(db: Database):
    with db.session() as session:
        briton: Member = add_member(session, user="1", country="GB")
        poll = make_poll(session, audience={"countries": ["NO"]})
        assert poll.id is not None
        polls.send_poll(session=session, poll_id=poll.id)
        assert polls.open_polls_for(session, briton) == []
        with pytest.raises(polls.AnswerRefused, match="not_for_you"):
            polls.answer_poll(session=session, poll_id=poll.id, member=briton, choice=1)
        with pytest.raises(polls.AnswerRefused, match="unknown"):
            polls.answer_poll(session=session, poll_id=10**12, member=briton, choice=1)
