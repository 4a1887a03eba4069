"""Event check-in: staff give out a short code for the time of an event; a member who types
it gets the event's points once.

The award key is the event's name and the member, so a second code for the same event, or
the event's attendance list imported later (rewards/imports.py), never pays twice.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlmodel import Session, select

from community.members import REFERRAL_ALPHABET
from community.models import as_utc, utcnow
from community.settings import Settings
from rewards.journal import AwardResult, award
from rewards.models import CheckinCode
from rewards.rules import CHECKIN, member_key

CODE_LENGTH = 6

CheckinRefusal = Literal["unknown_code", "expired", "not_yet", "already"]

# Award refusals a member at an event can meet, in the words the chat has for check-ins.
_AS_CHECKIN: dict[str, CheckinRefusal] = {
    "duplicate": "already",
    "cap_day": "already",
    "cap_total": "already",
    "inactive": "expired",
}


@dataclass(frozen=True)
class CheckinResult:
    ok: bool
    refused: CheckinRefusal | None = None
    award: AwardResult | None = None  # its own `refused` tells staff the exact reason


def normalize_code(code: str) -> str:
    """What a member types, as stored: spaces and dashes dropped, upper case."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def create_checkin_code(
    session: Session,
    *,
    event: str,
    points: int | None,
    valid_from: datetime,
    valid_until: datetime,
) -> str:
    """A new code for an event (no 0/O or 1/I, so it can be read aloud and typed)."""
    event = event.strip()
    if not event:
        raise ValueError("the event needs a name")
    if as_utc(valid_until) <= as_utc(valid_from):
        raise ValueError("the code must be valid for some time: valid_until <= valid_from")
    if points is not None and points <= 0:
        raise ValueError("a check-in gives a positive number of points")
    while True:
        code = "".join(secrets.choice(REFERRAL_ALPHABET) for _ in range(CODE_LENGTH))
        if _find(session, code) is None:
            break
    session.add(
        CheckinCode(
            code=code,
            event=event,
            points=points,
            valid_from=as_utc(valid_from),
            valid_until=as_utc(valid_until),
        )
    )
    session.flush()
    return code


def _find(session: Session, code: str) -> CheckinCode | None:
    return session.exec(select(CheckinCode).where(CheckinCode.code == code)).first()


def check_in(
    *,
    session: Session,
    settings: Settings,
    member_id: int,
    code: str,
    now: datetime | None = None,
) -> CheckinResult:
    """Check a member in with a code; a second check-in at the same event is "already"."""
    found = _find(session, normalize_code(code))
    if found is None:
        return CheckinResult(ok=False, refused="unknown_code")
    moment = as_utc(now) if now else utcnow()
    if moment < as_utc(found.valid_from):
        return CheckinResult(ok=False, refused="not_yet")
    if moment >= as_utc(found.valid_until):
        return CheckinResult(ok=False, refused="expired")
    result = award(
        session=session,
        settings=settings,
        member_id=member_id,
        rule=CHECKIN,
        key=member_key(CHECKIN, found.event, member_id),
        points=found.points,
        reason=found.event,
        actor=f"checkin:{found.code}",
        now=moment,
    )
    if not result.awarded:
        refused = _AS_CHECKIN.get(result.refused or "", "unknown_code")
        return CheckinResult(ok=False, refused=refused, award=result)
    return CheckinResult(ok=True, award=result)
