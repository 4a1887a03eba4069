"""Tables of the Alytus Passport, partners and offers (filled in by their migration).

A passport row ties a short public number to a member; only the number and its validity
travel in the signed QR token. Erasure cuts `member_id` and leaves the number, so partner
statistics stay while nobody can be found behind them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from community.models import utcnow


def _when(**kwargs: Any) -> Any:
    return Field(sa_type=DateTime(timezone=True), **kwargs)  # type: ignore[call-overload]


class Passport(SQLModel, table=True):
    """One Alytus Passport (Alytiškio pasas) issued to a member at a level."""

    __tablename__ = "rewards_passport"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=16, unique=True, index=True)
    member_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    level: int
    issued_at: datetime = _when(default_factory=utcnow)
    expires_at: datetime = _when()
    revoked_at: datetime | None = _when(default=None)
    revoke_reason: str | None = Field(default=None, max_length=200)


class Partner(SQLModel, table=True):
    """A local business that gives passport holders a discount."""

    __tablename__ = "rewards_partner"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    address: str | None = Field(default=None, max_length=300)
    contact: str | None = Field(default=None, max_length=200)
    created_at: datetime = _when(default_factory=utcnow)


class Offer(SQLModel, table=True):
    """A partner's discount, open to passports at `min_level` or above."""

    __tablename__ = "rewards_offer"

    id: int | None = Field(default=None, primary_key=True)
    partner_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("rewards_partner.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    title_lt: str = Field(max_length=300)
    title_en: str = Field(max_length=300)
    min_level: int = Field(default=0)
    limit_per_member: int | None = Field(default=None)
    active: bool = Field(default=True)
    created_at: datetime = _when(default_factory=utcnow)


class Redemption(SQLModel, table=True):
    """One use of an offer: which offer, which passport, when, and who at the till took it."""

    __tablename__ = "rewards_redemption"

    id: int | None = Field(default=None, primary_key=True)
    offer_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("rewards_offer.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    passport_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("rewards_passport.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    member_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    redeemed_at: datetime = _when(default_factory=utcnow)
    redeemed_by: str = Field(max_length=120)
