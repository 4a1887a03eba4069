"""The feed screen as an editor uses it: compose an item for an audience, watch the live
count, send it now or schedule it, follow its progress; and the JSON API's answers."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from admin.models import AuditEntry
from community import broadcasts
from community.database import Database
from community.feed import opt_out
from community.models import Broadcast, FeedItem, Member, as_utc
from community.settings import Settings
from tests.admin.console import StaffBrowser
from tests.community.test_feed import add_member

Login = Callable[..., StaffBrowser]
REACH = re.compile(r"Reaches (\d+) members?")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """No quiet hours, so what is pending does not depend on the time the tests run."""
    return Settings(
        home=tmp_path / "home", public_url="https://connect.alytus.test", quiet_hours="0-0"
    )


@pytest.fixture
def audience(db: Database) -> dict[str, Member]:
    """Three Norwegians and a Briton who may hear news, and two who may not."""
    with db.session() as session:
        found = {
            "oslo": add_member(session, user="1", country="NO"),
            "bergen": add_member(session, user="2", country="NO", language="en"),
            "tromso": add_member(session, user="3", country="NO", platform="web"),
            "london": add_member(session, user="4", country="GB", relation="friend"),
            "no_news": add_member(session, user="5", country="NO", news=False),
            "no_jobs": add_member(session, user="6", country="NO"),
        }
        opt_out(session=session, member_id=found["no_jobs"].id or 0, kind="job")
        session.expunge_all()
    return found


def item_form(**extra: object) -> dict[str, object]:
    return {
        "kind": "job",
        "title_lt": "Darbas Alytuje",
        "title_en": "A job in Alytus",
        "body_lt": "Ieškome suvirintojo.",
        "body_en": "We need a welder.",
        "url": "https://alytus.lt/darbas",
        **extra,
    }


def reach(editor: StaffBrowser, **fields: object) -> int:
    """What the composer's live count says for these form fields."""
    response = editor.get("/admin/feed/reach", params=fields)
    assert response.status_code == 200, response.text
    found = REACH.search(response.text)
    assert found, response.text
    return int(found.group(1))


def test_the_composer_counts_live_with_the_same_query_the_send_plans(
    db: Database, staff_as: Login, audience: dict[str, Member]
):
    editor = staff_as("editor")
    page = editor.get("/admin/feed/new")
    assert page.status_code == 200
    assert 'hx-get="/admin/feed/reach"' in page.text and 'hx-include="#compose"' in page.text
    assert "keyup delay:300ms" in page.text
    assert 'value="GB"' in page.text and 'value="NO"' in page.text  # countries members live in
    assert reach(editor, kind="job") == 4  # no consent to news, opted out of jobs: not counted
    assert reach(editor, kind="event") == 5  # the one who turned jobs off hears of events
    assert reach(editor, kind="job", countries="GB") == 1
    assert reach(editor, kind="job", countries=["GB", "NO"]) == 4
    assert reach(editor, kind="job", countries="NO", languages="en") == 1
    assert reach(editor, kind="job", countries_other="no, gb") == 4
    chosen = reach(editor, kind="job", countries="NO")
    assert chosen == 3

    sent = editor.post("/admin/feed", {**item_form(countries="NO"), "action": "send"})
    assert sent.status_code == 303, sent.text
    broadcast_id = int(sent.headers["location"].rsplit("/", 1)[1])
    with db.session() as session:
        broadcast = broadcasts.get_broadcast(session, broadcast_id)
        counts = broadcasts.counts(session, broadcast_id)
    assert broadcast.planned == chosen and broadcast.status == "sending"
    assert counts["pending"] == 2 and counts["queued"] == 1  # Telegram waits for the worker


def test_the_live_count_says_what_is_wrong_instead_of_failing(staff_as: Login):
    editor = staff_as("editor")
    for fields in (
        {"countries_other": "Norway"},
        {"relations": "alien"},
        {"kind": "rumour"},
        {"languages": "xx"},
    ):
        response = editor.get("/admin/feed/reach", params=fields)
        assert response.status_code == 200 and "reach-error" in response.text, fields
        assert "Reaches" not in response.text


