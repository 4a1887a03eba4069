"""Migrations build the schema on SQLite and PostgreSQL; settings come from ALYTUS_*."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from admin.schema import SCHEMAS
from community.database import Database, make_engine, migrate
from community.members import get_or_create_member, record_consent
from community.models import ChannelIdentity
from community.profile import ConsentPurpose
from community.settings import Settings


def test_migrations_create_every_table_and_run_twice_safely(live_database_url: str):
    migrate(live_database_url, SCHEMAS)
    migrate(live_database_url, SCHEMAS)
    engine = make_engine(live_database_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"member", "channelidentity", "consent", "processedupdate", "conversation"} <= tables
    assert "alembic_version" in tables


def test_settings_read_the_environment_and_dotenv(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("ALYTUS_PUBLIC_URL=https://connect.alytus.lt\n")
    monkeypatch.setenv("ALYTUS_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("ALYTUS_DATABASE_URL", raising=False)
    settings = Settings()
    assert settings.public_url == "https://connect.alytus.lt"
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'data' / 'alytus.db'}"


def test_the_sqlite_default_lives_in_alytus_home(tmp_path: Path):
    settings = Settings(home=tmp_path / "new-home")
    Database.from_settings(settings)
    assert (tmp_path / "new-home").is_dir()


def test_one_platform_account_belongs_to_one_member(db: Database):
    with db.session() as session:
        first, created = get_or_create_member(
            session=session, platform="telegram", user_id="42", language="lt"
        )
        again, created_again = get_or_create_member(
            session=session, platform="telegram", user_id="42", language="en"
        )
        assert created and not created_again and first.id == again.id
        with pytest.raises(IntegrityError), session.begin_nested():
            session.add(
                ChannelIdentity(member_id=first.id, platform="telegram", platform_user_id="42")
            )
            session.flush()


def test_consent_history_keeps_every_decision(db: Database):
    from community.members import consent_history, current_consents

    with db.session() as session:
        member, _ = get_or_create_member(
            session=session, platform="web", user_id="w", language="lt"
        )
        for granted in (True, False, True):
            record_consent(
                session=session,
                member_id=member.id,
                purpose=ConsentPurpose.NEWS,
                granted=granted,
                notice_version="2026-11",
                source="web",
            )
        assert [c.granted for c in consent_history(session=session, member_id=member.id)] == [
            True,
            False,
            True,
        ]
        assert current_consents(session=session, member_id=member.id)["news"] is True
