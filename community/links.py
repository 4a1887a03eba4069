"""One person, several platforms: a one-time code from one account joins another to it.

The member types `/link` where they are known and gets a short code valid for ten minutes;
typing `/link CODE` on the other platform moves that platform's account to the member. A
fresh account (nothing but the greeting behind it) is then deleted; an account that already
joined on its own is refused rather than merged, because merging two profiles, consents and
reward histories is a decision for the person and staff, not for a chat command.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlmodel import Session, col, delete, select

from community.models import ChannelIdentity, Consent, LinkCode, Member, as_utc, utcnow

VALID_FOR = timedelta(minutes=10)
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed on a phone
CODE_LENGTH = 6

Refusal = Literal["unknown", "expired", "used", "same_member", "already_member"]


@dataclass(frozen=True)
class LinkResult:
    ok: bool
    member: Member | None = None
    refused: Refusal | None = None


def normalize(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


def new_link_code(*, session: Session, member_id: int, now: datetime | None = None) -> str:
    """A fresh code for the member; earlier unused codes of theirs stop working."""
    moment = now or utcnow()
    session.exec(
        delete(LinkCode).where(
            col(LinkCode.member_id) == member_id, col(LinkCode.used_at).is_(None)
        )
    )
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    session.add(LinkCode(code=code, member_id=member_id, expires_at=moment + VALID_FOR))
    session.flush()
    return code


def redeem_link_code(
    *, session: Session, code: str, identity: ChannelIdentity, now: datetime | None = None
) -> LinkResult:
    """Move `identity` (the account that typed the code) to the code's member."""
    moment = now or utcnow()
    found = session.get(LinkCode, normalize(code), with_for_update=True)
    if found is None:
        return LinkResult(False, refused="unknown")
    if found.used_at is not None:
        return LinkResult(False, refused="used")
    if as_utc(found.expires_at) < moment:
        return LinkResult(False, refused="expired")
    if found.member_id == identity.member_id:
        return LinkResult(False, refused="same_member")
    previous = session.get(Member, identity.member_id)
    if previous is not None and _has_joined(session, previous):
        return LinkResult(False, refused="already_member")
    target = session.get(Member, found.member_id)
    if target is None or target.erased_at is not None:
        return LinkResult(False, refused="unknown")
    identity.member_id = found.member_id
    session.add(identity)
    found.used_at = moment
    session.add(found)
    session.flush()
    if previous is not None and not _identities(session, previous.id):
        session.delete(previous)  # a fresh account: nothing of the person's is lost
        session.flush()
    return LinkResult(True, member=target)


def _has_joined(session: Session, member: Member) -> bool:
    """Joined, or gave or refused consent: the account has a life of its own."""
    if member.onboarded_at is not None:
        return True
    consents = session.exec(select(Consent.id).where(Consent.member_id == member.id).limit(1))
    return consents.first() is not None


def _identities(session: Session, member_id: int | None) -> list[ChannelIdentity]:
    return list(session.exec(select(ChannelIdentity).where(ChannelIdentity.member_id == member_id)))
