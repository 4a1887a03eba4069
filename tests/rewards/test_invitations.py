"""The mayor's invitation reaches the most active members, each once, and counts answers."""

from __future__ import annotations

from datetime import date

import pytest

from community.database import Database
from community.members import erase_member
from rewards.invitations import invitation_counts, rsvp, send_mayor_invitation
from rewards.journal import award
from tests.rewards.members import make_member, notifications_of

CELEBRATION = {"event": "Alytaus miesto šventė", "held_on": date(2026, 9, 12)}


def _give(session, settings, member, points: int) -> None:
    award(
        session=session,
        settings=settings,
        member_id=member.id,
        rule="manual",
        key=f"seed:{member.id}:{points}",
        points=points,
        reason="test",
    )


def test_only_qualifying_members_are_invited_and_each_only_once(db: Database, settings):
    with db.session() as session:
        active, busy, quiet, erased = (make_member(session) for _ in range(4))
        offline = make_member(session, platform=None)
        for member, points in ((active, 600), (busy, 260), (quiet, 120), (erased, 900)):
            _give(session, settings, member, points)
        _give(session, settings, offline, 700)
        erase_member(session=session, member=erased, notice_version="2026-11")

        report = send_mayor_invitation(session=session, min_level=3, **CELEBRATION)
        assert (report.invited, report.already, report.unreachable) == (2, 0, 1)
        message = notifications_of(session, active, "rewards.mayor_invitation")
        assert len(message) == 1 and message[0].platform == "telegram"
        assert message[0].params == {
            "event": "Alytaus miesto šventė",
            "date": "2026-09-12",
            "invitation_id": report.invitation_id,
        }
        assert notifications_of(session, quiet, "rewards.mayor_invitation") == []

        # sent again later: the same invitation, only the newly qualifying member is told
        _give(session, settings, quiet, 200)
        again = send_mayor_invitation(session=session, min_level=3, **CELEBRATION)
        assert again.invitation_id == report.invitation_id
        assert (again.invited, again.already) == (1, 2)
        for member in (active, busy, quiet):
            assert len(notifications_of(session, member, "rewards.mayor_invitation")) == 1


def test_answers_are_recorded_and_counted(db: Database, settings):
    with db.session() as session:
        ona, jonas, petras, stranger = (make_member(session) for _ in range(4))
        for member in (ona, jonas, petras):
            _give(session, settings, member, 1000)
        report = send_mayor_invitation(session=session, min_points=1000, **CELEBRATION)
        assert rsvp(session, report.invitation_id, ona.id, "yes")
        assert rsvp(session, report.invitation_id, jonas.id, "yes")
        assert rsvp(session, report.invitation_id, jonas.id, "no")  # changed their mind
        assert not rsvp(session, report.invitation_id, stranger.id, "yes")
        with pytest.raises(ValueError):
            rsvp(session, report.invitation_id, petras.id, "maybe")  # type: ignore[arg-type]
        counts = invitation_counts(session, report.invitation_id)
        assert counts == {"invited": 3, "yes": 1, "no": 1, "no_answer": 1}


def test_an_invitation_needs_a_bar_above_zero(db: Database):
    with db.session() as session:
        with pytest.raises(ValueError):
            send_mayor_invitation(session=session, **CELEBRATION)
        with pytest.raises(ValueError):
            send_mayor_invitation(session=session, min_level=1, **CELEBRATION)
