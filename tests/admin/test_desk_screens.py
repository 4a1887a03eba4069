"""The passport desk as a partner's cashier uses it: check a passport, redeem an offer."""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlmodel import col, select

from admin.models import AuditEntry
from community.database import Database
from community.models import ChannelIdentity
from community.settings import Settings
from rewards.journal import award
from rewards.partners import add_offer, add_partner
from rewards.passport import issue_passport, passport_token, revoke_passport
from rewards.passport_models import Redemption
from tests.admin.console import StaffBrowser
from tests.rewards.members import make_member

StaffAs = Callable[..., StaffBrowser]


@dataclass
class Shop:
    """Two partners, a passport holder at level 3, and the passport's token."""

    cafe: int
    coffee: int  # the cafe's offer: once per member, from level 3
    dinner: int  # the cafe's offer for level 4 and up
    gym: int
    gym_month: int  # the other partner's offer
    number: str
    token: str
    member_id: int


@pytest.fixture
def shop(db: Database, settings: Settings) -> Shop:
    with db.session() as session:
        cafe = add_partner(session=session, name="Kavinė Testas")
        gym = add_partner(session=session, name="Sporto klubas Testas")
        assert cafe.id is not None and gym.id is not None
        coffee = add_offer(
            session=session,
            partner_id=cafe.id,
            title_lt="Kava dovanų",
            title_en="A free coffee",
            min_level=3,
            limit_per_member=1,
        )
        dinner = add_offer(
            session=session,
            partner_id=cafe.id,
            title_lt="Vakarienė dviem",
            title_en="Dinner for two",
            min_level=4,
        )
        month = add_offer(
            session=session,
            partner_id=gym.id,
            title_lt="Mėnuo nemokamai",
            title_en="A free month",
            min_level=3,
        )
        member = make_member(session, platform=None)
        assert member.id is not None
        member.city = "Trondheimas-7731"
        session.add(member)
        session.add(
            ChannelIdentity(member_id=member.id, platform="telegram", platform_user_id="tg-884422")
        )
        award(
            session=session,
            settings=settings,
            member_id=member.id,
            rule="manual",
            key=f"setup:{member.id}",
            points=300,
            reason="setup",
        )
        passport = issue_passport(session=session, settings=settings, member_id=member.id)
        token = passport_token(settings, passport)
        return Shop(
            cafe=cafe.id,
            coffee=coffee.id or 0,
            dinner=dinner.id or 0,
            gym=gym.id,
            gym_month=month.id or 0,
            number=passport.number,
            token=token,
            member_id=member.id,
        )


@pytest.fixture
def cashier(staff_as: StaffAs, shop: Shop) -> StaffBrowser:
    return staff_as("partner", email="till@kavine.test", partner_id=shop.cafe)


def redemptions_of(db: Database, offer_id: int) -> list[Redemption]:
    with db.session() as session:
        return list(session.exec(select(Redemption).where(Redemption.offer_id == offer_id)))


def notices(page: str) -> str:
    return " | ".join(re.findall(r'class="notice notice-\w+" role="\w+">([^<]*)<', page))


def test_a_cashier_checks_a_valid_passport_and_sees_only_their_offers(
    cashier: StaffBrowser, shop: Shop
):
    page = cashier.post("/admin/desk/check", {"passport": shop.token})
    assert page.status_code == 200
    assert 'data-status="valid"' in page.text
    assert re.search(rf'id="verdict-number"[^>]*>{shop.number}<', page.text)
    assert re.search(r'id="verdict-level"[^>]*>3<', page.text)
    assert "Kava dovanų" in page.text  # the cafe's offer for level 3
    assert "Vakarienė dviem — needs level 4" in page.text
    assert "Mėnuo nemokamai" not in page.text  # the gym's offer is not the cafe's to give
    # what the desk never shows: who holds the passport
    for private in ("Trondheimas-7731", "tg-884422", f"member {shop.member_id}"):
        assert private not in page.text


@pytest.mark.parametrize(
    "entered",
    [
        "https://connect.alytus.test/passport/verify#t={token}",
        "{number}",
        " {plain} ",  # typed without the dash, in lower case
    ],
)
def test_the_verify_link_or_the_number_work_as_well_as_the_token(
    cashier: StaffBrowser, shop: Shop, entered: str
):
    text = entered.format(
        token=shop.token, number=shop.number, plain=shop.number.replace("-", "").lower()
    )
    page = cashier.post("/admin/desk/check", {"passport": text})
    assert 'data-status="valid"' in page.text and shop.number in page.text


@pytest.mark.parametrize("garbage", ["hello", "abc.def", "ZZZZ-ZZZZ", "x" * 1900])
def test_garbage_is_an_invalid_passport_not_an_error(cashier: StaffBrowser, garbage: str):
    page = cashier.post("/admin/desk/check", {"passport": garbage})
    assert page.status_code == 200 and 'data-status="invalid"' in page.text
    assert "Redeem</button>" not in page.text


