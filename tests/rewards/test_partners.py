"""Partners, offers and redemptions: a merchant redeems with the passport token, and is refused
with a reason for a bad passport, a low level, an ended offer or a used-up limit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict
from datetime import timedelta

import pytest
from sqlmodel import Session

from community.database import Database
from community.settings import Settings
from rewards.journal import award
from rewards.levels import passport_level
from rewards.partners import (
    PartnerError,
    add_offer,
    add_partner,
    list_partners,
    offers_for,
    redeem,
    redemptions,
    set_offer_active,
)
from rewards.passport import (
    b64url,
    forget_member,
    issue_passport,
    passport_token,
    revoke_passport,
    unb64url,
)
from rewards.passport_models import Offer, Passport

from .members import make_member

PASSPORT_LEVEL = passport_level().number


def passport_for(session: Session, settings: Settings, points: int | None = None) -> Passport:
    member = make_member(session)
    result = award(
        session=session,
        settings=settings,
        member_id=member.id or 0,
        rule="manual",
        key=f"partners-test-{member.id}",
        points=points or passport_level().min_points,
        reason="test",
    )
    assert result.awarded, result.refused
    return issue_passport(session=session, settings=settings, member_id=member.id or 0)


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    with db.session() as opened:
        yield opened


@pytest.fixture
def cafe_offer(session: Session) -> Offer:
    cafe = add_partner(
        session=session, name="Kavinė Dzūkija", address="Rotušės a. 1", contact="+370 600 00000"
    )
    return add_offer(
        session=session,
        partner_id=cafe.id or 0,
        title_lt="Kava -20 %",
        title_en="Coffee 20% off",
        limit_per_member=2,
    )


def test_partners_and_offers_by_level(session: Session) -> None:
    shop = add_partner(session=session, name="Knygynas")
    low = add_offer(session=session, partner_id=shop.id or 0, title_lt="A", title_en="A")
    high = add_offer(
        session=session, partner_id=shop.id or 0, title_lt="B", title_en="B", min_level=5
    )
    ended = add_offer(session=session, partner_id=shop.id or 0, title_lt="C", title_en="C")
    set_offer_active(session=session, offer_id=ended.id or 0, active=False)

    assert [o.id for o, _ in offers_for(session=session, level=3)] == [low.id]
    assert [o.id for o, _ in offers_for(session=session, level=5)] == [low.id, high.id]
    assert [p.name for p in list_partners(session=session)] == ["Knygynas"]


def test_offers_need_a_partner_titles_and_a_sensible_limit(session: Session) -> None:
    shop = add_partner(session=session, name="Knygynas")
    with pytest.raises(PartnerError):
        add_offer(session=session, partner_id=999_999, title_lt="A", title_en="A")
    with pytest.raises(PartnerError):
        add_offer(session=session, partner_id=shop.id or 0, title_lt=" ", title_en="A")
    with pytest.raises(PartnerError):
        add_offer(
            session=session, partner_id=shop.id or 0, title_lt="A", title_en="A", limit_per_member=0
        )
    with pytest.raises(PartnerError):
        add_partner(session=session, name="  ")


def test_a_redemption_is_recorded_and_the_limit_holds(
    session: Session, settings: Settings, cafe_offer: Offer
) -> None:
    passport = passport_for(session, settings)
    token = passport_token(settings, passport)
    for _ in range(2):
        done = redeem(
            session=session, settings=settings, offer_id=cafe_offer.id or 0, token=token, by="Rasa"
        )
        assert done.ok, done.reason
        assert done.redemption and done.redemption.member_id == passport.member_id

    third = redeem(
        session=session, settings=settings, offer_id=cafe_offer.id or 0, token=token, by="Rasa"
    )
    assert not third.ok and third.refused == "limit"
    assert "2" in third.reason and third.reason_lt

    other = passport_for(session, settings)
    assert redeem(
        session=session,
        settings=settings,
        offer_id=cafe_offer.id or 0,
        token=passport_token(settings, other),
        by="Rasa",
    ).ok, "the limit is per member"
    assert len(redemptions(session, offer_id=cafe_offer.id)) == 3


def test_the_limit_follows_the_member_to_a_new_passport(
    session: Session, settings: Settings, cafe_offer: Offer
) -> None:
    passport = passport_for(session, settings)
    for _ in range(2):
        assert redeem(
            session=session,
            settings=settings,
            offer_id=cafe_offer.id or 0,
            token=passport_token(settings, passport),
            by="Rasa",
        ).ok
    revoke_passport(session=session, number=passport.number, reason="lost phone")
    renewed = issue_passport(session=session, settings=settings, member_id=passport.member_id or 0)
    again = redeem(
        session=session,
        settings=settings,
        offer_id=cafe_offer.id or 0,
        token=passport_token(settings, renewed),
        by="Rasa",
    )
    assert again.refused == "limit"


def test_bad_passports_are_refused_with_the_reason(
    session: Session, settings: Settings, cafe_offer: Offer
) -> None:
    passport = passport_for(session, settings)
    token = passport_token(settings, passport)
    offer_id = cafe_offer.id or 0

    encoded, signature = token.split(".")
    payload = json.loads(unb64url(encoded))
    payload["l"] = 5
    tampered = b64url(json.dumps(payload).encode()) + "." + signature
    forged = redeem(session=session, settings=settings, offer_id=offer_id, token=tampered, by="R")
    assert forged.refused == "invalid" and "signature" in forged.reason

    late = passport.expires_at + timedelta(days=1)
    expired = redeem(
        session=session, settings=settings, offer_id=offer_id, token=token, by="R", now=late
    )
    assert expired.refused == "expired" and "expired" in expired.reason

    revoke_passport(session=session, number=passport.number, reason="misuse")
    revoked = redeem(session=session, settings=settings, offer_id=offer_id, token=token, by="R")
    assert revoked.refused == "revoked" and "misuse" in revoked.reason
    assert redemptions(session) == []


def test_low_level_and_ended_offers_are_refused(session: Session, settings: Settings) -> None:
    shop = add_partner(session=session, name="Teatras")
    vip = add_offer(
        session=session,
        partner_id=shop.id or 0,
        title_lt="Bilietas",
        title_en="Ticket",
        min_level=PASSPORT_LEVEL + 1,
    )
    token = passport_token(settings, passport_for(session, settings))
    low = redeem(session=session, settings=settings, offer_id=vip.id or 0, token=token, by="R")
    assert low.refused == "level" and str(PASSPORT_LEVEL + 1) in low.reason

    set_offer_active(session=session, offer_id=vip.id or 0, active=False)
    ended = redeem(session=session, settings=settings, offer_id=vip.id or 0, token=token, by="R")
    assert ended.refused == "inactive"
    unknown = redeem(session=session, settings=settings, offer_id=999_999, token=token, by="R")
    assert unknown.refused == "unknown_offer"


def test_what_partners_see_of_a_redemption_has_no_personal_data(
    session: Session, settings: Settings, cafe_offer: Offer
) -> None:
    passport = passport_for(session, settings)
    member_id = passport.member_id
    token = passport_token(settings, passport)
    assert redeem(
        session=session, settings=settings, offer_id=cafe_offer.id or 0, token=token, by="Rasa"
    ).ok

    [record] = redemptions(session)
    shown = asdict(record)
    assert "member_id" not in shown and "member" not in shown
    assert shown["passport_number"] == passport.number
    assert shown["partner"] == "Kavinė Dzūkija" and shown["redeemed_by"] == "Rasa"
    assert set(shown) == {
        "id",
        "offer_id",
        "partner",
        "offer_title_lt",
        "offer_title_en",
        "passport_number",
        "redeemed_at",
        "redeemed_by",
    }

    forget_member(session, member_id or 0)
    session.expire_all()
    assert len(redemptions(session)) == 1, "erasure keeps the partner's count"
