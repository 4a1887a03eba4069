"""The members screen as a moderator uses it: find a member, read their consent history and
rewards, export their data, erase them after typing their id; and who may not."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlmodel import select

from admin.models import AuditEntry
from bots.member_data import export_everything
from community.database import Database
from community.members import ensure_referral_code, record_consent
from community.models import Member
from community.profile import ConsentPurpose
from community.settings import Settings
from rewards.journal import award
from rewards.partners import add_partner
from tests.admin.console import StaffBrowser
from tests.community.test_feed import add_member

Login = Callable[..., StaffBrowser]


@pytest.fixture
def oslo(db: Database, settings: Settings) -> Member:
    """A member in Oslo on Telegram who later withdrew consent to news, with 1 reward."""
    with db.session() as session:
        member = add_member(session, user="tg-oslo-77", country="NO", relation="emigrant")
        member.city = "Oslo"
        ensure_referral_code(session=session, member=member)
        assert member.id is not None
        record_consent(
            session=session,
            member_id=member.id,
            purpose=ConsentPurpose.NEWS,
            granted=False,
            notice_version="2026-12",
            source="privacy",
        )
        award(
            session=session,
            settings=settings,
            member_id=member.id,
            rule="onboarding.complete",
            key=str(member.id),
        )
        session.expunge(member)
    return member


@pytest.fixture
def others(db: Database) -> list[Member]:
    with db.session() as session:
        found = [
            add_member(session, user="tg-dublin", country="IE", relation="emigrant"),
            add_member(
                session, user="web-local", platform="web", country="LT", relation="resident"
            ),
        ]
        session.expunge_all()
    return found


def test_a_moderator_finds_a_member_by_platform_user_id_city_code_and_country(
    staff_as: Login, oslo: Member, others: list[Member]
):
    moderator = staff_as("moderator")
    for query in ("tg-oslo-77", "oslo", oslo.referral_code, "no", str(oslo.id)):
        page = moderator.get("/admin/members", params={"q": query})
        assert page.status_code == 200, page.text
        assert f'href="/admin/members/{oslo.id}"' in page.text, query
        assert f'href="/admin/members/{others[0].id}"' not in page.text, query
    residents = moderator.get("/admin/members", params={"q": "resident"}).text
    assert f'href="/admin/members/{others[1].id}"' in residents
    assert f'href="/admin/members/{oslo.id}"' not in residents
    everyone = moderator.get("/admin/members").text
    assert all(f'href="/admin/members/{m.id}"' in everyone for m in [oslo, *others])
    assert "3 members" in everyone


def test_the_profile_shows_channels_consent_history_and_rewards(staff_as: Login, oslo: Member):
    page = staff_as("moderator").get(f"/admin/members/{oslo.id}")
    assert page.status_code == 200
    text = page.text
    assert "Oslo" in text and "emigrant" in text and "tg-oslo-77" in text and "reachable" in text
    history = text[text.index('class="consent-history"') :]
    assert history.count("<tr>") == 4  # header + membership, news granted, news withdrawn
    assert "withdrawn" in history and "2026-12" in history and "privacy" in history
    assert "news: no" in text and "membership: yes" in text
    assert "points" in text


def test_export_downloads_the_members_data_as_json_and_is_audited_without_it(
    db: Database, staff_as: Login, oslo: Member
):
    moderator = staff_as("moderator")
    response = moderator.post(f"/admin/members/{oslo.id}/export")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["content-disposition"].startswith("attachment;")
    assert f"alytus-member-{oslo.id}.json" in response.headers["content-disposition"]
    data = json.loads(response.content)
    assert data["profile"]["id"] == oslo.id and data["profile"]["city"] == "Oslo"
    assert data["channels"] == [
        {"platform": "telegram", "user_id": "tg-oslo-77", "since": data["channels"][0]["since"]}
    ]
    assert [c["granted"] for c in data["consent_history"] if c["purpose"] == "news"] == [
        True,
        False,
    ]
    assert data["rewards"]
    with db.session() as session:
        line = session.exec(select(AuditEntry).where(AuditEntry.action == "member.export")).one()
    assert line.target == str(oslo.id) and line.staff_email == "moderator@alytus.test"
    logged = json.dumps([line.before, line.after])
    assert "Oslo" not in logged and "tg-oslo-77" not in logged


def test_erasure_needs_the_typed_member_id(db: Database, staff_as: Login, oslo: Member):
    moderator = staff_as("moderator")
    form = moderator.get(f"/admin/members/{oslo.id}/erase")
    assert form.status_code == 200 and 'name="confirm"' in form.text
    assert "data-confirm=" in form.text
    for wrong in ("", "yes", str(oslo.id + 1)):
        refused = moderator.post(f"/admin/members/{oslo.id}/erase", {"confirm": wrong})
        assert refused.status_code == 400 and "nothing was erased" in refused.text
    with db.session() as session:
        member = session.get(Member, oslo.id)
        assert member is not None and member.erased_at is None and member.city == "Oslo"
        assert not session.exec(select(AuditEntry)).all()


def test_an_erased_member_is_gone_from_search_and_the_audit_says_what_went(
    db: Database, staff_as: Login, oslo: Member
):
    moderator = staff_as("moderator")
    done = moderator.post(f"/admin/members/{oslo.id}/erase", {"confirm": str(oslo.id)})
    assert done.status_code == 303 and done.headers["location"] == "/admin/members"
    assert f"Member {oslo.id} erased" in moderator.get("/admin/members").text
    with db.session() as session:
        member = session.get(Member, oslo.id)
        assert member is not None and member.erased_at is not None
        exported = export_everything(session=session, member=member)
        line = session.exec(select(AuditEntry).where(AuditEntry.action == "member.erase")).one()
    assert exported["channels"] == [] and exported["profile"]["city"] is None
    assert (
        exported["profile"]["country"] is None and exported["profile"]["consents"]["news"] is False
    )
    assert line.target == str(oslo.id) and line.staff_email and line.at
    # the audit line says what kinds of data went, not what they held (before, it copied
    # the profile into `before`: the erased country, relation, interests)
    assert line.before is None
    assert "channel:telegram" in line.after["removed"] and "country" in line.after["removed"]
    held = json.dumps(line.after)
    assert not [value for value in ("NO", "Oslo", "tg-oslo-77", "emigrant") if value in held]
    for query in ("tg-oslo-77", "oslo", "no", str(oslo.id)):
        page = moderator.get("/admin/members", params={"q": query})
        assert f'href="/admin/members/{oslo.id}"' not in page.text, query
    assert moderator.get(f"/admin/members/{oslo.id}").status_code == 404
    assert moderator.post(f"/admin/members/{oslo.id}/export").status_code == 404


def test_editors_and_partners_cannot_open_members(db: Database, staff_as: Login, oslo: Member):
    editor = staff_as("editor")
    assert editor.get("/admin/members").status_code == 403
    assert editor.get(f"/admin/members/{oslo.id}").status_code == 403
    assert editor.post(f"/admin/members/{oslo.id}/export").status_code == 403
    assert editor.api("GET", "/admin/api/members").status_code == 403
    with db.session() as session:
        cafe = add_partner(session=session, name="Kavinė")
    partner = staff_as("partner", partner_id=cafe.id)
    assert partner.get(f"/admin/members/{oslo.id}").status_code == 403


def test_an_export_or_erasure_without_the_csrf_token_is_refused(staff_as: Login, oslo: Member):
    moderator = staff_as("moderator")
    bare = moderator.client.post(
        f"/admin/members/{oslo.id}/erase", data={"confirm": str(oslo.id)}, follow_redirects=False
    )
    assert bare.status_code == 403
    assert moderator.client.post(f"/admin/members/{oslo.id}/export").status_code == 403
    assert moderator.get(f"/admin/members/{oslo.id}").status_code == 200


def test_the_api_lists_platforms_not_platform_user_ids(
    staff_as: Login, oslo: Member, others: list[Member]
):
    moderator = staff_as("moderator")
    listed = moderator.api("GET", "/admin/api/members", params={"q": "NO", "limit": 5})
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()] == [oslo.id]
    row = listed.json()[0]
    assert row["channels"] == ["telegram"] and row["country"] == "NO" and row["joined"]
    assert "tg-oslo-77" not in listed.text
    everyone = moderator.api("GET", "/admin/api/members", params={"limit": 2}).json()
    assert len(everyone) == 2
    profile = moderator.api("GET", f"/admin/api/members/{oslo.id}")
    assert profile.status_code == 200
    found = profile.json()
    assert found["city"] == "Oslo" and found["rewards"]["points"] > 0
    assert found["channels"] == [
        {"platform": "telegram", "reachable": True, "since": found["channels"][0]["since"]}
    ]
    assert [c["source"] for c in found["consent_history"]][-1] == "privacy"


@pytest.mark.parametrize(
    "path",
    [
        "/admin/api/members/99999999999999999999999",
        "/admin/api/members/0",
        "/admin/api/members/abc",
        "/admin/api/members?limit=0",
        "/admin/api/members?limit=100000000000000000000",
        "/admin/api/members?q=" + "x" * 201,
    ],
)
def test_bad_api_input_is_a_client_error(staff_as: Login, path: str):
    response = staff_as("moderator").api("GET", path)
    assert 400 <= response.status_code < 500, response.text


def test_the_api_answers_404_for_a_missing_or_erased_member(staff_as: Login, oslo: Member):
    moderator = staff_as("moderator")
    assert moderator.api("GET", "/admin/api/members/2147483647").status_code == 404
    moderator.post(f"/admin/members/{oslo.id}/erase", {"confirm": str(oslo.id)})
    gone = moderator.api("GET", f"/admin/api/members/{oslo.id}")
    assert gone.status_code == 404 and gone.json()["detail"]


def test_the_api_wants_a_login(anonymous: StaffBrowser):
    response = anonymous.get("/admin/api/members")
    assert response.status_code == 401 and response.json()["detail"]


def test_a_search_with_like_wildcards_matches_them_literally(
    staff_as: Login, oslo: Member, others: list[Member]
):
    page = staff_as("moderator").get("/admin/members", params={"q": "%"})
    assert page.status_code == 200 and "0 members match" in page.text