def test_sending_is_audited_and_the_progress_page_shows_counts_and_refreshes(
    db: Database, staff_as: Login, audience: dict[str, Member]
):
    editor = staff_as("editor")
    sent = editor.post("/admin/feed", {**item_form(), "action": "send"})
    page = editor.get(sent.headers["location"])
    assert page.status_code == 200
    assert "Sending to 4 members" in page.text
    assert 'hx-trigger="every 2s"' in page.text
    assert 'data-status="planned">4<' in page.text
    assert 'data-status="pending">3<' in page.text and 'data-status="queued">1<' in page.text
    with db.session() as session:
        actions = [e.action for e in session.exec(select(AuditEntry).order_by(AuditEntry.id))]
        item = session.exec(select(FeedItem)).one()
    assert actions == ["feed.create", "broadcast.send"]
    assert item.title_en == "A job in Alytus" and item.audience["countries"] == []
    broadcast_id = int(sent.headers["location"].rsplit("/", 1)[1])

    with db.session() as session:  # the worker sends the rest
        rows = broadcasts.claim(session, broadcast_id, 10, datetime.now(UTC), worker="w:1:x")
        broadcasts.start_sending(
            session, [r.id for r in rows], worker="w:1:x", now=datetime.now(UTC)
        )
        broadcasts.mark_sent(session, [r.id for r in rows])
        broadcasts.finish_if_done(session, broadcast_id)
    fragment = editor.get(f"/admin/feed/broadcasts/{broadcast_id}/progress")
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert 'data-status="sent">3<' in fragment.text and "done" in fragment.text
    assert "every 2s" not in fragment.text, "a finished broadcast stops refreshing"
    listing = editor.get("/admin/feed").text
    assert "A job in Alytus" in listing and "4 / 4 delivered" in listing


def test_a_broadcast_to_web_chat_members_only_is_done_at_once(
    db: Database, staff_as: Login, audience: dict[str, Member]
):
    editor = staff_as("editor")
    sent = editor.post("/admin/feed", {**item_form(relations="resident"), "action": "send"})
    with db.session() as session:
        broadcast = session.exec(select(Broadcast)).one()
    assert broadcast.status == "done" and broadcast.planned == 0
    assert "every 2s" not in editor.get(sent.headers["location"]).text


