"""City polls in the admin as an editor uses them: write a poll, send it to its audience,
close it, read the results by relation and country (chart, table, CSV, JSON API); and who
may not open the screen."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from html import unescape

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from sqlmodel import col, select

from admin.console import SESSION_COOKIE
from admin.models import AuditEntry
from community import polls
from community.database import Database
from community.models import Member, Notification, Poll
from tests.admin.console import StaffBrowser
from tests.community.test_feed import add_member

Login = Callable[..., StaffBrowser]
CHART = re.compile(r"data-chart='([^']+)'")


def poll_form(**extra: object) -> dict[str, object]:
    return {
        "question_lt": "Ką statyti prie Nemuno?",
        "question_en": "What should be built by the Nemunas?",
        "choice_lt_1": "Paplūdimį",
        "choice_en_1": "A beach",
        "choice_lt_2": "Prieplauką",
        "choice_en_2": "A pier",
        "choice_lt_3": "",
        "choice_en_3": "",
        **extra,
    }


@pytest.fixture
def community(db: Database) -> dict[str, Member]:
    with db.session() as session:
        found = {
            "oslo": add_member(session, user="1", relation="emigrant", country="NO"),
            "bergen": add_member(session, user="2", relation="emigrant", country="NO"),
            "london": add_member(session, user="3", relation="friend", country="GB"),
            "alytus": add_member(session, user="4", relation="resident", country="LT"),
            "no_news": add_member(session, user="5", country="NO", news=False),
        }
        session.expunge_all()
    return found


def audit(db: Database, action: str) -> list[AuditEntry]:
    with db.session() as session:
        rows = session.exec(
            select(AuditEntry).where(AuditEntry.action == action).order_by(col(AuditEntry.id))
        ).all()
        session.expunge_all()
        return list(rows)


def create(editor: StaffBrowser, **extra: object) -> int:
    response = editor.post("/admin/polls", poll_form(**extra))
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def test_an_editor_writes_sends_and_closes_a_poll(
    db: Database, staff_as: Login, community: dict[str, Member]
):
    editor = staff_as("editor")
    page = editor.get("/admin/polls/new")
    assert page.status_code == 200 and 'name="choice_en_6"' in page.text
    poll_id = create(editor, relations=["emigrant", "friend"])
    (created,) = audit(db, "poll.create")
    assert created.staff_email == "editor@alytus.test" and created.target == str(poll_id)
    assert created.after and created.after["question_en"].startswith("What should be built")

    page = editor.get(f"/admin/polls/{poll_id}")
    assert page.status_code == 200
    assert "draft" in page.text and "3 members now" in page.text  # no_news is not asked
    assert editor.get("/admin/polls").text.count(f"/admin/polls/{poll_id}") == 1

    sent = editor.post(f"/admin/polls/{poll_id}/send")
    assert sent.status_code == 303
    assert "Asked 3 members in chat" in editor.get(sent.headers["location"]).text
    (logged,) = audit(db, "poll.send")
    assert logged.after == {"asked": 3, "already": 0, "unreachable": 0}
    with db.session() as session:
        asked = session.exec(select(Notification).where(Notification.message_key == "poll.ask"))
        assert sorted(n.member_id for n in asked) == sorted(
            community[name].id for name in ("oslo", "bergen", "london")
        )

    closed = editor.post(f"/admin/polls/{poll_id}/close")
    assert closed.status_code == 303
    assert "Closed: no more answers" in editor.get(closed.headers["location"]).text
    (logged,) = audit(db, "poll.close")
    assert logged.before == {"status": "open"} and logged.after == {"status": "closed"}
    again = editor.post(f"/admin/polls/{poll_id}/close")
    assert "Not closed: the poll is already closed" in editor.get(again.headers["location"]).text
    assert len(audit(db, "poll.close")) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"choice_lt_2": "", "choice_en_2": ""}, "A poll needs 2 to 6 choices"),
        ({"choice_en_2": ""}, "Choice 2 in English is empty"),
        ({"question_lt": ""}, "The question in Lithuanian is empty"),
        ({"countries_other": "Norway"}, "two-letter codes"),
        ({"relations": ["martian"]}, "Unknown relations"),
        ({"closes_at": "tomorrow"}, "not a date and time"),
        ({"closes_at": "2001-01-01T10:00"}, "The closing time has already passed"),
    ],
)
def test_a_poll_that_cannot_be_saved_says_why_on_the_form(
    db: Database, staff_as: Login, change: dict[str, object], message: str
):
    editor = staff_as("editor")
    response = editor.post("/admin/polls", poll_form(**change))
    assert response.status_code == 400
    assert message in unescape(response.text)
    assert 'value="What should be built by the Nemunas?"' in response.text  # kept as typed
    with db.session() as session:
        assert session.exec(select(Poll)).first() is None
    assert audit(db, "poll.create") == []


def test_results_by_relation_and_country_as_chart_table_csv_and_json(
    db: Database, staff_as: Login, community: dict[str, Member]
):
    admin = staff_as("admin")
    poll_id = create(admin)
    admin.post(f"/admin/polls/{poll_id}/send")
    with db.session() as session:
        for name, choice in (("oslo", 1), ("bergen", 2), ("london", 2), ("alytus", 1)):
            member = session.get(Member, community[name].id)
            assert member is not None
            polls.answer_poll(session=session, poll_id=poll_id, member=member, choice=choice)

    page = admin.get(f"/admin/polls/{poll_id}")
    assert "Results: 4 answers" in page.text
    charts = [json.loads(unescape(found)) for found in CHART.findall(page.text)]
    by_relation, by_country = charts
    assert by_relation["type"] == "bar" and by_relation["options"]["scales"]["x"]["stacked"]
    assert by_relation["data"]["labels"] == ["emigrant", "friend", "resident"]
    assert [d["label"] for d in by_relation["data"]["datasets"]] == ["A beach", "A pier"]
    assert [d["data"] for d in by_relation["data"]["datasets"]] == [[1, 0, 1], [1, 1, 0]]
    assert by_country["data"]["labels"] == ["Norway", "United Kingdom", "Lithuania"]
    assert "<td>Norway</td><td>1</td><td>1</td><td>2</td>" in page.text

    csv = admin.get(f"/admin/polls/{poll_id}/results.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.splitlines()
    assert lines[0] == "dimension,group,choice,answers"
    assert "relation,emigrant,A beach,1" in lines and "country,NO,A pier,1" in lines

    listed = admin.api("GET", "/admin/api/polls")
    assert listed.status_code == 200
    assert listed.json()[0]["id"] == poll_id and listed.json()[0]["answers"] == 4
    results = admin.api("GET", f"/admin/api/polls/{poll_id}/results")
    assert results.status_code == 200
    assert results.json()["counts"] == [2, 2]
    assert results.json()["by_country"] == {"NO": [1, 1], "GB": [0, 1], "LT": [1, 0]}


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/admin/api/polls/999999/results", 404),
        ("/admin/api/polls/0/results", 422),
        ("/admin/api/polls/abc/results", 422),
        (f"/admin/api/polls/{2**40}/results", 422),
        ("/admin/polls/999999", 404),
        ("/admin/polls/999999/results.csv", 404),
    ],
)
def test_bad_ids_are_client_errors(staff_as: Login, path: str, status: int):
    assert staff_as("editor").get(path).status_code == status


def test_sending_or_closing_an_unknown_poll_is_404(staff_as: Login):
    editor = staff_as("editor")
    assert editor.post("/admin/polls/424242/send").status_code == 404
    assert editor.post("/admin/polls/424242/close").status_code == 404


@pytest.mark.parametrize("role", ["partner", "moderator"])
def test_partners_and_moderators_may_not_open_polls(staff_as: Login, db: Database, role: str):
    partner_id = None
    if role == "partner":
        from rewards.partners import add_partner

        with db.session() as session:
            partner_id = add_partner(session=session, name="Kavinė").id
    browser = staff_as(role, partner_id=partner_id)
    assert browser.get("/admin/polls").status_code == 403
    assert browser.get("/admin/polls/new").status_code == 403
    assert browser.post("/admin/polls", poll_form()).status_code == 403
    assert browser.api("GET", "/admin/api/polls").status_code == 403
    assert browser.api("GET", "/admin/api/polls/1/results").status_code == 403


def test_a_change_without_the_csrf_token_is_refused(staff_as: Login, db: Database):
    editor = staff_as("editor")
    response = editor.client.post("/admin/polls", data=poll_form(), follow_redirects=False)
    assert response.status_code == 403
    with db.session() as session:
        assert session.exec(select(Poll)).first() is None


def test_the_api_is_documented_and_the_pages_are_not(admin_app):  # type: ignore[no-untyped-def]
    paths = admin_app.openapi()["paths"]
    assert "/admin/api/polls" in paths and "/admin/api/polls/{poll_id}/results" in paths
    assert not [path for path in paths if path.startswith("/admin/polls")]


def test_no_poll_api_request_gets_a_server_error(admin_app: FastAPI, staff_as: Login):
    """Generated requests, valid and invalid by the schema, get a 2xx or a 4xx, never a 5xx
    (driven without Schemathesis' pytest plugin, as in test_api_fuzz.py)."""
    editor = staff_as("editor")
    cookie = editor.client.cookies.get(SESSION_COOKIE)
    headers = {"X-CSRF-Token": editor.csrf, "Cookie": f"{SESSION_COOKIE}={cookie}"}
    schema = schemathesis.openapi.from_asgi(
        "/admin/api/openapi.json", admin_app, headers=headers
    ).include(path_regex="^/admin/api/polls")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 2
    for operation in operations:
        strategy = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(
            GenerationMode.NEGATIVE
        )

        @given(case=strategy)
        @settings(
            max_examples=40,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def no_server_error(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(checks=[not_a_server_error], headers=headers)

        no_server_error()
