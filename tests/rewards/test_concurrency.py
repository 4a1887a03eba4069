"""Two processes awarding at the same moment: the journal still pays once and caps hold.
PostgreSQL only (SQLite has one writer at a time, so it never races)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator

import pytest
from sqlmodel import func, select

from admin.schema import SCHEMAS
from community.database import Database, make_engine, migrate
from community.settings import Settings
from rewards.journal import AwardResult, award
from rewards.models import RewardEvent
from tests.rewards.members import make_member

pytestmark = pytest.mark.skipif(
    not os.environ.get("ALYTUS_TEST_DATABASE_URL"), reason="needs PostgreSQL"
)


@pytest.fixture
def shared_db(live_database_url: str) -> Iterator[Database]:
    migrate(live_database_url, SCHEMAS)
    engine = make_engine(live_database_url)
    yield Database(engine)
    engine.dispose()


def _race(db: Database, settings: Settings, calls: list[Callable[..., AwardResult]]) -> list:
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index: int) -> None:
        with db.session() as session:
            barrier.wait()
            results[index] = calls[index](session=session, settings=settings)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_the_same_award_at_once_is_written_once(shared_db: Database, settings: Settings):
    with shared_db.session() as session:
        member_id = make_member(session).id

    def same(*, session, settings):
        return award(
            session=session,
            settings=settings,
            member_id=member_id,
            rule="onboarding.complete",
            key=str(member_id),
        )

    results = _race(shared_db, settings, [same] * 4)
    assert sorted(r.refused or "awarded" for r in results) == ["awarded"] + ["duplicate"] * 3


def test_a_cap_holds_when_awards_race(shared_db: Database, settings: Settings):
    with shared_db.session() as session:
        member_id = make_member(session).id

    def keyed(key: str):
        def call(*, session, settings):
            return award(
                session=session,
                settings=settings,
                member_id=member_id,
                rule="onboarding.complete",
                key=key,
            )

        return call

    results = _race(shared_db, settings, [keyed(f"k{n}") for n in range(4)])
    assert sorted(r.refused or "awarded" for r in results) == ["awarded"] + ["cap_total"] * 3
    with shared_db.session() as session:
        count = session.exec(select(func.count()).where(RewardEvent.member_id == member_id)).one()
    assert count == 1
