"""Requests for a human coordinator: filed once per open topic, answered once through the
outbox, closed, exported and erased with the member."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from community.database import Database
from community.handovers import (
    REPLY_MESSAGE,
    AlreadyAnswered,
    EmptyAnswer,
    HandoverClosed,
    HandoverNotFound,
    answer_handover,
    close_handover,
    count_open,
    export_handovers,
    forget_handovers,
    list_handovers,
    request_handover,
)
from community.members import get_or_create_member
from community.models import Handover, Notification


def member(session: Session, user: str = "1", language: str = "lt") -> int:
    row, _ = get_or_create_member(
        session=session, platform="telegram", user_id=user, language=language
    )
    assert row.id is not None
    return row.id


def test_a_request_is_filed_with_its_note_and_progress(db: Database):
    with db.session() as session:
        ona = member(session)
        handover, created = request_handover(
            session=session,
            member_id=ona,
            platform="telegram",
            topic="way_home",
            note="  grįžtame   rugpjūtį\nsu vaikais ",
            progress={"done": ["residence"], "total": 6},
        )
        assert created and handover.id is not None
        assert handover.status == "open" and handover.note == "grįžtame rugpjūtį\nsu vaikais"
        assert handover.progress == {"done": ["residence"], "total": 6}
        assert count_open(session=session) == 1


def test_asking_again_while_open_adds_to_the_same_request(db: Database):
    with db.session() as session:
        ona = member(session)
        first, _ = request_handover(
            session=session, member_id=ona, platform="telegram", topic="way_home", note="A"
        )
        again, created = request_handover(
            session=session,
            member_id=ona,
            platform="web",
            topic="way_home",
            note="B",
            progress={"done": ["health"], "total": 6},
        )
        assert not created and again.id == first.id
        assert again.note == "A\nB" and again.platform == "web"
        assert again.progress == {"done": ["health"], "total": 6}
        other, created = request_handover(
            session=session, member_id=ona, platform="web", topic="talk_to_human"
        )
        assert created and other.id != first.id


def test_an_answer_goes_to_the_outbox_once(db: Database):
    with db.session() as session:
        ona = member(session)
        handover, _ = request_handover(
            session=session, member_id=ona, platform="telegram", topic="way_home"
        )
        assert handover.id is not None
        with pytest.raises(EmptyAnswer):
            answer_handover(
                session=session, handover_id=handover.id, answer="  ", staff_email="m@alytus.lt"
            )
        answer_handover(
            session=session,
            handover_id=handover.id,
            answer="Sveiki! Paskambinkite {mums}: +370 315 55 111",
            staff_email="m@alytus.lt",
        )
        assert handover.status == "answered" and handover.answered_by == "m@alytus.lt"
        with pytest.raises(AlreadyAnswered):
            answer_handover(
                session=session, handover_id=handover.id, answer="Dar", staff_email="m@alytus.lt"
            )
        [notification] = session.exec(select(Notification)).all()
        assert notification.member_id == ona and notification.platform == "telegram"
        assert notification.message_key == REPLY_MESSAGE
        assert notification.params == {"reply": "Sveiki! Paskambinkite {mums}: +370 315 55 111"}
        assert count_open(session=session) == 0
        # a new request after an answer is a new one
        _, created = request_handover(
            session=session, member_id=ona, platform="telegram", topic="way_home"
        )
        assert created


def test_closing_and_what_a_closed_request_refuses(db: Database):
    with db.session() as session:
        handover, _ = request_handover(
            session=session, member_id=member(session), platform="web", topic="way_home"
        )
        assert handover.id is not None
        close_handover(session=session, handover_id=handover.id)
        assert handover.status == "closed" and handover.closed_at is not None
        with pytest.raises(HandoverClosed):
            close_handover(session=session, handover_id=handover.id)
        with pytest.raises(HandoverClosed):
            answer_handover(
                session=session, handover_id=handover.id, answer="Ačiū", staff_email="x@y.lt"
            )
        with pytest.raises(HandoverNotFound):
            close_handover(session=session, handover_id=987654)
        assert not session.exec(select(Notification)).all()


def test_list_newest_first_and_by_status(db: Database):
    with db.session() as session:
        ids = []
        for user in ("1", "2", "3"):
            handover, _ = request_handover(
                session=session, member_id=member(session, user), platform="web", topic="way_home"
            )
            ids.append(handover.id)
        close_handover(session=session, handover_id=ids[0])
        listed = list_handovers(session=session)
        assert [h.id for h, _ in listed] == list(reversed(ids))
        assert [h.id for h, _ in list_handovers(session=session, status="open")] == [ids[2], ids[1]]
        assert [m.language for _, m in listed] == ["lt", "lt", "lt"]


def test_export_and_erasure(db: Database):
    with db.session() as session:
        ona = member(session)
        handover, _ = request_handover(
            session=session, member_id=ona, platform="web", topic="way_home", note="Padėkite"
        )
        assert handover.id is not None
        answer_handover(
            session=session, handover_id=handover.id, answer="Gerai", staff_email="m@alytus.lt"
        )
        [exported] = export_handovers(session=session, member_id=ona)
        assert exported["note"] == "Padėkite" and exported["answer"] == "Gerai"
        assert "answered_by" not in exported  # staff's address is not the member's data
        assert forget_handovers(session=session, member_id=ona) == 1
        assert not session.exec(select(Handover)).all()
