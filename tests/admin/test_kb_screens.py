"""The knowledge-base screens as an editor uses them: edit and publish (the bot answers from
the new text at once), compare revisions, roll back, import files, and the JSON API."""

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
from knowledge.answers import Answer, answer_question
from knowledge.articles import city_today, get_article
from knowledge.demo import ARTICLES_DIR
from knowledge.importer import import_paths
from knowledge.inbox import list_unanswered, record_unanswered
from knowledge.models import Article, QuestionStatus
from tests.admin.console import StaffBrowser
from tests.knowledge.conftest import make_pdf

FEE_QUESTION = "What's the daily kindergarten charge for a 3-year-old?"
FEE_LINE = "- children aged 3–6: 3.40 EUR per day attended;"
NEW_FEE_LINE = "- children aged 3–6: 3.95 EUR per day attended;"
WINTER_NOTICE = [
    "Winter timetable of the city buses",
    "From 1 December the city buses run on the winter timetable and the",
    "new times are on the website of the bus company.",
]


@pytest.fixture
def settings(kb_settings: Settings) -> Settings:
    """The session-wide Chroma folder: demo articles are embedded once for all tests."""
    return kb_settings


@pytest.fixture
def demo(db: Database) -> Iterator[Database]:
    report = import_paths(db=db, paths=[ARTICLES_DIR], author="demo")
    assert not report.failed, report.failed
    yield db


def ask(db: Database, settings: Settings, question: str, language: str = "en") -> Answer:
    with db.session() as session:
        return answer_question(
            session=session, settings=settings, question=question, language=language
        )


