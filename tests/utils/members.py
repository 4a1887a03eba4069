"""Reading a member back the way `alytus members show` does."""

from __future__ import annotations

from typing import Any

from community.database import Database
from community.members import get_member, member_view


def show(db: Database, user_id: str, platform: str = "terminal") -> dict[str, Any]:
    with db.session() as session:
        member = get_member(session=session, platform=platform, user_id=user_id)
        return member_view(session=session, member=member)
