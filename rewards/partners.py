"""Partners (local businesses), their offers to passport holders, and redemptions.

A merchant redeems an offer with the token from the member's passport QR: the token is
checked first (signature, expiry, revocation), then the offer's level and per-member limit.
What partners are shown of a redemption is the passport number and the time, never who.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from community.models import as_utc, utcnow
from community.settings import Settings
from rewards.passport import Verdict, verify_token
from rewards.passport_models import Offer, Partner, Passport, Redemption

Refusal = Literal["unknown_offer", "inactive", "invalid", "expired", "revoked", "level", "limit"]


class PartnerError(ValueError):
    """A partner or offer that cannot be saved as asked; the message says why."""


@dataclass(frozen=True)
class RedemptionResult:
    """The till's answer: redeemed, or refused with a reason (English and Lithuanian)."""

    ok: bool
    reason: str
    reason_lt: str
    refused: Refusal | None = None
    redemption: Redemption | None = None
    verdict: Verdict | None = None


@dataclass(frozen=True)
class RedemptionRecord:
    """A redemption as a partner may see it: no member, only the passport number."""

    id: int
    offer_id: int
    partner: str
    offer_title_lt: str
    offer_title_en: str
    passport_number: str
    redeemed_at: datetime
    redeemed_by: str


def add_partner(
    *, session: Session, name: str, address: str | None = None, contact: str | None = None
) -> Partner:
    if not name.strip():
        raise PartnerError("a partner needs a name")
    partner = Partner(name=name.strip(), address=address or None, contact=contact or None)
    session.add(partner)
    session.flush()
    return partner


def list_partners(*, session: Session) -> list[Partner]:
    return list(session.exec(select(Partner).order_by(col(Partner.name), col(Partner.id))))


def add_offer(
    *,
    session: Session,
    partner_id: int,
    title_lt: str,
    title_en: str,
    min_level: int = 0,
    limit_per_member: int | None = None,
    active: bool = True,
) -> Offer:
    """A new offer; `limit_per_member` None means as often as the member likes."""
    if session.get(Partner, partner_id) is None:
        raise PartnerError(f"no partner {partner_id}")
    if not title_lt.strip() or not title_en.strip():
        raise PartnerError("an offer needs a title in Lithuanian and in English")
    if limit_per_member is not None and limit_per_member < 1:
        raise PartnerError("the limit per member must be 1 or more (or none)")
    offer = Offer(
        partner_id=partner_id,
        title_lt=title_lt.strip(),
        title_en=title_en.strip(),
        min_level=min_level,
        limit_per_member=limit_per_member,
        active=active,
    )
    session.add(offer)
    session.flush()
    return offer


def set_offer_active(*, session: Session, offer_id: int, active: bool) -> Offer:
    offer = session.get(Offer, offer_id)
    if offer is None:
        raise PartnerError(f"no offer {offer_id}")
    offer.active = active
    session.add(offer)
    session.flush()
    return offer


def offers_for(*, session: Session, level: int) -> list[tuple[Offer, Partner]]:
    """Active offers a passport at `level` opens, with their partner."""
    statement = (
        select(Offer, Partner)
        .join(Partner, col(Partner.id) == Offer.partner_id)
        .where(col(Offer.active).is_(True), Offer.min_level <= level)
        .order_by(col(Partner.name), col(Offer.id))
    )
    return [(offer, partner) for offer, partner in session.exec(statement)]


def _refuse(
    refused: Refusal, reason: str, lt: str, verdict: Verdict | None = None
) -> RedemptionResult:
    return RedemptionResult(ok=False, refused=refused, reason=reason, reason_lt=lt, verdict=verdict)


def _times_used(session: Session, offer_id: int, passport: Passport) -> int:
    """How often this member used the offer, on any of their passports (this one if erased)."""
    whose = Redemption.passport_id == passport.id
    if passport.member_id is not None:
        whose = or_(whose, Redemption.member_id == passport.member_id)
    statement = (
        select(func.count()).select_from(Redemption).where(Redemption.offer_id == offer_id, whose)
    )
    return int(session.exec(statement).one())


def redeem(
    *,
    session: Session,
    settings: Settings,
    offer_id: int,
    token: str,
    by: str,
    now: datetime | None = None,
) -> RedemptionResult:
    """Use an offer with a passport token, or say why not."""
    now = now or utcnow()
    offer = session.get(Offer, offer_id)
    if offer is None:
        return _refuse("unknown_offer", f"no offer {offer_id}", f"pasiūlymo {offer_id} nėra")
    verdict = verify_token(settings=settings, token=token, session=session, now=now)
    if not verdict.valid:
        return _refuse(
            verdict.status,  # type: ignore[arg-type]
            f"passport {verdict.status}: {verdict.reason}",
            f"pasas negalioja: {verdict.reason_lt}",
            verdict,
        )
    if not offer.active:
        return _refuse("inactive", "the offer has ended", "pasiūlymas nebegalioja", verdict)
    if (verdict.level or 0) < offer.min_level:
        return _refuse(
            "level",
            f"the offer needs level {offer.min_level}, the passport is level {verdict.level}",
            f"pasiūlymui reikia {offer.min_level} lygio, pasas yra {verdict.level} lygio",
            verdict,
        )
    # Lock the passport row so two tills cannot both take the last use (PostgreSQL).
    passport = session.exec(
        select(Passport).where(Passport.number == verdict.number).with_for_update()
    ).one()
    limit = offer.limit_per_member
    if limit is not None and _times_used(session, offer.id or 0, passport) >= limit:
        return _refuse(
            "limit",
            f"already used {limit} time(s), the most this offer allows",
            f"jau panaudota {limit} k. – daugiau šis pasiūlymas neleidžia",
            verdict,
        )
    redemption = Redemption(
        offer_id=offer.id or 0,
        passport_id=passport.id or 0,
        member_id=passport.member_id,
        redeemed_at=now,
        redeemed_by=by.strip()[:120] or "-",
    )
    session.add(redemption)
    session.flush()
    return RedemptionResult(
        ok=True,
        reason=f"redeemed: {offer.title_en}",
        reason_lt=f"panaudota: {offer.title_lt}",
        redemption=redemption,
        verdict=verdict,
    )


def redemptions(session: Session, offer_id: int | None = None) -> list[RedemptionRecord]:
    """Redemptions, newest first, as partners may see them (no member behind them)."""
    statement = (
        select(Redemption, Offer, Partner, Passport)
        .join(Offer, col(Offer.id) == Redemption.offer_id)
        .join(Partner, col(Partner.id) == Offer.partner_id)
        .join(Passport, col(Passport.id) == Redemption.passport_id)
        .order_by(col(Redemption.redeemed_at).desc(), col(Redemption.id).desc())
    )
    if offer_id is not None:
        statement = statement.where(Redemption.offer_id == offer_id)
    return [
        RedemptionRecord(
            id=redemption.id or 0,
            offer_id=offer.id or 0,
            partner=partner.name,
            offer_title_lt=offer.title_lt,
            offer_title_en=offer.title_en,
            passport_number=passport.number,
            redeemed_at=as_utc(redemption.redeemed_at),
            redeemed_by=redemption.redeemed_by,
        )
        for redemption, offer, partner, passport in session.exec(statement)
    ]