def test_scheduling_stores_vilnius_time_as_utc_and_cancelling_stops_it(
    db: Database, staff_as: Login, audience: dict[str, Member]
):
    editor = staff_as("editor")
    when = (datetime.now(UTC) + timedelta(days=30)).replace(hour=12, minute=0, second=0)
    local = when.strftime("%Y-%m-%dT%H:%M")  # 12:00 in Vilnius: 09:00 or 10:00 UTC
    scheduled = editor.post(
        "/admin/feed",
        {**item_form(), "action": "schedule", "send_at": local, "send_zone": "Europe/Vilnius"},
    )
    assert scheduled.status_code == 303, scheduled.text
    broadcast_id = int(scheduled.headers["location"].rsplit("/", 1)[1])
    with db.session() as session:
        broadcast = broadcasts.get_broadcast(session, broadcast_id)
        stored = broadcasts.status(session, broadcast_id)["scheduled_for"]
    assert broadcast.status == "scheduled" and broadcast.planned == 0
    moment = datetime.fromisoformat(stored)
    assert moment.utcoffset() == timedelta(0) and moment.hour in (9, 10) and moment.minute == 0
    page = editor.get(scheduled.headers["location"]).text
    assert f"Starts at <strong>{when.strftime('%Y-%m-%d')} 12:00</strong>" in page
    assert "every 2s" not in page and "Cancel the broadcast" in page

    cancelled = editor.post(f"/admin/feed/broadcasts/{broadcast_id}/cancel")
    assert cancelled.status_code == 303
    assert "Cancelled: nothing will be sent" in editor.get(cancelled.headers["location"]).text
    with db.session() as session:
        assert broadcasts.start_due(session=session, now=moment + timedelta(days=1)) == []
        assert broadcasts.get_broadcast(session, broadcast_id).status == "cancelled"
        actions = [e.action for e in session.exec(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["feed.create", "broadcast.schedule", "broadcast.cancel"]
    again = editor.post(f"/admin/feed/broadcasts/{broadcast_id}/cancel", follow_redirects=True)
    assert "Not cancelled" in again.text


def test_an_event_time_typed_in_vilnius_is_stored_in_utc(db: Database, staff_as: Login):
    """The event happens in Alytus: its start is Alytus time, whatever zone the sending is
    planned in (here New York's)."""
    editor = staff_as("editor")
    form = {**item_form(kind="event"), "starts_at": "2030-06-01T18:00", "action": "send",
            "send_zone": "America/New_York"}  # fmt: skip
    assert editor.post("/admin/feed", form).status_code == 303
    with db.session() as session:
        item = session.exec(select(FeedItem)).one()
    assert as_utc(item.starts_at) == datetime(2030, 6, 1, 15, 0, tzinfo=UTC)  # summer: UTC+3


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title_en": " "}, "title in Lithuanian and in English"),
        ({"action": "schedule"}, "Choose the date and time"),
        ({"action": "schedule", "send_at": "2001-01-01T10:00"}, "already passed"),
        ({"action": "schedule", "send_at": "soon"}, "not a date and time"),
        ({"action": "schedule", "send_at": "0001-01-01T00:00"}, "not a date and time"),
        ({"send_at": "9999-12-31T23:59", "send_zone": "America/New_York"}, "not a date"),
        ({"send_at": "2030-01-01T10:00", "send_zone": "Europe"}, "time zone from the list"),
        ({"url": "javascript:alert(1)"}, "https://"),
        ({"countries_other": "Norway"}, "two-letter codes"),
        ({"kind": "rumour"}, "kind"),
    ],
)
def test_a_composer_mistake_is_shown_and_nothing_is_saved(
    db: Database, staff_as: Login, fields: dict[str, str], message: str
):
    editor = staff_as("editor")
    response = editor.post("/admin/feed", {**item_form(), "action": "send", **fields})
    assert response.status_code == 400 and message in response.text
    assert "A job in Alytus" in response.text or fields.get("title_en") == " "
    with db.session() as session:
        assert session.exec(select(FeedItem)).all() == []
        assert session.exec(select(AuditEntry)).all() == []


def test_moderators_cannot_open_the_feed(staff_as: Login):
    moderator = staff_as("moderator")
    assert moderator.get("/admin/feed").status_code == 403
    assert moderator.post("/admin/feed", {**item_form(), "action": "send"}).status_code == 403
    assert moderator.api("POST", "/admin/api/feed/audience-count", json={}).status_code == 403


def test_the_api_counts_an_audience_and_reports_a_broadcast(
    staff_as: Login, audience: dict[str, Member]
):
    editor = staff_as("editor")
    everyone = editor.api("POST", "/admin/api/feed/audience-count", json={})
    assert everyone.status_code == 200 and everyone.json() == {"count": 5}
    norway = editor.api(
        "POST", "/admin/api/feed/audience-count", json={"countries": ["no"], "kind": "job"}
    )
    assert norway.json() == {"count": 3}
    sent = editor.post("/admin/feed", {**item_form(countries="GB"), "action": "send"})
    broadcast_id = int(sent.headers["location"].rsplit("/", 1)[1])
    found = editor.api("GET", f"/admin/api/broadcasts/{broadcast_id}")
    assert found.status_code == 200
    assert found.json()["status"] == "sending" and found.json()["planned"] == 1
    assert found.json()["counts"]["pending"] == 1
    missing = editor.api("GET", "/admin/api/broadcasts/2147483647")
    assert missing.status_code == 404 and missing.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"countries": "NO"},
        {"countries": ["Norway"]},
        {"relations": ["alien"]},
        {"languages": ["xx"]},
        {"planets": ["mars"]},
        {"interests": [1]},
        {"countries": ["NO"] * 1000},
        {"kind": "rumour"},
        [],
        "everyone",
        {"relations": None},
    ],
)
def test_bad_audience_input_is_a_client_error(staff_as: Login, body: object):
    response = staff_as("editor").api("POST", "/admin/api/feed/audience-count", json=body)
    assert response.status_code == 422, response.text


