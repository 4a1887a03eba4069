"""The demo knowledge base: the shared test articles about Alytus services (`articles/`), the
labelled development questions (`dev-questions.jsonl`) that `alytus kb eval` reads, our own
second set (`member-questions.jsonl`): short, typo-ridden questions as members type them, and
the calibration set (`calibration-questions.jsonl`): 450 questions written independently of the
code, in and out of scope, each marked "tune" or "held_out". The first two sets and the tune
lines were used to tune the retrieval and its "don't know"; only the held-out lines measure it."""

from __future__ import annotations

from pathlib import Path

from community.database import Database
from community.settings import Settings

DEMO_DIR = Path(__file__).parent
ARTICLES_DIR = DEMO_DIR / "articles"
DEV_QUESTIONS = DEMO_DIR / "dev-questions.jsonl"
MEMBER_QUESTIONS = DEMO_DIR / "member-questions.jsonl"
CALIBRATION_QUESTIONS = DEMO_DIR / "calibration-questions.jsonl"


def load_demo_articles(db: Database, settings: Settings) -> list[str]:
    """Import the demo articles and index them; report lines for `alytus init --demo`."""
    from knowledge.importer import import_paths
    from knowledge.index import get_index

    report = import_paths(db=db, paths=[ARTICLES_DIR], author="demo")
    lines = [str(line) for line in report.failed]
    with db.session() as session:
        sync = get_index(settings).sync(session)
    indexed = f", {sync.chunks} chunks indexed" if sync else ""
    lines.append(f"knowledge base: {report.summary()}{indexed}")
    return lines
