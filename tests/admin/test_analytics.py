"""Staff analytics: the numbers behind the dashboard and the charts, computed from rows each
test writes, and the screens, CSV and JSON that show them."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from sqlmodel import Session

from admin import analytics
from admin.analytics import Period, last_days
from admin.demo_activity import load_demo_activity
from community.database import Database
from community.events import upcoming_for
from community.models import Activity, Consent, Member, utcnow
from community.settings import Settings
from knowledge.models import UnansweredQuestion
from rewards.partners import add_partner
from tests.admin.console import StaffBrowser
from tests.community.test_feed import add_member as add_chat_member

VILNIUS = ZoneInfo("Europe/Vilnius")
JUNE = Period(days=30, today=date(2025, 6, 20))  # summer: Vilnius is UTC+3


def vilnius(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Vilnius wall-clock time, stored the way the app stores it: in UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=VILNIUS).astimezone(UTC)


def add_member(session: Session, *, created_at: datetime, **profile: object) -> Member:
    member = Member(created_at=created_at, **profile)
    session.add(member)
    session.flush()
    return member


def message(
    session: Session,
    member: Member | None,
    at: datetime,
    *,
    kind: str = "message",
    answered: bool | None = None,
) -> None:
    session.add(
        Activity(
            member_id=member.id if member else None,
            platform="telegram",
            kind=kind,
            answered=answered,
            at=at,
        )
    )


def question(session: Session, at: datetime, *, answered: bool) -> None:
    message(session, None, at, kind="question", answered=answered)


def consent(session: Session, member: Member, granted: bool = True) -> None:
    session.add(
        Consent(
            member_id=member.id,
            purpose="membership",
            granted=granted,
            notice_version="test",
            at=member.created_at,
        )
    )


# ---- the numbers ------------------------------------------------------------------------------


def test_questions_a_day_counts_each_vilnius_day_and_the_share_answered(db: Database):
    with db.session() as session:
        for hour, answered in ((9, True), (11, True), (15, False)):
            question(session, vilnius(2025, 6, 18, hour), answered=answered)
        # 01:30 on the 19th in Vilnius is still the 18th in UTC: it belongs to the 19th
        question(session, vilnius(2025, 6, 19, 1, 30), answered=False)
        question(session, vilnius(2025, 5, 1, 12), answered=True)  # before the period
        message(session, None, vilnius(2025, 6, 18, 10))  # a message, not a question
        session.flush()
        chart = analytics.questions(session, JUNE)

    by_day = {label: i for i, label in enumerate(chart.labels)}
    answered, unanswered, share = chart.series
    day18, day19 = by_day["2025-06-18"], by_day["2025-06-19"]
    assert (answered.values[day18], unanswered.values[day18], share.values[day18]) == (2, 1, 66.7)
    assert (answered.values[day19], unanswered.values[day19], share.values[day19]) == (0, 1, 0.0)
    assert sum(answered.values) + sum(unanswered.values) == 4
    assert share.values[by_day["2025-06-17"]] is None  # no questions: no share, not 0 %
    assert len(chart.labels) == 30 and chart.labels[-1] == "2025-06-20"


def test_office_hours_are_vilnius_weekdays_8_to_17(db: Database):
    with db.session() as session:
        saturday, late, tuesday = (
            add_member(session, created_at=vilnius(2025, 6, 1, 9)) for _ in range(3)
        )
        message(session, saturday, vilnius(2025, 6, 14, 11))  # Saturday late morning
        message(session, late, vilnius(2025, 6, 11, 22))  # Wednesday 22:00 (19:00 UTC)
        message(session, tuesday, vilnius(2025, 6, 10, 10))  # Tuesday 10:00 (07:00 UTC)
        message(session, tuesday, vilnius(2025, 6, 10, 10, 20))  # same conversation
        session.flush()
        chart = analytics.office_hours(session, JUNE)

    assert chart.labels == ["office hours", "outside office hours"]
    assert chart.series[0].values == [1, 2]
    assert chart.series[1].values == [33.3, 66.7]


def test_a_pause_of_30_minutes_starts_a_new_conversation(db: Database):
    with db.session() as session:
        member = add_member(session, created_at=vilnius(2025, 6, 1, 9))
        other = add_member(session, created_at=vilnius(2025, 6, 1, 9))
        for minute in (0, 10, 39):  # gaps of 10 and 29 minutes: one conversation
            message(session, member, vilnius(2025, 6, 17, 18, minute))
        message(session, member, vilnius(2025, 6, 17, 19, 9))  # 30 minutes later: a new one
        message(session, other, vilnius(2025, 6, 17, 18, 5))  # someone else: their own
        session.flush()
        starts = analytics.conversation_starts(session, JUNE)

    assert sorted(starts) == [
        vilnius(2025, 6, 17, 18),
        vilnius(2025, 6, 17, 18, 5),
        vilnius(2025, 6, 17, 19, 9),
    ]


def test_the_onboarding_funnel_counts_each_step_within_the_one_before(db: Database):
    june = vilnius(2025, 6, 5, 12)
    complete = {"relation": "resident", "country": "LT", "interests": ["jobs"]}
    with db.session() as session:
        add_member(session, created_at=june)  # only wrote to the bot
        consent(session, add_member(session, created_at=june))  # agreed to join
        consent(session, add_member(session, created_at=june, **complete))  # and a profile
        done = add_member(session, created_at=june, onboarded_at=june, **complete)
        consent(session, done)
        declined = add_member(session, created_at=june, onboarded_at=june, **complete)
        consent(session, declined, granted=False)  # a "no" is not consent
        emigrant = add_member(session, created_at=june, relation="emigrant", interests=["jobs"])
        consent(session, emigrant)  # an emigrant without country: profile incomplete
        consent(session, add_member(session, created_at=vilnius(2025, 4, 1, 12)))  # earlier
        add_member(session, created_at=june, erased_at=june)  # erased: not counted
        session.flush()
        chart = analytics.onboarding_funnel(session, JUNE)

    assert chart.labels == ["started", "consented", "profile complete", "onboarding finished"]
    counts = chart.series[0].values
    assert counts == [6, 4, 2, 1]
    assert counts == sorted(counts, reverse=True)
    assert chart.series[1].values == [100.0, 66.7, 33.3, 16.7]


def test_members_over_time_add_up_by_relation_at_the_end_of_each_day(db: Database):
    with db.session() as session:
        add_member(session, created_at=vilnius(2025, 1, 1, 12), relation="emigrant")
        add_member(session, created_at=vilnius(2025, 6, 10, 12), relation="emigrant")
        add_member(session, created_at=vilnius(2025, 6, 15, 23, 30), relation="resident")
        add_member(session, created_at=vilnius(2025, 6, 16, 8))  # no relation yet
        session.flush()
        chart = analytics.members_by_relation(session, JUNE)

    series = {s.name: s.values for s in chart.series}
    day = chart.labels.index
    assert series["emigrant"][day("2025-06-09")] == 1 and series["emigrant"][-1] == 2
    assert series["resident"][day("2025-06-14")] == 0
    assert series["resident"][day("2025-06-15")] == 1
    assert series["not given"][-1] == 1
    assert "returned" not in series  # nobody: no empty band


def test_unanswered_topics_group_open_questions_by_shared_words_only(db: Database):
    texts = [
        "Kaip užregistruoti vaiką į darželį?",
        "Kur registruoti vaika i darzeli Alytuje",
        "Ar yra vietų darželyje prie ežero?",
        "Kur parkuoti automobilį prie ligoninės?",
        "Parking near the hospital?",
        "Jonas Petraitis nori atgal paso",  # a name in one question must not show
    ]
    with db.session() as session:
        for text in texts:
            session.add(
                UnansweredQuestion(
                    question=text, language="lt", platform="web", asked_at=vilnius(2025, 6, 12, 9)
                )
            )
        session.add(
            UnansweredQuestion(
                question="darželis darželis",
                language="lt",
                platform="web",
                asked_at=vilnius(2025, 6, 12, 9),
                status="answered",
            )
        )
        session.flush()
        chart = analytics.unanswered_topics(session, JUNE)

    topics = dict(zip(chart.labels, chart.series[0].values, strict=True))
    assert topics["darzeli"] == 3  # darželį, darzeli, darželyje: one topic, open ones only
    assert topics["vaika"] == 2
    assert all(count >= 2 for count in topics.values())
    assert not any(word in topics for word in ("jonas", "petraitis", "kaip", "kur"))


def test_the_summary_counts_members_questions_and_open_work(db: Database):
    now = utcnow()
    with db.session() as session:
        add_member(session, created_at=now - timedelta(days=30))
        add_member(session, created_at=now - timedelta(hours=2), onboarded_at=now)
        add_member(session, created_at=now - timedelta(hours=1), erased_at=now)
        for answered in (True, True, True, False):
            question(session, now - timedelta(hours=3), answered=answered)
        question(session, now - timedelta(days=20), answered=False)
        session.add(UnansweredQuestion(question="x", language="lt", platform="web"))
        session.flush()
        numbers = analytics.summary(session, last_days(7))

    assert (numbers.members, numbers.onboarded, numbers.new_members) == (2, 1, 1)
    assert (numbers.questions, numbers.answered_share) == (4, 75.0)
    assert numbers.open_unanswered == 1


def test_a_period_is_1_to_3650_days():
    with pytest.raises(ValueError):
        last_days(0)
    assert last_days(3650).days == 3650


# ---- the screens ------------------------------------------------------------------------------


@pytest.fixture
def recent_questions(db: Database) -> date:
    """Three questions (two answered) two days ago, Vilnius time; returns that day."""
    day = (datetime.now(VILNIUS) - timedelta(days=2)).date()
    with db.session() as session:
        for hour, answered in ((9, True), (13, True), (20, False)):
            question(session, vilnius(day.year, day.month, day.day, hour), answered=answered)
        add_member(session, created_at=utcnow() - timedelta(days=1), relation="emigrant")
    return day


def test_the_csv_has_a_header_and_the_same_numbers_as_the_chart(
    staff_as: Callable[..., StaffBrowser], recent_questions: date
):
    editor = staff_as("editor")
    response = editor.get("/admin/analytics/questions.csv?days=30")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["day", "answered", "not answered", "% answered"]
    assert len(rows) == 31
    row = next(r for r in rows if r[0] == recent_questions.isoformat())
    assert row == [recent_questions.isoformat(), "2", "1", "66.7"]

    api = editor.api("GET", "/admin/api/analytics/questions?days=30").json()
    at = api["labels"].index(recent_questions.isoformat())
    assert [s["values"][at] for s in api["series"]] == [2, 1, 66.7]


def test_the_api_refuses_bad_periods_and_unknown_charts(staff_as: Callable[..., StaffBrowser]):
    editor = staff_as("editor")
    assert editor.api("GET", "/admin/api/analytics/summary?days=0").status_code == 422
    assert editor.api("GET", "/admin/api/analytics/summary?days=3651").status_code == 422
    missing = editor.api("GET", "/admin/api/analytics/nonsense?days=30")
    assert missing.status_code == 404 and "nonsense" in missing.json()["detail"]
    assert editor.get("/admin/analytics/nonsense.csv").status_code == 404


def test_the_analytics_page_draws_every_chart_for_the_chosen_period(
    staff_as: Callable[..., StaffBrowser], recent_questions: date
):
    page = staff_as("moderator").get("/admin/analytics?days=90")
    assert page.status_code == 200
    assert page.text.count("data-chart=") >= 3  # questions, members, countries at least
    for name in analytics.CHARTS:
        assert f'href="/admin/analytics/{name}.csv?days=90"' in page.text
    assert 'href="/admin/analytics?days=90" aria-current="page"' in page.text
    assert "<script>" not in page.text  # charts are configured in data attributes only


def test_a_partner_cannot_open_analytics(db: Database, staff_as: Callable[..., StaffBrowser]):
    with db.session() as session:
        partner = add_partner(session=session, name="Kavinė")
        partner_id = partner.id
    browser = staff_as("partner", partner_id=partner_id)
    assert browser.get("/admin/analytics").status_code == 403
    assert browser.get("/admin/analytics/questions.csv").status_code == 403
    assert browser.api("GET", "/admin/api/analytics/summary").status_code == 403


def test_the_dashboard_shows_its_numbers_and_two_charts(
    staff_as: Callable[..., StaffBrowser], recent_questions: date
):
    page = staff_as("editor").get("/admin/")
    assert page.status_code == 200
    assert 'data-stat="questions">3<' in page.text
    assert "66.7% answered" in page.text
    assert 'data-stat="members">1<' in page.text
    assert page.text.count("<canvas data-chart=") == 2
    assert 'href="/admin/inbox"' in page.text and 'href="/admin/rewards"' not in page.text


def test_the_demo_has_events_to_come_for_the_right_members(db: Database, settings: Settings):
    assert "2 events to come" in load_demo_activity(db, settings)[0]
    with db.session() as session:
        london = add_chat_member(session, user="london", country="GB")
        oslo = add_chat_member(session, user="oslo", country="NO")
        for_london = [item.title_en for item in upcoming_for(session, london)]
        for_oslo = [item.title_en for item in upcoming_for(session, oslo)]
    assert for_london == [
        "Alytus people meet in London (demo)",
        "Alytus birthday: a concert on the Town Hall square (demo)",
    ]
    assert for_oslo == ["Alytus birthday: a concert on the Town Hall square (demo)"]


def test_the_demo_history_fills_every_chart_once(db: Database, settings: Settings):
    first = load_demo_activity(db, settings)
    again = load_demo_activity(db, settings)
    assert "96 members" in first[0] and again == ["demo activity: already there"]
    with db.session() as session:
        period = last_days(30)
        empty = [
            name
            for name, build in analytics.CHARTS.items()
            if not _has_data(build(session, period))
        ]
        numbers = analytics.summary(session, last_days(7))
    assert empty == []
    assert numbers.questions > 20 and 60 < (numbers.answered_share or 0) < 95


def _has_data(chart: analytics.Chart) -> bool:
    return any(value for series in chart.series for value in series.values)


def test_where_members_live_counts_countries_in_any_case_and_the_rest_as_other(db: Database):
    may = vilnius(2025, 5, 1, 12)
    countries = ["GB", "gb", "NO", "NO", None, None, *[f"C{n}" for n in range(10)]]
    with db.session() as session:
        for country in countries:
            add_member(session, created_at=may, country=country)
        add_member(session, created_at=vilnius(2025, 6, 25, 12), country="GB")  # after the period
        session.flush()
        chart = analytics.members_by_country(session, JUNE)

    counts = dict(zip(chart.labels, chart.series[0].values, strict=True))
    assert chart.labels[0] == "GB" and counts["GB"] == 2
    assert counts["NO"] == 2 and counts["not given"] == 2
    assert chart.labels[3:10] == [f"C{n}" for n in range(7)]  # ties: alphabetical
    assert len(chart.labels) == 11 and counts["other"] == 3


def test_only_the_analytics_api_is_in_the_openapi_schema(admin_app: FastAPI):
    paths = [path for path in admin_app.openapi()["paths"] if "analytics" in path]
    assert paths == ["/admin/api/analytics/summary", "/admin/api/analytics/{chart}"]
    assert "/admin/" not in admin_app.openapi()["paths"]
