"""Group suggestions as staff use them: the list with evidence, dismiss, add as prospect (with
an audit line each), the JSON API with its status filter, and who may open it."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import select

from admin.models import AuditEntry
from community.database import Database
from community.models import GroupSuggestion, Prospect
from community.suggestions import GroupMessage, note_group_message
from tests.admin.console import StaffBrowser

ALYTUS = "Labas! Aš iš Alytaus, baigiau Jotvingių gimnaziją, dabar gyvenu Osle."
DUBLIN = "I grew up in Alytus, Dainava district, now in Dublin."


def suggest(db: Database, text: str, message_id: str, handle: str | None = "ona_osle") -> int:
    with db.session() as session:
        kept = note_group_message(
            session,
            GroupMessage(
                platform="telegram",
                chat_id="-100123",
                chat_title="Lietuviai Norvegijoje",
                message_id=message_id,
                author_id=f"9{message_id}",
                author_name="Ona Petraitė",
                author_handle=handle,
                text=text,
            ),
        )
        assert kept is not None and kept.id is not None
        return kept.id


def audit(db: Database, action: str) -> list[AuditEntry]:
    with db.session() as session:
        found = list(session.exec(select(AuditEntry).where(AuditEntry.action == action)))
        for entry in found:
            session.expunge(entry)
        return found


def test_editors_see_suggestions_with_evidence_and_moderators_cannot(
    db: Database, staff_as: Callable[..., StaffBrowser]
):
    suggest(db, ALYTUS, "1")
    page = staff_as("editor").get("/admin/suggestions")
    assert page.status_code == 200
    assert "Lietuviai Norvegijoje" in page.text and "Jotvingių gimnazija" in page.text
    assert "Add as prospect" in page.text and "@ona_osle" in page.text
    assert staff_as("moderator").get("/admin/suggestions").status_code == 403


def test_dismiss_and_add_as_prospect_are_audited(
    db: Database, staff_as: Callable[..., StaffBrowser]
):
    first, second = suggest(db, ALYTUS, "2"), suggest(db, DUBLIN, "3", handle="dublin_ona")
    editor = staff_as("editor")
    dismissed_page = editor.post(f"/admin/suggestions/{first}/dismiss", follow_redirects=True)
    assert f"Suggestion {first} dismissed." in dismissed_page.text
    answer = editor.post(f"/admin/suggestions/{second}/prospect")
    assert answer.status_code == 303
    page = editor.get("/admin/suggestions?status=all")
    assert "nobody was contacted" in page.text
    with db.session() as session:
        [prospect] = session.exec(select(Prospect)).all()
        assert prospect.telegram == "dublin_ona"
        assert prospect.source == "telegram group Lietuviai Norvegijoje"
        assert prospect.lawful_basis == "legitimate_interest"
        statuses = {row.id: row.status for row in session.exec(select(GroupSuggestion))}
    assert statuses == {first: "dismissed", second: "invited"}
    [dismissed] = audit(db, "suggestion.dismiss")
    assert dismissed.staff_email == "editor@alytus.test"
    assert (dismissed.before or {})["status"] == "new"
    assert (dismissed.after or {})["status"] == "dismissed"
    [added] = audit(db, "suggestion.prospect")
    assert (added.after or {})["prospect_id"] == prospect.id
    again = editor.post(f"/admin/suggestions/{first}/prospect", follow_redirects=True)
    assert again.status_code == 200 and "already dismissed" in again.text
    missing = editor.post("/admin/suggestions/99999/dismiss", follow_redirects=True)
    assert missing.status_code == 200 and "no suggestion 99999" in missing.text


def test_a_change_needs_the_csrf_token(db: Database, staff_as: Callable[..., StaffBrowser]):
    kept = suggest(db, ALYTUS, "4")
    editor = staff_as("editor")
    refused = editor.client.post(f"/admin/suggestions/{kept}/dismiss", follow_redirects=False)
    assert refused.status_code == 403
    assert audit(db, "suggestion.dismiss") == []


def test_the_json_api_filters_by_status_and_refuses_bad_input(
    db: Database, staff_as: Callable[..., StaffBrowser], anonymous: StaffBrowser
):
    first, second = suggest(db, ALYTUS, "5"), suggest(db, DUBLIN, "6", handle=None)
    admin = staff_as("admin")
    admin.post(f"/admin/suggestions/{first}/dismiss")
    fresh = admin.get("/admin/api/suggestions").json()
    assert [row["id"] for row in fresh] == [second]
    assert fresh[0]["evidence"][0]["kind"] == "origin"
    assert fresh[0]["author_handle"] is None and fresh[0]["status"] == "new"
    dismissed = admin.get("/admin/api/suggestions?status=dismissed").json()
    assert [row["id"] for row in dismissed] == [first]
    assert len(admin.get("/admin/api/suggestions?status=all").json()) == 2
    for bad in ("?status=gone", "?limit=0", "?limit=abc"):
        assert admin.get(f"/admin/api/suggestions{bad}").status_code == 422, bad
    assert admin.get("/admin/api/suggestions?status=%00").status_code == 400  # text_guard
    assert admin.get("/admin/suggestions/abc/dismiss").status_code in (404, 405)
    assert admin.post("/admin/suggestions/0/dismiss").status_code == 422
    assert admin.post("/admin/suggestions/99999999999/dismiss").status_code == 422
    assert anonymous.get("/admin/api/suggestions").status_code == 401
    assert staff_as("moderator").get("/admin/api/suggestions").status_code == 403


def test_the_api_is_described_in_the_schema(staff_as: Callable[..., StaffBrowser]):
    schema = staff_as("editor").get("/admin/api/openapi.json").json()
    assert "/admin/api/suggestions" in schema["paths"]
    assert not any(path.startswith("/admin/suggestions") for path in schema["paths"])
