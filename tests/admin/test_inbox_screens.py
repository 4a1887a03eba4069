"""The unanswered inbox as staff use it: alike questions grouped, a group answered by linking
an article (every question closed, every asker told once), dismissed, and the groups as JSON."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from sqlmodel import select

from admin.models import AuditEntry
from community.database import Database
from community.members import get_or_create_member
from community.models import Notification
from community.settings import Settings
from knowledge.articles import set_status
from knowledge.demo import ARTICLES_DIR
from knowledge.importer import import_paths
from knowledge.inbox import list_unanswered, record_unanswered
from knowledge.models import QuestionStatus, UnansweredQuestion
from tests.admin.console import StaffBrowser

KINDERGARTEN = (
    ("kaip gauti vieta darzelyje", "telegram", "anna"),
    ("darzelio vieta kaip gauti?", "web", "jonas"),
    ("Kaip gauti vietą darželyje?", "telegram", "anna"),  # Anna asks again
)
RUBBISH = ("kada isveza siukles", "web", "ruta")


@pytest.fixture
def settings(kb_settings: Settings) -> Settings:
    return kb_settings


@pytest.fixture
def demo(db: Database) -> Iterator[Database]:
    report = import_paths(db=db, paths=[ARTICLES_DIR], author="demo")
    assert not report.failed, report.failed
    yield db


def ask_unanswered(db: Database, *questions: tuple[str, str, str]) -> dict[str, int]:
    """File questions as the bot does; returns question text -> id."""
    ids = {}
    with db.session() as session:
        for text, platform, user in questions:
            member, _ = get_or_create_member(
                session=session, platform=platform, user_id=user, language="lt"
            )
            row = record_unanswered(
                session=session,
                question=text,
                language="lt",
                member_id=member.id,
                platform=platform,
            )
            ids[text] = row.id
    return ids


def group_of(page: str, question_id: int) -> list[int]:
    """The question ids of the group card holding `question_id`, as the page lists them."""
    for listed in re.findall(r'data-questions="([\d,]+)"', page):
        ids = [int(i) for i in listed.split(",")]
        if question_id in ids:
            return ids
    raise AssertionError(f"question {question_id} is in no group")


def test_alike_questions_are_one_group_with_count_languages_and_platforms(
    demo: Database, staff_as: Callable[..., StaffBrowser]
):
    ids = ask_unanswered(demo, *KINDERGARTEN, RUBBISH)
    moderator = staff_as("moderator")
    page = moderator.get("/admin/inbox")
    assert page.status_code == 200
    kindergarten = [ids[text] for text, _, _ in KINDERGARTEN]
    assert sorted(group_of(page.text, kindergarten[0])) == sorted(kindergarten)
    assert group_of(page.text, ids[RUBBISH[0]]) == [ids[RUBBISH[0]]]
    assert "4 open questions in 2 groups" in page.text
    assert "Grouped by the words: darzel, viet" in page.text

    groups = moderator.api("GET", "/admin/api/inbox/groups").json()
    assert [(g["count"], g["platforms"], g["languages"]) for g in groups] == [
        (3, ["telegram", "web"], ["lt"]),
        (1, ["web"], ["lt"]),
    ]
    assert groups[0]["first_asked"] <= groups[0]["last_asked"]


def test_linking_an_article_answers_the_whole_group_and_tells_each_asker_once(
    demo: Database, staff_as: Callable[..., StaffBrowser]
):
    ids = ask_unanswered(demo, *KINDERGARTEN, RUBBISH)
    moderator = staff_as("moderator")
    page = moderator.get("/admin/inbox").text
    assert "lt-darzeliu-priemimas" in page  # suggested for the group
    group = group_of(page, ids[KINDERGARTEN[0][0]])

    answered = moderator.post(
        "/admin/inbox/answer", {"question_id": group, "article_id": "lt-darzeliu-priemimas"}
    )
    assert answered.status_code == 303
    shown = moderator.get("/admin/inbox").text
    assert "3 questions answered with" in shown and "2 members will be told" in shown
    assert "1 open question in 1 group" in shown

    with demo.session() as session:
        rows = session.exec(select(UnansweredQuestion)).all()
        status = {row.question: (row.status, row.article_id) for row in rows}
        notifications = session.exec(select(Notification)).all()
        [entry] = session.exec(select(AuditEntry).where(AuditEntry.action == "inbox.answer")).all()
    for text, _, _ in KINDERGARTEN:
        assert status[text] == (QuestionStatus.ANSWERED, "lt-darzeliu-priemimas")
    assert status[RUBBISH[0]] == (QuestionStatus.OPEN, None)
    assert sorted((n.platform, n.message_key) for n in notifications) == [
        ("telegram", "kb.answer_found"),
        ("web", "kb.answer_found"),
    ]
    assert {n.params["question"] for n in notifications} == {
        KINDERGARTEN[0][0],
        KINDERGARTEN[1][0],
    }
    assert all(n.params["url"].startswith("https://") and n.params["title"] for n in notifications)
    assert entry.target == "lt-darzeliu-priemimas" and entry.staff_email == "moderator@alytus.test"
    assert sorted(q["id"] for q in entry.before["questions"]) == sorted(group)
    assert entry.after == {"status": "answered", "article_id": "lt-darzeliu-priemimas", "told": 2}

    again = moderator.post(
        "/admin/inbox/answer", {"question_id": group, "article_id": "lt-darzeliu-priemimas"}
    )
    assert again.status_code == 303
    with demo.session() as session:
        assert len(session.exec(select(Notification)).all()) == 2  # nobody is told twice


def test_a_moderator_may_link_but_not_write_an_article_and_an_editor_may_both(
    demo: Database, staff_as: Callable[..., StaffBrowser]
):
    ask_unanswered(demo, RUBBISH)
    moderator_page = staff_as("moderator").get("/admin/inbox").text
    assert "Answer with this article" in moderator_page
    assert "Write an article" not in moderator_page
    editor_page = staff_as("editor", email="editor@alytus.test").get("/admin/inbox").text
    write = re.search(r'href="(/admin/kb/new\?questions=\d+)">Write an article', editor_page)
    assert write, "the editor gets no 'Write an article' link"


def test_a_draft_article_cannot_be_linked(demo: Database, staff_as: Callable[..., StaffBrowser]):
    ids = ask_unanswered(demo, RUBBISH)
    moderator = staff_as("moderator")
    with demo.session() as session:
        set_status(
            session=session, article_id="lt-atlieku-tvarkymas", status="draft", author="test"
        )
    refused = moderator.post(
        "/admin/inbox/answer",
        {"question_id": [ids[RUBBISH[0]]], "article_id": "lt-atlieku-tvarkymas"},
    )
    assert refused.status_code == 303
    assert "publish article" in moderator.get("/admin/inbox").text
    with demo.session() as session:
        assert [row.id for row in list_unanswered(session=session)] == [ids[RUBBISH[0]]]


def test_dismissing_a_group_closes_its_questions_and_is_audited(
    demo: Database, staff_as: Callable[..., StaffBrowser]
):
    ids = ask_unanswered(demo, *KINDERGARTEN, RUBBISH)
    moderator = staff_as("moderator")
    dismissed = moderator.post("/admin/inbox/dismiss", {"question_id": [ids[RUBBISH[0]]]})
    assert dismissed.status_code == 303
    assert "1 question dismissed." in moderator.get("/admin/inbox").text
    with demo.session() as session:
        assert session.get(UnansweredQuestion, ids[RUBBISH[0]]).status == "dismissed"
        assert len(list_unanswered(session=session)) == 3
        assert session.exec(select(Notification)).all() == []
        [entry] = session.exec(select(AuditEntry).where(AuditEntry.action == "inbox.dismiss")).all()
    assert entry.before["questions"][0]["question"] == RUBBISH[0]


def test_the_article_search_box_finds_published_articles(
    demo: Database, staff_as: Callable[..., StaffBrowser]
):
    moderator = staff_as("moderator")
    found = moderator.get("/admin/inbox/articles", params={"q": "siukslės", "group": "q1"})
    assert found.status_code == 200 and "<html" not in found.text
    assert 'value="lt-atlieku-tvarkymas"' in found.text
    nothing = moderator.get("/admin/inbox/articles", params={"q": "zzzz"})
    assert "No published article matches" in nothing.text


def test_the_groups_api_wants_a_login(anonymous: StaffBrowser):
    response = anonymous.api("GET", "/admin/api/inbox/groups")
    assert response.status_code == 401 and response.json() == {"detail": "Log in first."}


def test_question_ids_out_of_range_are_refused_not_a_server_error(
    staff_as: Callable[..., StaffBrowser],
):
    moderator = staff_as("moderator")
    for ids in ([99999999999999], [0], []):
        response = moderator.post("/admin/inbox/dismiss", {"question_id": ids})
        assert response.status_code == 422, response.text