def editor_fields(page: str) -> dict[str, str]:
    """The editor form's fields as the browser would post them back unchanged."""
    fields = dict(re.findall(r'<input[^>]*name="(\w+)" value="([^"]*)"', page))
    fields.pop("csrf_token", None)
    for name in ("body", "source_urls"):
        found = re.search(rf'<textarea name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
        assert found, f"no {name} in the editor"
        fields[name] = unescape(found.group(1))
    fields["language"] = re.search(r'<option value="(\w+)" selected>', page).group(1)
    return {name: unescape(value) for name, value in fields.items()}


def unescape(text: str) -> str:
    import html

    return html.unescape(text)


def audit(db: Database, action: str) -> list[AuditEntry]:
    with db.session() as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


def edit(editor: StaffBrowser, article_id: str, **changes: str) -> dict[str, str]:
    page = editor.get(f"/admin/kb/article/{article_id}")
    assert page.status_code == 200, page.text
    return {**editor_fields(page.text), **changes}


def test_an_editor_changes_a_fee_and_the_bot_answers_with_the_new_one(
    demo: Database, settings: Settings, staff_as: Callable[..., StaffBrowser]
):
    assert "3.40" in ask(demo, settings, FEE_QUESTION).text
    editor = staff_as("editor")
    fields = edit(editor, "en-kindergartens")
    assert FEE_LINE in fields["body"]
    fields["body"] = fields["body"].replace("3.40", "3.95")

    saved = editor.post("/admin/kb/article/en-kindergartens", {**fields, "action": "save"})
    assert saved.status_code == 303, saved.text
    page = editor.get(saved.headers["location"])
    assert "members see the new text now" in page.text

    answer = ask(demo, settings, FEE_QUESTION)
    assert answer.sources[0].id == "en-kindergartens"
    assert "3.95" in answer.text and "3.40" not in answer.text
    assert answer.sources[0].updated == city_today()  # not the old date beside the new fee
    [entry] = audit(demo, "kb.save")
    assert entry.target == "en-kindergartens" and entry.staff_email == "editor@alytus.test"
    assert FEE_LINE in entry.before["body"] and NEW_FEE_LINE in entry.after["body"]


def test_a_date_staff_give_is_kept_and_a_draft_edit_is_dated_when_published(
    demo: Database, settings: Settings, staff_as: Callable[..., StaffBrowser]
):
    editor = staff_as("editor")
    fields = edit(editor, "en-kindergartens", updated="2026-01-15")
    fields["body"] = fields["body"].replace("3.40", "3.60")
    editor.post("/admin/kb/article/en-kindergartens", {**fields, "action": "save"})
    assert ask(demo, settings, FEE_QUESTION).sources[0].updated.isoformat() == "2026-01-15"

    editor.post("/admin/kb/article/en-kindergartens/archive")
    fields = edit(editor, "en-kindergartens")
    fields["body"] = fields["body"].replace("3.60", "3.70")
    editor.post("/admin/kb/article/en-kindergartens", {**fields, "action": "save"})
    with demo.session() as session:  # an archived article's edit is not read by anyone yet
        assert get_article(session=session, article_id="en-kindergartens").updated.isoformat() == (
            "2026-01-15"
        )
    editor.post("/admin/kb/article/en-kindergartens/publish")
    answer = ask(demo, settings, FEE_QUESTION)
    assert "3.70" in answer.text and answer.sources[0].updated == city_today()


def test_a_new_article_is_a_draft_until_published_and_publishing_tells_who_asked(
    demo: Database, settings: Settings, staff_as: Callable[..., StaffBrowser]
):
    question = "Where can I buy a fishing permit for Lake Daugai?"
    assert not ask(demo, settings, question).answered
    with demo.session() as session:
        member, _ = get_or_create_member(
            session=session, platform="telegram", user_id="fisher", language="en"
        )
        record_unanswered(
            session=session, question=question, language="en", member_id=member.id,
            platform="telegram",
        )  # fmt: skip
    editor = staff_as("editor")
    fields = {
        "title": "Fishing permits for Lake Daugai",
        "language": "en",
        "category": "leisure",
        "source_urls": "https://www.zvejok.lt",
        "body": "# Fishing permits\n\nA fishing permit for Lake Daugai is bought online at "
        "www.zvejok.lt or at the Alytus tourism information centre.",
    }
    created = editor.post("/admin/kb/new", {**fields, "action": "save"})
    assert created.status_code == 303, created.text
    assert created.headers["location"] == "/admin/kb/article/en-fishing-permits-for-lake-daugai"
    assert "badge draft" in editor.get(created.headers["location"]).text
    assert not ask(demo, settings, question).answered

    published = editor.post("/admin/kb/article/en-fishing-permits-for-lake-daugai/publish")
    assert published.status_code == 303
    page = editor.get(published.headers["location"]).text
    assert "Published. 1 member told their question is now answered." in page

    answer = ask(demo, settings, question)
    assert answer.answered and answer.sources[0].id == "en-fishing-permits-for-lake-daugai"
    with demo.session() as session:
        [told] = session.exec(select(Notification)).all()
        assert (told.member_id, told.platform, told.message_key) == (
            member.id,
            "telegram",
            "kb.answer_found",
        )
        assert told.params["url"] == "https://www.zvejok.lt"
        assert list_unanswered(session=session) == []
    assert [e.action for e in audit(demo, "kb.save") + audit(demo, "kb.publish")] == [
        "kb.save",
        "kb.publish",
    ]


def test_a_revision_shows_the_changed_line_and_a_rollback_restores_it(
    demo: Database, settings: Settings, staff_as: Callable[..., StaffBrowser]
):
    editor = staff_as("editor")
    fields = edit(editor, "en-kindergartens")
    fields["body"] = fields["body"].replace(FEE_LINE, NEW_FEE_LINE)
    assert editor.post("/admin/kb/article/en-kindergartens", fields).status_code == 303

    revisions = editor.get("/admin/kb/article/en-kindergartens/revisions")
    assert revisions.status_code == 200
    assert f'<div class="del">- {FEE_LINE}</div>' in revisions.text
    assert f'<div class="add">+ {NEW_FEE_LINE}</div>' in revisions.text
    # the fee line, and the date members read, which the edit made today
    assert f'<div class="add">+ Updated: {city_today().isoformat()}</div>' in revisions.text
    assert revisions.text.count('class="add"') == 2 and revisions.text.count('class="del"') == 2
    first = editor.get("/admin/kb/article/en-kindergartens/revisions?show=1&against=current")
    assert f'<div class="add">+ {NEW_FEE_LINE}</div>' in first.text

    rolled = editor.post("/admin/kb/article/en-kindergartens/rollback", {"revision": "1"})
    assert rolled.status_code == 303
    assert "Rolled back to revision 1." in editor.get(rolled.headers["location"]).text
    with demo.session() as session:
        article = get_article(session=session, article_id="en-kindergartens")
        assert FEE_LINE in article.body and article.revision == 3
    assert "3.40" in ask(demo, settings, FEE_QUESTION).text
    [entry] = audit(demo, "kb.rollback")
    assert NEW_FEE_LINE in entry.before["body"] and FEE_LINE in entry.after["body"]


def test_a_save_over_someone_elses_newer_revision_is_refused_and_keeps_the_text(
    demo: Database, staff_as: Callable[..., StaffBrowser]
):
    editor = staff_as("editor")
    mine = edit(editor, "en-kindergartens", body="My version of the text.")
    theirs = edit(editor, "en-kindergartens", body="Their version of the text.")
    assert editor.post("/admin/kb/article/en-kindergartens", theirs).status_code == 303
    refused = editor.post("/admin/kb/article/en-kindergartens", mine)
    assert refused.status_code == 422
    assert "Someone saved this article meanwhile" in refused.text
    assert "My version of the text." in refused.text
    with demo.session() as session:
        assert get_article(session=session, article_id="en-kindergartens").body == (
            "Their version of the text."
        )


def test_an_article_without_a_title_is_refused_with_the_reason(
    demo: Database, staff_as: Callable[..., StaffBrowser]
):
    editor = staff_as("editor")
    refused = editor.post(
        "/admin/kb/new", {"title": " ", "language": "en", "body": "Some text", "article_id": "x"}
    )
    assert refused.status_code == 422 and "the article has no title" in refused.text
    bad_date = editor.post(
        "/admin/kb/new",
        {"title": "T", "language": "en", "body": "Text", "valid_until": "next year"},
    )
    assert bad_date.status_code == 422 and "is not a date" in bad_date.text


def test_archiving_stops_the_bot_answering_from_the_article(
    demo: Database, settings: Settings, staff_as: Callable[..., StaffBrowser]
):
    editor = staff_as("editor")
    archived = editor.post("/admin/kb/article/en-kindergartens/archive")
    assert archived.status_code == 303
    assert "en-kindergartens" not in [s.id for s in ask(demo, settings, FEE_QUESTION).sources]
    [entry] = audit(demo, "kb.archive")
    assert (entry.before["status"], entry.after["status"]) == ("published", "archived")


def test_the_preview_renders_markdown_and_drops_scripts(
    demo: Database, staff_as: Callable[..., StaffBrowser]
):
    editor = staff_as("editor")
    preview = editor.post(
        "/admin/kb/preview",
        {"body": "## Fees\n\n**3.40 EUR** a day <script>alert(1)</script> [x](javascript:x)"},
    )
    assert preview.status_code == 200
    assert "<h2>Fees</h2>" in preview.text and "<strong>3.40 EUR</strong>" in preview.text
    assert "<script" not in preview.text and "&lt;script&gt;" in preview.text
    assert 'href="javascript' not in preview.text


def test_the_list_finds_articles_by_text_without_diacritics_and_by_status(
    demo: Database, staff_as: Callable[..., StaffBrowser]
):
    editor = staff_as("editor")
    found = editor.get("/admin/kb?q=darzeliu&language=lt")
    assert "/admin/kb/article/lt-darzeliu-priemimas" in found.text
    assert "/admin/kb/article/en-kindergartens" not in found.text
    assert "/admin/kb/article/" not in editor.get("/admin/kb?status=draft").text
    assert editor.get("/admin/kb?status=lost").status_code == 422


def test_a_long_list_pages_through_every_article_keeping_the_filter(
    db: Database, staff_as: Callable[..., StaffBrowser]
):
    with db.session() as session:
        for number in range(130):
            session.add(
                Article(
                    id=f"lt-pastaba-{number:03d}",
                    title=f"Pastaba {number:03d}",
                    language="lt",
                    category="pastabos",
                    body="Tekstas.",
                )
            )
        session.add(
            Article(id="en-note", title="Note", language="en", category="pastabos", body=".")
        )
    editor = staff_as("editor")
    first = editor.get("/admin/kb?language=lt&category=pastabos").text
    assert "130 articles match the filter" in first and "page 1 of 2" in first
    shown = set(re.findall(r'href="/admin/kb/article/([\w-]+)"', first))
    assert len(shown) == 100
    following = re.search(r'rel="next" href="\?([^"]+)"', first)
    assert following, "no link to the next page"
    second = editor.get(f"/admin/kb?{unescape(following.group(1))}").text
    rest = set(re.findall(r'href="/admin/kb/article/([\w-]+)"', second))
    assert len(rest) == 30 and not rest & shown and "en-note" not in rest
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert editor.get("/admin/kb?page=0").status_code == 422
    assert "No article matches" in editor.get("/admin/kb?category=pastabos&page=9").text


def test_an_import_names_the_broken_file_and_keeps_the_good_ones(
    demo: Database, staff_as: Callable[..., StaffBrowser]
):
    good = (
        "---\nid: lt-parkavimas\ntitle: Parkavimas Alytuje\nlanguage: lt\n---\n\n"
        "Gyventojo leidimas parkuotis centre kainuoja 15 eurų per mėnesį.\n"
    )
    broken_front_matter = "---\ntitle: [unclosed\nlanguage: lt\n---\n\nTekstas.\n"
    editor = staff_as("editor")
    report = editor.post(
        "/admin/kb/import",
        {"status": "published"},
        files=[
            ("files", ("parkavimas.md", good.encode(), "text/markdown")),
            ("files", ("sugadintas.md", broken_front_matter.encode(), "text/markdown")),
            ("files", ("scan.pdf", b"%PDF-1.4 not really a pdf", "application/pdf")),
            ("files", ("notice.pdf", make_pdf(WINTER_NOTICE), "application/pdf")),
        ],
    )
    assert report.status_code == 200, report.text
    outcomes = {
        name: outcome
        for outcome, name in re.findall(
            r'<tr class="import-(\w+)">\s*<td>([^<]+)</td>', report.text
        )
    }
    assert outcomes == {
        "parkavimas.md": "created",
        "sugadintas.md": "failed",
        "scan.pdf": "failed",
        "notice.pdf": "created",
    }
    assert "bad front matter" in report.text and "broken PDF" in report.text
    with demo.session() as session:
        article = session.get(Article, "lt-parkavimas")
        assert article is not None and article.status == "published"
        assert article.source_file == "parkavimas.md"
    assert sorted(entry.target for entry in audit(demo, "kb.import")) == [
        "lt-parkavimas",
        "notice",
    ]


def test_new_article_from_inbox_questions_is_prefilled(
    demo: Database, staff_as: Callable[..., StaffBrowser]
):
    with demo.session() as session:
        ids = [
            record_unanswered(
                session=session, question=text, language="lt", member_id=None, platform="web"
            ).id
            for text in ("kur pirkti zvejybos leidima?", "zvejybos leidimas Dauguose")
        ]
    editor = staff_as("editor")
    page = editor.get(f"/admin/kb/new?questions={ids[0]}&questions={ids[1]}")
    assert page.status_code == 200
    assert 'value="Kur pirkti zvejybos leidima"' in page.text
    assert "- zvejybos leidimas Dauguose" in page.text
    with demo.session() as session:
        assert {row.status for row in list_unanswered(session=session)} == {QuestionStatus.OPEN}


def test_a_moderator_cannot_open_the_knowledge_base(
    demo: Database, staff_as: Callable[..., StaffBrowser]
):
    moderator = staff_as("moderator")
    assert moderator.get("/admin/kb").status_code == 403
    assert moderator.get("/admin/kb/article/en-kindergartens").status_code == 403
    assert moderator.post("/admin/kb/article/en-kindergartens/archive").status_code == 403
    assert moderator.api("GET", "/admin/api/kb/articles").status_code == 403
    with demo.session() as session:
        assert get_article(session=session, article_id="en-kindergartens").status == "published"


def test_the_api_lists_articles_and_answers_404_and_422_as_json(
    demo: Database, staff_as: Callable[..., StaffBrowser], anonymous: StaffBrowser
):
    editor = staff_as("editor")
    listed = editor.api(
        "GET", "/admin/api/kb/articles", params={"q": "kindergarten", "language": "en"}
    )
    assert listed.status_code == 200
    assert "en-kindergartens" in [row["id"] for row in listed.json()]
    assert set(listed.json()[0]) == {
        "id", "title", "language", "category", "status", "revision", "modified_at",
    }  # fmt: skip
    one = editor.api("GET", "/admin/api/kb/articles/en-kindergartens")
    assert one.status_code == 200 and "3.40 EUR" in one.json()["body"]
    missing = editor.api("GET", "/admin/api/kb/articles/no-such-article")
    assert missing.status_code == 404 and "no-such-article" in missing.json()["detail"]
    assert editor.api("GET", "/admin/api/kb/articles/BAD%00ID").status_code == 400  # text_guard
    assert editor.api("GET", "/admin/api/kb/articles?status=lost").status_code == 422
    assert anonymous.api("GET", "/admin/api/kb/articles").status_code == 401


@pytest.mark.parametrize(
    "path",
    [
        "/admin/api/kb/articles?q=%00",
        "/admin/api/kb/articles?q=" + "ž" * 201,
        "/admin/api/kb/articles?language=%00",
        "/admin/api/kb/articles/%C5%BE",
        "/admin/api/kb/articles/" + "a" * 121,
        "/admin/api/inbox/groups?x=%00",
        "/admin/kb?q=%00&category=%00",
        "/admin/kb/article/a%00b/revisions",
        "/admin/kb/new?questions=-1&questions=99999999999999999999",
        "/admin/inbox/articles?q=%00",
    ],
)
def test_odd_requests_get_an_answer_never_a_server_error(
    demo: Database, staff_as: Callable[..., StaffBrowser], path: str
):
    response = staff_as("admin").get(path)
    assert response.status_code in (200, 400, 404, 422), response.text
