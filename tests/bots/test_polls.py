"""City polls as members meet them in chat: the question arrives with its choices, an answer
earns the poll's points once, a second answer and a closed poll are refused politely.

Ona writes in Lithuanian without diacritics; Tom in English."""

from __future__ import annotations

import pytest

from bots.engine import Engine
from bots.testing import BotTester, verify_dialog
from community import polls
from community.database import Database
from community.members import find_member
from rewards.journal import balance_of
from tests.community.test_feed import add_member


@pytest.fixture
def poll_id(db: Database) -> int:
    """Two members on the terminal and a sent poll for everyone."""
    with db.session() as session:
        add_member(session, user="ona", platform="terminal", language="lt", country="LT")
        add_member(session, user="tom", platform="terminal", language="en", country="IE")
        poll = polls.create_poll(
            session=session,
            question_lt="Ko labiausiai reikia Alytui?",
            question_en="What does Alytus need most?",
            choices=[("Darbo vietų", "Jobs"), ("Dviračių takų", "Cycle paths")],
        )
        assert poll.id is not None
        polls.send_poll(session=session, poll_id=poll.id)
        return poll.id


def points(db: Database, tester: BotTester) -> int:
    with db.session() as session:
        member = find_member(session=session, platform="terminal", user_id=tester.user_id)
        assert member is not None and member.id is not None
        return balance_of(session=session, member_id=member.id)


def test_the_poll_arrives_and_one_answer_earns_ten_points_once(
    engine: Engine, db: Database, poll_id: int
):
    ona = BotTester(engine=engine, user_id="ona")
    verify_dialog(
        ona,
        [
            ("labas", ["Miesto apklausa: Ko labiausiai reikia Alytui?", "1. Darbo vietų"]),
            ("/poll", ["Atviros apklausos (1)", "2. Dviračių takų"]),
        ],
    )
    assert ona.payloads() == [f"/poll {poll_id} 1", f"/poll {poll_id} 2"]
    verify_dialog(
        ona,
        [
            (f"[/poll {poll_id} 2]", "Ačiū, jūsų atsakymas užskaitytas! +10 taškų"),
            (f"/poll {poll_id} 1", "jau atsakėte"),
            ("/poll", "atvirų apklausų jums nėra"),
        ],
    )
    assert points(db, ona) == 10
    tom = BotTester(engine=engine, user_id="tom")
    verify_dialog(tom, [(f"/poll {poll_id} 1", "+10 points")])  # each member earns their own
    assert points(db, tom) == 10 and points(db, ona) == 10
    with db.session() as session:
        assert polls.results(session, poll_id).by_country == {"IE": [1, 0], "LT": [0, 1]}


def test_english_answer_a_bad_choice_and_a_closed_poll(engine: Engine, db: Database, poll_id: int):
    tom = BotTester(engine=engine, user_id="tom")
    verify_dialog(
        tom,
        [
            ("/help", ["City poll: What does Alytus need most?", "2. Cycle paths"]),
            (f"/poll {poll_id} 7", "pick a number from 1 to 2"),
            (f"/poll {poll_id}", ["What does Alytus need most?", f"/poll {poll_id} NUMBER"]),
            ("/poll soon", "/poll POLL NUMBER"),
        ],
    )
    with db.session() as session:
        polls.close_poll(session=session, poll_id=poll_id)
    verify_dialog(
        tom,
        [
            (f"/poll {poll_id} 1", "This poll is closed"),
            ("/poll", "no open polls"),
            ("/poll 424242 1", "could not find that poll"),
        ],
    )
    assert points(db, tom) == 0


def test_a_visitor_who_has_not_joined_is_asked_to_join(engine: Engine, poll_id: int):
    visitor = BotTester(engine=engine, user_id="visitor", locale="en")
    verify_dialog(visitor, [(f"/poll {poll_id} 1", "Polls are for community members")])
    assert "/start" in visitor.payloads()
