"""The leaderboard: only members who asked to be on it, only under the name they chose."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from community.models import Member
from rewards.models import LeaderboardEntry, RewardEvent

MAX_NAME = 40


def join_leaderboard(session: Session, member_id: int, display_name: str) -> LeaderboardEntry:
    """Put the member on the leaderboard (or rename them there)."""
    name = " ".join(display_name.split())[:MAX_NAME]
    if not name:
        raise ValueError("the leaderboard needs a name to show")
    entry = session.get(LeaderboardEntry, member_id) or LeaderboardEntry(member_id=member_id)
    entry.display_name = name
    session.add(entry)
    session.flush()
    return entry


def leave_leaderboard(session: Session, member_id: int) -> bool:
    """Take the member off the leaderboard; False when they were not on it."""
    entry = session.get(LeaderboardEntry, member_id)
    if entry is None:
        return False
    session.delete(entry)
    session.flush()
    return True


def leaderboard(session: Session, limit: int = 10) -> list[tuple[str, int]]:
    """(display name, points) of the opted-in members with the most points."""
    total = func.coalesce(func.sum(RewardEvent.points), 0)
    statement = (
        select(LeaderboardEntry.display_name, total)
        .join(Member, col(Member.id) == LeaderboardEntry.member_id)
        .outerjoin(RewardEvent, col(RewardEvent.member_id) == LeaderboardEntry.member_id)
        .where(col(Member.erased_at).is_(None))
        .group_by(col(LeaderboardEntry.member_id), col(LeaderboardEntry.display_name))
        .order_by(total.desc(), col(LeaderboardEntry.display_name))
        .limit(limit)
    )
    return [(name, int(points)) for name, points in session.exec(statement)]
