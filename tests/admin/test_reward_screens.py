"""The rewards area as an admin uses it: manual awards, rules, passports, partners, the ledger."""

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import col, select

from admin.models import AuditEntry
from admin.web import create_app
from bots.engine import Engine
from community.database import Database
from community.models import Member
from community.settings import Settings
from rewards.journal import award, balance_of
from rewards.passport_models import Offer, Partner
from rewards.rules import CHECKIN
from tests.admin.console import StaffBrowser, add_staff
from tests.ledger.anvil_node import ANVIL_KEY
from tests.rewards.members import make_member

StaffAs = Callable[..., StaffBrowser]
NewMember = Callable[..., int]


@pytest.fixture
def new_member(db: Database, settings: Settings) -> Callable[..., int]:
    """A member who agreed to on-chain rewards, with `points` already (a setup award)."""

    def make(*, points: int = 0) -> int:
        return member_with(db, settings, points)

    return make


def member_with(db: Database, settings: Settings, points: int) -> int:
    with db.session() as session:
        member = make_member(session)
        assert member.id is not None
        if points:
            award(
                session=session,
                settings=settings,
                member_id=member.id,
                rule="manual",
                key=f"setup:{member.id}",
                points=points,
                reason="setup",
            )
        return member.id


def balance(db: Database, member_id: int) -> int:
    with db.session() as session:
        return balance_of(session=session, member_id=member_id)


def audit_lines(db: Database, action: str) -> list[AuditEntry]:
    with db.session() as session:
        query = select(AuditEntry).where(AuditEntry.action == action)
        return list(session.exec(query.order_by(col(AuditEntry.id))))


def flash_of(browser: StaffBrowser, path: str) -> str:
    page = browser.get(path)
    found = re.findall(r'class="notice notice-\w+" role="\w+">([^<]*)<', page.text)
    return " | ".join(found)


# ---- manual awards ---------------------------------------------------------------------------


def test_a_manual_award_with_a_reason_raises_the_balance_and_is_audited(
    staff_as: StaffAs, db: Database, new_member: NewMember
):
    admin = staff_as("admin")
    member = new_member(points=40)
    done = admin.post(
        "/admin/rewards/awards",
        {"member_id": str(member), "points": "60", "reason": "Volunteered at the festival"},
    )
    assert done.status_code == 303
    assert balance(db, member) == 100
    assert "Recorded +60 points" in flash_of(admin, "/admin/rewards")
    [line] = audit_lines(db, "reward.award")
    assert line.staff_email == "admin@alytus.test" and line.target == f"member:{member}"
    assert line.before == {"points": 40}
    assert line.after is not None and line.after["points"] == 100
    assert line.after["reason"] == "Volunteered at the festival"


def test_a_negative_award_corrects_a_mistake(
    staff_as: StaffAs, db: Database, new_member: NewMember
):
    admin = staff_as("admin")
    member = new_member(points=90)
    admin.post(
        "/admin/rewards/awards",
        {"member_id": str(member), "points": "-30", "reason": "counted twice"},
    )
    assert balance(db, member) == 60


def test_an_award_without_a_reason_is_refused_with_a_message(
    staff_as: StaffAs, db: Database, new_member: NewMember
):
    admin = staff_as("admin")
    member = new_member(points=40)
    refused = admin.post(
        "/admin/rewards/awards", {"member_id": str(member), "points": "60", "reason": "  "}
    )
    assert refused.status_code == 422
    assert "A manual award needs a reason." in refused.text
    assert f'value="{member}"' in refused.text  # what was typed stays in the form
    assert balance(db, member) == 40
    assert audit_lines(db, "reward.award") == []


@pytest.mark.parametrize(
    ("member_id", "points", "message", "status"),
    [
        ("999999", "10", "no member with that id", 404),
        ("abc", "10", "Member id must be a whole number", 422),
        ("1", "0", "Points must not be 0", 422),
    ],
)
def test_bad_awards_say_what_is_wrong(
    staff_as: StaffAs, member_id: str, points: str, message: str, status: int
):
    admin = staff_as("admin")
    refused = admin.post(
        "/admin/rewards/awards", {"member_id": member_id, "points": points, "reason": "why"}
    )
    assert refused.status_code == status and message in refused.text


