"""`alytus kb import` at the function level: every kind of file, re-imports, bad input."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from sqlmodel import select

from community.database import Database
from knowledge.articles import article_revisions, get_article
from knowledge.demo import ARTICLES_DIR
from knowledge.importer import import_paths
from knowledge.models import Article
from tests.knowledge.conftest import make_pdf

ARTICLE = """---
id: lt-parkavimas
title: "Parkavimas Alytuje"
language: lt
category: transport
source_urls:
  - https://alytus.lt/parkavimas
updated: 2025-03-01
---

# Parkavimas Alytuje

Gyventojo leidimas parkuotis centre kainuoja 15 eurų per mėnesį.
"""


def test_demo_articles_import_once_and_a_second_import_changes_nothing(db: Database):
    first = import_paths(db=db, paths=[ARTICLES_DIR])
    assert first.count("created") == 38 and not first.failed
    second = import_paths(db=db, paths=[ARTICLES_DIR])
    assert second.count("unchanged") == 38
    with db.session() as session:
        article = get_article(session=session, article_id="lt-darzeliu-priemimas")
        assert article.revision == 1
        assert article.updated is not None and article.updated.isoformat() == "2025-02-01"
        assert article.source_urls[0].startswith("https://ugdaualytiski.alytus.lt")


def test_a_changed_file_adds_a_revision_saying_what_changed(db: Database, tmp_path: Path):
    path = tmp_path / "parkavimas.md"
    path.write_text(ARTICLE, encoding="utf-8")
    import_paths(db=db, paths=[path], author="ona")
    path.write_text(ARTICLE.replace("15 eurų", "20 eurų"), encoding="utf-8")
    report = import_paths(db=db, paths=[path], author="jonas")
    assert [line.outcome for line in report.lines] == ["updated"]
    with db.session() as session:
        revisions = article_revisions(session=session, article_id="lt-parkavimas")
        assert [(r.number, r.author, r.change) for r in revisions] == [
            (1, "ona", "created"),
            (2, "jonas", "changed body"),
        ]


def test_bad_files_are_named_in_the_report_and_the_rest_imported(db: Database, tmp_path: Path):
    (tmp_path / "good.md").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ngarbage")
    (tmp_path / "empty.md").write_text("", encoding="utf-8")
    (tmp_path / "bad-front-matter.md").write_text(
        "---\ntitle: [unclosed\nlanguage: lt\n---\nTekstas apie mokyklas.\n", encoding="utf-8"
    )
    (tmp_path / "latvian.md").write_text(
        "---\nid: lv-x\ntitle: X\nlanguage: lv\n---\nTeksts.\n", encoding="utf-8"
    )
    (tmp_path / "no-language.md").write_text("# Lorem\n\nLorem ipsum dolor sit amet.\n")
    report = import_paths(db=db, paths=sorted(tmp_path.iterdir()))
    outcome = {line.path.name: (line.outcome, line.message) for line in report.lines}
    assert outcome["good.md"][0] == "created"
    assert outcome["broken.pdf"][0] == "failed" and "PDF" in outcome["broken.pdf"][1]
    assert outcome["empty.md"] == ("failed", "empty file")
    assert "front matter" in outcome["bad-front-matter.md"][1]
    assert "unknown language 'lv'" in outcome["latvian.md"][1]
    assert "unknown language" in outcome["no-language.md"][1]
    with db.session() as session:
        assert [a.id for a in session.exec(select(Article))] == ["lt-parkavimas"]


def test_pdf_docx_and_html_become_articles(db: Database, tmp_path: Path):
    (tmp_path / "decision-t99.pdf").write_bytes(
        make_pdf(
            [
                "The council decided on parking permits for the city centre.",
                "A permit costs 15 EUR a month.",
            ]
        )
    )
    document = docx.Document()
    document.add_heading("Snow clearing in Alytus", level=1)
    document.add_paragraph("Pavements are cleared by the owners of the buildings next to them.")
    document.save(str(tmp_path / "snow.docx"))
    (tmp_path / "library.html").write_text(
        "<html lang='en'><head><title>Library hours</title></head><body>"
        "<nav><a href='/'>Home</a> | <a href='/news'>News</a> | Cookie settings</nav>"
        "<main><article><h1>Library hours</h1><p>The central library in Alytus is open "
        "from 10:00 to 19:00 on weekdays and from 10:00 to 16:00 on Saturdays, and it is "
        "closed on Sundays and public holidays throughout the year.</p></article></main>"
        "<footer>Copyright city council. Privacy policy.</footer></body></html>",
        encoding="utf-8",
    )
    report = import_paths(db=db, paths=[tmp_path])
    assert report.count("created") == 3, [str(line) for line in report.lines]
    with db.session() as session:
        pdf = get_article(session=session, article_id="decision-t99")
        assert pdf.language == "en" and "15 EUR a month" in pdf.body
        snow = get_article(session=session, article_id="snow")
        assert snow.title == "Snow clearing in Alytus" and "# Snow clearing" in snow.body
        html = get_article(session=session, article_id="library")
        assert "10:00 to 19:00" in html.body
        assert "Cookie settings" not in html.body and "Privacy policy" not in html.body


@pytest.mark.parametrize(
    "link", ["javascript:alert(document.cookie)", "data:text/html,<b>x</b>", "/relative", "ftp://x"]
)
def test_a_source_link_must_be_a_web_address(db: Database, tmp_path: Path, link: str):
    """A source link is shown to members as a link; before, `javascript:` was accepted."""
    (tmp_path / "tricky.md").write_text(
        f"---\nid: lt-x\ntitle: X\nlanguage: lt\nsource_urls:\n  - '{link}'\n---\nTekstas.\n",
        encoding="utf-8",
    )
    report = import_paths(db=db, paths=[tmp_path / "tricky.md"])
    (line,) = report.lines
    assert line.outcome == "failed" and "must be a web address" in line.message
