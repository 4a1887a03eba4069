"""Event check-in as a member at the door notices it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from community.database import Database
from community.models import utcnow
from community.settings import Settings
from rewards.checkins import check_in, create_checkin_code
from rewards.journal import standing_of
from tests.rewards.members import at, make_member


def test_checking_in_twice_is_already_and_pays_once(db: Database, settings: Settings):
    with db.session() as session:
        member = make_member(session)
        now = utcnow()
        code = create_checkin_code(
            session,
            event="Jaunimo festivalis",
            points=None,
            valid_from=now - timedelta(minutes=5),
            valid_until=now + timedelta(hours=3),
        )
        assert len(code) == 6 and code.isalnum() and code.isupper()

        first = check_in(session=session, settings=settings, member_id=member.id, code=code)
        typed = f" {code[:3].lower()}-{code[3:]} "
        second = check_in(session=session, settings=settings, member_id=member.id, code=typed)

        assert first.ok and first.refused is None and first.award.event.points == 40
        assert not second.ok and second.refused == "already"
        assert standing_of(session=session, member_id=member.id).points == 40


def test_a_second_code_for_the_same_event_does_not_pay_again(db, settings):
    with db.session() as session:
        member = make_member(session)
        window = {"valid_from": at("2026-06-01T10:00"), "valid_until": at("2026-06-01T13:00")}
        one = create_checkin_code(session, event="Miesto šventė", points=25, **window)
        two = create_checkin_code(session, event="Miesto šventė", points=25, **window)
        moment = at("2026-06-01T11:00")
        results = [
            check_in(session=session, settings=settings, member_id=member.id, code=c, now=moment)
            for c in (one, two)
        ]
        assert [r.refused for r in results] == [None, "already"]
        assert standing_of(session=session, member_id=member.id).points == 25


def test_codes_outside_their_time_or_unknown_are_refused(db, settings):
    with db.session() as session:
        member = make_member(session)
        code = create_checkin_code(
            session,
            event="Koncertas",
            points=30,
            valid_from=at("2026-06-01T10:00"),
            valid_until=at("2026-06-01T13:00"),
        )

        def refused(code: str, moment: str) -> str | None:
            result = check_in(
                session=session, settings=settings, member_id=member.id, code=code, now=at(moment)
            )
            return result.refused

        assert refused(code, "2026-06-01T09:59") == "not_yet"
        assert refused(code, "2026-06-01T13:00") == "expired"
        assert refused("ZZZZZZ", "2026-06-01T11:00") == "unknown_code"
        assert refused(code, "2026-06-01T12:59") is None
        assert standing_of(session=session, member_id=member.id).points == 30


def test_a_code_needs_an_event_and_a_time_window(db):
    with db.session() as session:
        with pytest.raises(ValueError):
            create_checkin_code(
                session,
                event="  ",
                points=None,
                valid_from=at("2026-06-01T10:00"),
                valid_until=at("2026-06-01T13:00"),
            )
        with pytest.raises(ValueError):
            create_checkin_code(
                session,
                event="Koncertas",
                points=None,
                valid_from=at("2026-06-01T10:00"),
                valid_until=at("2026-06-01T10:00"),
            )