# ---- rules -------------------------------------------------------------------------------------


def test_a_rule_change_takes_effect_on_the_next_award(
    staff_as: StaffAs, db: Database, new_member: NewMember
):
    admin = staff_as("admin")
    member = new_member()
    saved = admin.post("/admin/rewards/rules/manual", {"cap_total": "1", "active": "on"})
    assert saved.status_code == 303
    first = admin.post(
        "/admin/rewards/awards", {"member_id": str(member), "points": "5", "reason": "first"}
    )
    second = admin.post(
        "/admin/rewards/awards", {"member_id": str(member), "points": "5", "reason": "second"}
    )
    assert first.status_code == 303
    assert second.status_code == 422 and "total cap for this member is reached" in second.text
    assert balance(db, member) == 5
    [line] = audit_lines(db, "reward.rule")
    assert line.target == "manual"
    assert line.before is not None and line.before["cap_total"] is None
    assert line.after is not None and line.after["cap_total"] == 1


def test_new_points_for_a_rule_apply_to_the_next_award(
    staff_as: StaffAs, db: Database, settings: Settings, new_member: NewMember
):
    admin = staff_as("admin")
    member = new_member()
    admin.post(
        "/admin/rewards/rules/event.checkin", {"points": "75", "cap_day": "3", "active": "on"}
    )
    with db.session() as session:
        result = award(
            session=session, settings=settings, member_id=member, rule=CHECKIN, key=f"fest:{member}"
        )
    assert result.event is not None and result.event.points == 75
    page = admin.get("/admin/rewards")
    assert 'value="75"' in page.text


def test_switching_a_rule_off_stops_awards_and_a_bad_number_is_refused(
    staff_as: StaffAs, db: Database, new_member: NewMember
):
    admin = staff_as("admin")
    member = new_member()
    admin.post("/admin/rewards/rules/manual", {"cap_day": "", "cap_total": ""})  # unchecked
    refused = admin.post(
        "/admin/rewards/awards", {"member_id": str(member), "points": "5", "reason": "x"}
    )
    assert "manual rule is switched off" in refused.text
    bad = admin.post("/admin/rewards/rules/event.checkin", {"points": "-4", "active": "on"})
    assert bad.status_code == 422 and "Points must be between 0 and" in bad.text


# ---- passports -------------------------------------------------------------------------------


def test_issuing_a_passport_is_refused_below_level_3_and_works_above(
    staff_as: StaffAs, db: Database, new_member: NewMember
):
    admin = staff_as("admin")
    low, high = new_member(points=120), new_member(points=300)
    refused = admin.post("/admin/rewards/passports", {"member_id": str(low)})
    assert refused.status_code == 422
    assert "Not issued: level 2 (Neighbour) does not carry the Alytus Passport" in refused.text
    issued = admin.post("/admin/rewards/passports", {"member_id": str(high)})
    assert issued.status_code == 303
    message = flash_of(admin, "/admin/rewards/passports")
    number = re.search(r"Passport (\w{4}-\w{4}) issued to member", message)
    assert number, message
    again = admin.post("/admin/rewards/passports", {"member_id": str(high)})
    assert again.status_code == 303
    assert f"already holds passport {number.group(1)}" in flash_of(admin, "/admin/rewards")
    [line] = audit_lines(db, "passport.issue")  # the second request issued nothing
    assert line.target == f"passport:{number.group(1)}" and line.after is not None
    assert line.after["member_id"] == high and line.after["level"] == 3
    assert number.group(1) in admin.get("/admin/rewards/passports").text