def test_a_cashier_records_a_redemption_and_the_limit_per_member_holds(
    cashier: StaffBrowser, shop: Shop, db: Database
):
    first = cashier.post("/admin/desk/redeem", {"offer_id": shop.coffee, "passport": shop.token})
    assert first.status_code == 303
    desk = cashier.get("/admin/desk").text
    assert f"Passport {shop.number}: redeemed: A free coffee." in notices(desk)
    assert shop.number in desk.split("Recent redemptions", 1)[1]  # listed below
    [redemption] = redemptions_of(db, shop.coffee)
    assert redemption.redeemed_by == "till@kavine.test"

    again = cashier.post("/admin/desk/redeem", {"offer_id": shop.coffee, "passport": shop.number})
    assert again.status_code == 303
    assert "already used 1 time(s)" in notices(cashier.get("/admin/desk").text)
    assert len(redemptions_of(db, shop.coffee)) == 1

    with db.session() as session:
        [line] = session.exec(
            select(AuditEntry)
            .where(AuditEntry.action == "desk.redeem")
            .order_by(col(AuditEntry.id))
        ).all()
    assert line.staff_email == "till@kavine.test" and line.target == f"offer:{shop.coffee}"
    assert line.after == {
        "redemption": redemption.id,
        "passport": shop.number,
        "offer": "A free coffee",
    }


def test_a_passport_below_the_offers_level_is_refused(
    cashier: StaffBrowser, shop: Shop, db: Database
):
    refused = cashier.post("/admin/desk/redeem", {"offer_id": shop.dinner, "passport": shop.token})
    assert refused.status_code == 303
    assert "the offer needs level 4, the passport is level 3" in notices(
        cashier.get("/admin/desk").text
    )
    assert redemptions_of(db, shop.dinner) == []


def test_a_cashier_cannot_redeem_another_partners_offer(
    cashier: StaffBrowser, shop: Shop, db: Database
):
    refused = cashier.post(
        "/admin/desk/redeem", {"offer_id": shop.gym_month, "passport": shop.token}
    )
    assert refused.status_code == 403 and "belongs to another partner" in refused.text
    assert redemptions_of(db, shop.gym_month) == []


def test_the_gyms_redemptions_are_not_shown_at_the_cafe(
    staff_as: StaffAs, cashier: StaffBrowser, shop: Shop
):
    gym = staff_as("partner", email="desk@gym.test", partner_id=shop.gym)
    gym.post("/admin/desk/redeem", {"offer_id": shop.gym_month, "passport": shop.token})
    assert "Mėnuo nemokamai" in gym.get("/admin/desk").text
    assert "Mėnuo nemokamai" not in cashier.get("/admin/desk").text


def test_a_revoked_passport_is_refused_at_the_desk(
    staff_as: StaffAs, cashier: StaffBrowser, shop: Shop, db: Database
):
    admin = staff_as("admin")
    revoked = admin.post(f"/admin/rewards/passports/{shop.number}/revoke", {"reason": "stolen"})
    assert revoked.status_code == 303
    page = cashier.post("/admin/desk/check", {"passport": shop.token})
    assert 'data-status="revoked"' in page.text and "stolen" in page.text
    assert "Redeem</button>" not in page.text
    cashier.post("/admin/desk/redeem", {"offer_id": shop.coffee, "passport": shop.token})
    assert "passport revoked" in notices(cashier.get("/admin/desk").text)
    assert redemptions_of(db, shop.coffee) == []


@pytest.mark.parametrize("path", ["/admin/rewards", "/admin/members", "/admin/rewards/ledger"])
def test_a_partner_is_refused_the_rest_of_the_admin(cashier: StaffBrowser, path: str):
    assert cashier.get(path).status_code == 403


def test_an_admin_at_the_desk_sees_every_partners_offers(staff_as: StaffAs, shop: Shop):
    admin = staff_as("admin")
    page = admin.post("/admin/desk/check", {"passport": shop.token}).text
    assert "Kava dovanų" in page and "Mėnuo nemokamai" in page


# ---- the JSON API ------------------------------------------------------------------------------


def test_the_check_api_gives_the_verdict_and_the_offers_it_opens(
    cashier: StaffBrowser, shop: Shop, db: Database, settings: Settings
):
    answer = cashier.api("POST", "/admin/api/desk/check", json={"token": shop.token})
    assert answer.status_code == 200
    body = answer.json()
    assert (body["status"], body["valid"], body["number"], body["level"]) == (
        "valid",
        True,
        shop.number,
        3,
    )
    assert [offer["id"] for offer in body["offers"]] == [shop.coffee]
    with db.session() as session:
        revoke_passport(session=session, number=shop.number, reason="lost")
    body = cashier.api("POST", "/admin/api/desk/check", json={"token": shop.number}).json()
    assert (body["status"], body["offers"]) == ("revoked", [])


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"token": "garbage"}, 200),
        ({"token": "\ud800.\x00"}, 400),  # a lone surrogate and a NUL: admin/text_guard.py
        ({"token": "a" * 5000}, 422),
        ({"token": ""}, 422),
        ({}, 422),
    ],
)
def test_the_check_api_never_fails_on_garbage(cashier: StaffBrowser, body: dict, status: int):
    answer = cashier.api(
        "POST",
        "/admin/api/desk/check",
        content=json.dumps(body),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == status
    if status == 200:
        assert answer.json()["status"] == "invalid"


def test_editors_cannot_use_the_desk(staff_as: StaffAs):
    editor = staff_as("editor")
    assert editor.get("/admin/desk").status_code == 403
    assert editor.api("POST", "/admin/api/desk/check", json={"token": "x"}).status_code == 403
