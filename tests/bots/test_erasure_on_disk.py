"""After erasure, the member's words are not left readable in the database's files.

Before: the rows were deleted, but their old versions stayed in alytus.db-wal (and in the
database's free pages) until some later checkpoint. Now SQLite runs with secure_delete, and
an erasure writes the WAL into the database and empties it. (PostgreSQL keeps dead rows
until VACUUM; the README says when autovacuum runs.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from admin.schema import SCHEMAS
from bots.engine import Engine
from bots.testing import BotTester
from community.database import Database, make_engine, migrate
from community.settings import Settings
from knowledge.answers import Answer

WORDS = "mano kaimyno zuikis Rainis graužia tvorą"


class AlwaysAService:
    """Reads every text as a service question (what is tested is the disk, not the model)."""

    def parse(self, text: str, language_hint: str | None = None) -> dict:
        return {"intent": {"name": "service_question", "confidence": 0.99}, "entities": []}


def no_article(*, session, settings, question, language):  # type: ignore[no-untyped-def]
    return Answer(answered=False, text="", sources=[], confidence=0.1, language=language)


def on_disk(database: Path) -> bytes:
    files = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
    return b"".join(path.read_bytes() for path in files if path.exists())


def test_an_erased_members_question_is_gone_from_every_database_file(
    live_database_url: str, settings: Settings
):
    if not live_database_url.startswith("sqlite:///"):
        pytest.skip("the files of an SQLite database; PostgreSQL: VACUUM (README)")
    database = Path(live_database_url.removeprefix("sqlite:///"))
    migrate(live_database_url, SCHEMAS)
    engine = Engine(
        db=Database(make_engine(live_database_url)),
        settings=settings,
        parser=AlwaysAService(),
        answer=no_article,
    )
    member = BotTester(engine=engine, user_id="zuikis")
    member.say(WORDS)  # no article answers: filed for staff, with its words
    assert WORDS.encode() in on_disk(database)
    member.say("/privacy")
    member.press("privacy:erase")
    member.press("privacy:erase:yes")
    assert WORDS.encode() not in on_disk(database)
    assert not Path(f"{database}-wal").exists() or Path(f"{database}-wal").stat().st_size == 0