def test_revoking_a_passport_needs_a_reason_and_is_audited(
    staff_as: StaffAs, db: Database, new_member: NewMember
):
    admin = staff_as("admin")
    member = new_member(points=300)
    admin.post("/admin/rewards/passports", {"member_id": str(member)})
    number = re.search(r"Passport (\S+) issued", flash_of(admin, "/admin/rewards")).group(1)  # type: ignore[union-attr]
    unexplained = admin.post(f"/admin/rewards/passports/{number}/revoke", {"reason": " "})
    assert unexplained.status_code == 422 and "Say why" in unexplained.text
    revoked = admin.post(f"/admin/rewards/passports/{number}/revoke", {"reason": "lost phone"})
    assert revoked.status_code == 303
    page = admin.get("/admin/rewards/passports").text
    assert "revoked" in page and "lost phone" in page
    [line] = audit_lines(db, "passport.revoke")
    assert line.before == {"revoked_at": None} and line.after["reason"] == "lost phone"  # type: ignore[index]
    unknown = admin.post("/admin/rewards/passports/ZZZZ-ZZZZ/revoke", {"reason": "x"})
    assert unknown.status_code == 404


# ---- partners and offers ---------------------------------------------------------------------


def test_an_admin_adds_a_partner_and_an_offer_and_pauses_it(staff_as: StaffAs, db: Database):
    admin = staff_as("admin")
    added = admin.post(
        "/admin/rewards/partners", {"name": "Kepykla Duona", "address": "Pulko g. 3"}
    )
    assert added.status_code == 303
    with db.session() as session:
        partner = session.exec(select(Partner).where(Partner.name == "Kepykla Duona")).one()
    offer_added = admin.post(
        f"/admin/rewards/partners/{partner.id}/offers",
        {"title_lt": "Bandelė dovanų", "title_en": "A free bun", "min_level": "3", "limit": "2"},
    )
    assert offer_added.status_code == 303
    with db.session() as session:
        offer = session.exec(select(Offer).where(Offer.partner_id == partner.id)).one()
    assert (offer.min_level, offer.limit_per_member, offer.active) == (3, 2, True)
    paused = admin.post(f"/admin/rewards/offers/{offer.id}/active", {"active": "no"})
    assert paused.status_code == 303
    with db.session() as session:
        assert session.get(Offer, offer.id).active is False  # type: ignore[union-attr]
    page = admin.get("/admin/rewards/partners").text
    assert "Kepykla Duona" in page and "Bandelė dovanų" in page and "paused" in page
    assert [e.target for e in audit_lines(db, "partner.add")] == [f"partner:{partner.id}"]
    assert [e.target for e in audit_lines(db, "offer.add")] == [f"offer:{offer.id}"]
    [switch] = audit_lines(db, "offer.active")
    assert (switch.before, switch.after) == ({"active": True}, {"active": False})


def test_a_partner_without_a_name_or_an_offer_with_a_bad_limit_is_refused(staff_as: StaffAs):
    admin = staff_as("admin")
    nameless = admin.post("/admin/rewards/partners", {"name": "  "})
    assert nameless.status_code == 422 and "a partner needs a name" in nameless.text
    missing = admin.post(
        "/admin/rewards/partners/999999/offers", {"title_lt": "a", "title_en": "b"}
    )
    assert missing.status_code == 422 and "no partner 999999" in missing.text


# ---- the ledger --------------------------------------------------------------------------------


def numbers_in(report_html: str) -> dict[str, int]:
    """The verify report's figures, by their label."""
    pairs = re.findall(r"<b>(\d+)</b><span>([^<]+)</span>", report_html)
    return {label: int(value) for value, label in pairs}


def test_verify_shows_what_the_chain_lacks_until_sync_records_it(
    staff_as: StaffAs, db: Database, new_member: NewMember
):
    admin = staff_as("admin")
    member = new_member()
    admin.post(
        "/admin/rewards/awards", {"member_id": str(member), "points": "25", "reason": "helped"}
    )
    status = admin.get("/admin/rewards/ledger").text
    assert re.search(r'id="ledger-pending">1<', status)

    before = admin.post("/admin/rewards/ledger/verify")
    assert before.status_code == 200 and 'id="verify-report"' in before.text
    report = before.text.split('id="verify-report"', 1)[1]
    figures = numbers_in(report)
    assert figures["in the journal"] == 1 and figures["missing on chain"] == 1
    assert "manual:admin-" in report and "differences found" in report

    synced = admin.post("/admin/rewards/ledger/sync")
    assert synced.status_code == 303
    assert "recorded 1 rewards" in flash_of(admin, "/admin/rewards/ledger")
    after = admin.post("/admin/rewards/ledger/verify").text
    figures = numbers_in(after.split('id="verify-report"', 1)[1])
    assert figures["recorded as given"] == 1 and figures["missing on chain"] == 0
    assert "journal and chain agree" in after
    assert re.search(r'id="ledger-recorded">1<', after)
    [line] = audit_lines(db, "ledger.sync")
    assert line.after is not None and line.after["recorded"] == 1


