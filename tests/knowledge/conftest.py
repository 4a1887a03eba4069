"""Knowledge fixtures: one index folder for the whole session (the embedding model loads once
and caches passage vectors), the demo articles imported inside each test's transaction, and
small files of every kind the importer reads."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from community.database import Database
from community.settings import Settings
from knowledge.demo import ARTICLES_DIR
from knowledge.importer import import_paths


@pytest.fixture
def settings(kb_settings: Settings) -> Settings:
    """Like the shared fixture, but the Chroma folder lives as long as the session."""
    return kb_settings


@pytest.fixture
def demo_db(db: Database) -> Iterator[Database]:
    """The database with the demo articles published (rolled back after the test)."""
    report = import_paths(db=db, paths=[ARTICLES_DIR], author="test")
    assert not report.failed, report.failed
    yield db


def make_pdf(lines: list[str]) -> bytes:
    """A minimal one-page PDF whose text pypdf can extract (ASCII lines)."""
    content = (
        "BT /F1 12 Tf 72 720 Td 14 TL "
        + " ".join("(" + line.replace("(", r"\(").replace(")", r"\)") + ") Tj T*" for line in lines)
        + " ET"
    )
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out
