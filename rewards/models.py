"""Tables of the rewards room: rule overrides, the reward journal, event check-in codes, the
opt-in leaderboard and the mayor's invitation.

Balances, levels and badges are not stored: they are derived from the journal, so there is
one truth to check against the chain. Table names carry a `rewards_` prefix.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Date, DateTime, ForeignKey, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from community.models import utcnow


def _when(**kwargs: Any) -> Any:
    return Field(sa_type=DateTime(timezone=True), **kwargs)  # type: ignore[call-overload]


def _member(ondelete: str, *, nullable: bool, **kwargs: Any) -> Any:
    return Field(
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete=ondelete), nullable=nullable, **kwargs
        )
    )


class RewardRule(SQLModel, table=True):
    """Staff's override of a rule whose default lives in code (rewards/rules.py)."""

    __tablename__ = "rewards_rule"

    code: str = Field(primary_key=True, max_length=40)
    points: int | None = Field(default=None)
    cap_day: int | None = Field(default=None)
    cap_total: int | None = Field(default=None)
    active: bool = Field(default=True)
    updated_at: datetime = _when(default_factory=utcnow)


class RewardEvent(SQLModel, table=True):
    """One reward, appended once and never changed (only unlinked from the member on erasure).

    `key` is the idempotency key and the reward's id on chain; `account` is the member's
    pseudonymous chain address, kept so the entry stays verifiable after erasure.
    """

    __tablename__ = "rewards_event"
    __table_args__ = (Index("ix_rewards_event_member_rule_at", "member_id", "rule", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    member_id: int | None = _member("SET NULL", nullable=True, index=True)
    account: str = Field(max_length=42)
    rule: str = Field(max_length=40)
    points: int
    reason: str | None = Field(default=None, max_length=500)
    actor: str | None = Field(default=None, max_length=120)
    at: datetime = _when(default_factory=utcnow)
    # recorded on the ledger only with the member's consent to on-chain rewards
    on_chain: bool = True


class CheckinCode(SQLModel, table=True):
    """A short code staff give out at an event; it earns points while it is valid."""

    __tablename__ = "rewards_checkin_code"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True)
    event: str = Field(max_length=120)
    points: int | None = Field(default=None)
    valid_from: datetime = _when()
    valid_until: datetime = _when()
    created_at: datetime = _when(default_factory=utcnow)


class LeaderboardEntry(SQLModel, table=True):
    """A member who chose to appear on the leaderboard, under a name they chose."""

    __tablename__ = "rewards_leaderboard_entry"

    member_id: int = Field(
        sa_column=Column(Integer, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    )
    display_name: str = Field(max_length=40)
    joined_at: datetime = _when(default_factory=utcnow)


class MayorInvitation(SQLModel, table=True):
    """The mayor's invitation to one city celebration; one per event and date."""

    __tablename__ = "rewards_mayor_invitation"
    __table_args__ = (UniqueConstraint("event", "held_on"),)

    id: int | None = Field(default=None, primary_key=True)
    event: str = Field(max_length=200)
    held_on: date = Field(sa_column=Column(Date, nullable=False))
    min_level: int | None = Field(default=None)
    min_points: int | None = Field(default=None)
    created_at: datetime = _when(default_factory=utcnow)


class MayorInvitee(SQLModel, table=True):
    """A member the invitation went to, and their answer (personal: deleted on erasure)."""

    __tablename__ = "rewards_mayor_invitee"

    invitation_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("rewards_mayor_invitation.id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    member_id: int = Field(
        sa_column=Column(Integer, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    )
    invited_at: datetime = _when(default_factory=utcnow)
    answer: str | None = Field(default=None, max_length=3)
    answered_at: datetime | None = _when(default=None)


import rewards.passport_models  # noqa: E402,F401  (the passport's tables: same room, own branch)