def test_verify_says_so_when_the_chain_cannot_be_reached(
    settings: Settings, engine: Engine, db: Database
):
    down = settings.model_copy(
        update={"chain_url": "http://127.0.0.1:9", "chain_private_key": SecretStr(ANVIL_KEY)}
    )
    app = create_app(down, engine=engine)
    admin = StaffBrowser(TestClient(app, base_url="https://testserver"))
    assert admin.login(add_staff(db, "admin")).status_code == 303
    page = admin.post("/admin/rewards/ledger/verify")
    assert page.status_code == 200
    assert "The chain cannot be reached, so nothing was checked" in page.text
    synced = admin.post("/admin/rewards/ledger/sync")
    assert synced.status_code == 303
    assert "chain unreachable" in flash_of(admin, "/admin/rewards/ledger")


# ---- who may come in -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["editor", "moderator"])  # partners: test_desk_screens
def test_only_admins_open_the_rewards_area(staff_as: StaffAs, role: str):
    browser = staff_as(role)
    assert browser.get("/admin/rewards").status_code == 403
    assert browser.post("/admin/rewards/awards", {"member_id": "1"}).status_code == 403
    assert browser.api("GET", "/admin/api/rewards/rules").status_code == 403


# ---- the JSON API --------------------------------------------------------------------------------


def test_the_api_lists_rules_and_records_an_award(
    staff_as: StaffAs, db: Database, new_member: NewMember
):
    admin = staff_as("admin")
    member = new_member()
    rules = admin.api("GET", "/admin/api/rewards/rules").json()
    assert {"code": "manual", "points": None}.items() <= next(
        r for r in rules if r["code"] == "manual"
    ).items()
    given = admin.api(
        "POST",
        "/admin/api/rewards/awards",
        json={"member_id": member, "points": 30, "reason": "api"},
    )
    assert given.status_code == 201, given.text
    assert given.json()["awarded"] is True and given.json()["balance"] == 30
    status = admin.api("GET", "/admin/api/ledger/status").json()
    assert status["pending"] == 1 and status["last_batch"] is None


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"member_id": 999999, "points": 5, "reason": "x"}, 404),
        ({"member_id": 1, "points": 5, "reason": "   "}, 422),
        ({"member_id": 1, "points": 5, "reason": "a\x00b"}, 400),
        ({"member_id": 1, "points": 0, "reason": "x"}, 422),
        ({"member_id": 2**40, "points": 5, "reason": "x"}, 422),
        ({"member_id": 1, "points": 10**30, "reason": "x"}, 422),
        ({"member_id": 1, "points": 5}, 422),
    ],
)
def test_the_award_api_refuses_bad_input_without_a_500(staff_as: StaffAs, body: dict, status: int):
    admin = staff_as("admin")
    assert admin.api("POST", "/admin/api/rewards/awards", json=body).status_code == status


def test_the_award_api_reports_a_refusal_by_the_rule(
    staff_as: StaffAs, db: Database, new_member: NewMember
):
    admin = staff_as("admin")
    member = new_member()
    admin.post("/admin/rewards/rules/manual", {})  # switched off
    refused = admin.api(
        "POST", "/admin/api/rewards/awards", json={"member_id": member, "points": 5, "reason": "x"}
    )
    assert refused.status_code == 409
    assert refused.json()["refused"] == "inactive" and refused.json()["balance"] == 0
    with db.session() as session:
        assert session.get(Member, member) is not None