@pytest.mark.parametrize(
    "path", ["/admin/api/broadcasts/99999999999999999999", "/admin/api/broadcasts/x"]
)
def test_bad_broadcast_ids_are_client_errors(staff_as: Login, path: str):
    assert staff_as("editor").api("GET", path).status_code == 422


def test_send_now_reaches_an_audience_that_mixes_every_kind_of_member(
    db: Database, staff_as: Login
):
    """A web member first, then one with no channel, then push members: before the fix the
    mixed delivery rows made "Send now" a 500 and the typed item was lost."""
    from community.models import ChannelIdentity

    with db.session() as session:
        web = add_member(session, user="w-9", platform="web")
        gone = add_member(session, user="gone-9")
        for identity in session.exec(
            select(ChannelIdentity).where(ChannelIdentity.member_id == gone.id)
        ):
            session.delete(identity)
        add_member(session, user="tg-9")
        add_member(session, user="dc-9", platform="discord")
        add_member(session, user="m-9", platform="messenger")
        add_member(session, user="t-9", platform="terminal")
    editor = staff_as("editor")
    sent = editor.post("/admin/feed", {**item_form(), "action": "send"})
    assert sent.status_code == 303, sent.text
    page = editor.get(sent.headers["location"])
    assert "Sending to 6 members" in page.text
    assert 'data-status="pending">3<' in page.text and 'data-status="queued">2<' in page.text
    assert 'data-status="skipped">1<' in page.text
    with db.session() as session:
        assert session.exec(select(FeedItem)).one().title_en == "A job in Alytus"
        assert session.exec(select(Broadcast)).one().planned == 6
    assert web.id is not None


def test_the_composer_says_an_event_starts_in_alytus_time(staff_as: Login):
    page = staff_as("editor").get("/admin/feed/new")
    assert "Starts at, Alytus time (events, optional)" in page.text


def event_broadcast_page(staff_as: Login) -> str:
    """The page of a broadcast of an event typed as 18:00 on 1 June 2030 in Alytus."""
    editor = staff_as("editor")
    form = {
        **item_form(kind="event"),
        "starts_at": "2030-06-01T18:00",
        "place": "Rotušės aikštė, Alytus",
        "action": "send",
    }
    sent = editor.post("/admin/feed", form)
    assert sent.status_code == 303, sent.text
    page = editor.get(sent.headers["location"])
    assert page.status_code == 200
    return page.text


def test_a_broadcast_page_shows_the_events_start_and_place(staff_as: Login):
    page = event_broadcast_page(staff_as)
    assert "Place <strong>Rotušės aikštė, Alytus</strong>" in page
    # Alytus time once the page is given `starts_local`; until then the stored UTC, said so
    assert (
        "Starts <strong>2030-06-01 18:00</strong> (Alytus time)" in page
        or "Starts <strong>2030-06-01 15:00</strong> (UTC)" in page
    )


def test_a_broadcast_page_shows_the_events_start_in_alytus_time(staff_as: Login):
    page = event_broadcast_page(staff_as)
    assert "Starts <strong>2030-06-01 18:00</strong> (Alytus time)" in page


def test_a_broadcast_page_of_an_item_without_a_start_or_place_says_neither(
    staff_as: Login, audience: dict[str, Member]
):
    editor = staff_as("editor")
    sent = editor.post("/admin/feed", {**item_form(), "action": "send"})
    page = editor.get(sent.headers["location"]).text
    assert "Starts <strong>" not in page and "Place <strong>" not in page
