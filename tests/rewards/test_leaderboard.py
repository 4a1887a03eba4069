"""Nobody is on the leaderboard without asking, and only under the name they chose."""

from __future__ import annotations

from community.database import Database
from community.members import erase_member
from rewards.journal import award
from rewards.leaderboard import join_leaderboard, leaderboard, leave_leaderboard
from tests.rewards.members import make_member


def test_only_opted_in_members_appear_under_their_chosen_names(db: Database, settings):
    with db.session() as session:
        shy, ona, jonas, newcomer = (make_member(session) for _ in range(4))
        for member, points in ((shy, 900), (ona, 120), (jonas, 300)):
            award(
                session=session,
                settings=settings,
                member_id=member.id,
                rule="manual",
                key=f"k{member.id}",
                points=points,
                reason="test",
            )
        assert leaderboard(session) == []

        join_leaderboard(session, ona.id, "Ona")
        join_leaderboard(session, jonas.id, "  Jonas   iš Oslo ")
        join_leaderboard(session, newcomer.id, "Naujokė")
        assert leaderboard(session) == [("Jonas iš Oslo", 300), ("Ona", 120), ("Naujokė", 0)]
        assert leaderboard(session, limit=1) == [("Jonas iš Oslo", 300)]

        join_leaderboard(session, ona.id, "Ona K.")  # renaming keeps one entry
        assert leave_leaderboard(session, jonas.id) is True
        assert leave_leaderboard(session, jonas.id) is False
        assert leaderboard(session) == [("Ona K.", 120), ("Naujokė", 0)]

        erase_member(session=session, member=newcomer, notice_version="2026-11")
        assert leaderboard(session) == [("Ona K.", 120)]
