"""The mayor's invitation to the city celebration, for the community's most active members.

Sending it again for the same event and date reaches only members who qualified since:
each member is invited once per invitation (a row per invitee, a dedupe key per message).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from community import notifications
from community.models import Member, utcnow
from rewards.journal import latest_platform, points_by_member
from rewards.levels import get_level
from rewards.models import MayorInvitation, MayorInvitee

Answer = Literal["yes", "no"]


@dataclass(frozen=True)
class InvitationReport:
    invitation_id: int
    invited: int  # told now
    already: int  # told before
    unreachable: int  # qualify, but have no channel to be told on


def threshold(*, min_level: int | None = None, min_points: int | None = None) -> int:
    """The points a member needs: the stricter of the level's and the given minimum."""
    needed = [get_level(min_level).min_points] if min_level is not None else []
    needed += [min_points] if min_points is not None else []
    if not needed:
        raise ValueError("give a minimum level or a minimum of points")
    if max(needed) <= 0:
        raise ValueError("the invitation is for the most active: the minimum must be above 0")
    return max(needed)


def qualifying_members(*, session: Session, min_points: int) -> list[int]:
    """Members (not erased) with at least `min_points`, most points first."""
    balances = points_by_member(session=session)
    candidates = [member_id for member_id, points in balances.items() if points >= min_points]
    if not candidates:
        return []
    erased = set(
        session.exec(
            select(Member.id).where(
                col(Member.id).in_(candidates), col(Member.erased_at).is_not(None)
            )
        )
    )
    return sorted((m for m in candidates if m not in erased), key=lambda m: (-balances[m], m))


def send_mayor_invitation(
    *,
    session: Session,
    event: str,
    held_on: date,
    min_level: int | None = None,
    min_points: int | None = None,
) -> InvitationReport:
    """Invite every qualifying member in chat, once; the answer comes back through rsvp()."""
    needed = threshold(min_level=min_level, min_points=min_points)
    invitation = _invitation(session, event.strip(), held_on, min_level, min_points)
    assert invitation.id is not None
    invited = already = unreachable = 0
    for member_id in qualifying_members(session=session, min_points=needed):
        if session.get(MayorInvitee, (invitation.id, member_id)) is not None:
            already += 1
            continue
        platform = latest_platform(session=session, member_id=member_id)
        if platform is None:
            unreachable += 1
            continue
        try:
            with session.begin_nested():
                session.add(MayorInvitee(invitation_id=invitation.id, member_id=member_id))
                session.flush()
        except IntegrityError:
            already += 1
            continue
        notifications.enqueue(
            session=session,
            member_id=member_id,
            platform=platform,
            message_key="rewards.mayor_invitation",
            params={
                "event": invitation.event,
                "date": invitation.held_on.isoformat(),
                "invitation_id": invitation.id,
            },
            dedupe_key=f"mayor_invitation:{invitation.id}:{member_id}",
        )
        invited += 1
    return InvitationReport(invitation.id, invited, already, unreachable)


def _invitation(
    session: Session, event: str, held_on: date, min_level: int | None, min_points: int | None
) -> MayorInvitation:
    if not event:
        raise ValueError("the invitation needs the event's name")
    statement = select(MayorInvitation).where(
        MayorInvitation.event == event, MayorInvitation.held_on == held_on
    )
    found = session.exec(statement).first()
    if found is not None:
        return found
    invitation = MayorInvitation(
        event=event, held_on=held_on, min_level=min_level, min_points=min_points
    )
    try:
        with session.begin_nested():
            session.add(invitation)
            session.flush()
    except IntegrityError:
        found = session.exec(statement).first()
        assert found is not None
        return found
    return invitation


def rsvp(session: Session, invitation_id: int, member_id: int, answer: Answer) -> bool:
    """Record the member's answer (a later answer replaces it); False if not invited."""
    if answer not in ("yes", "no"):
        raise ValueError("the answer is yes or no")
    invitee = session.get(MayorInvitee, (invitation_id, member_id))
    if invitee is None:
        return False
    invitee.answer = answer
    invitee.answered_at = utcnow()
    session.add(invitee)
    session.flush()
    return True


def invitation_counts(session: Session, invitation_id: int) -> dict[str, int]:
    """How many were invited, and how many said yes, no, or nothing yet."""
    answers = list(
        session.exec(select(MayorInvitee.answer).where(MayorInvitee.invitation_id == invitation_id))
    )
    yes, no = answers.count("yes"), answers.count("no")
    return {"invited": len(answers), "yes": yes, "no": no, "no_answer": len(answers) - yes - no}
