"""Shared fixtures: a real database (SQLite, or PostgreSQL when ALYTUS_TEST_DATABASE_URL is
set) migrated once per session, and a transaction per test that is rolled back.

ALYTUS_TEST_DATABASE_URL names a PostgreSQL server database to create test databases from,
e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from admin.schema import SCHEMAS
from bots.engine import Engine as BotEngine
from bots.testing import BotTester
from community.database import Database, make_engine, migrate
from community.settings import Settings

POSTGRES_ENV = "ALYTUS_TEST_DATABASE_URL"
pytest_plugins = ["tests.fakes.smtp_server"]  # the `smtp` fixture: a real SMTP server


def _create_postgres_database(server_url: str) -> str:
    name = f"alytus_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(server_url: str, url: str) -> None:
    name = make_url(url).database
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A freshly migrated database for the whole test session."""
    server = os.environ.get(POSTGRES_ENV)
    if server:
        url = _create_postgres_database(server)
        migrate(url, SCHEMAS)
        yield url
        _drop_postgres_database(server, url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'alytus.db'}"
        migrate(url, SCHEMAS)
        yield url


@pytest.fixture(scope="session")
def db_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db(db_engine: Engine) -> Iterator[Database]:
    """The database inside one transaction, rolled back after the test."""
    connection = db_engine.connect()
    transaction = connection.begin()
    yield Database(connection)
    transaction.rollback()
    connection.close()


@pytest.fixture(scope="session")
def fresh_database() -> Iterator[Callable[[Path], str]]:
    """Makes empty, unmigrated databases (SQLite files, or PostgreSQL databases dropped at
    the end), for tests that run `alytus` in a subprocess."""
    server = os.environ.get(POSTGRES_ENV)
    created: list[str] = []

    def make(folder: Path) -> str:
        if not server:
            return f"sqlite:///{folder / 'live.db'}"
        url = _create_postgres_database(server)
        created.append(url)
        return url

    yield make
    for url in created:
        _drop_postgres_database(server or "", url)


@pytest.fixture
def live_database_url(fresh_database: Callable[[Path], str], tmp_path: Path) -> str:
    """A database of its own for one test."""
    return fresh_database(tmp_path)


@pytest.fixture(scope="module")
def module_database_url(
    fresh_database: Callable[[Path], str], tmp_path_factory: pytest.TempPathFactory
) -> str:
    """A database of its own shared by one test module (e.g. one live server)."""
    return fresh_database(tmp_path_factory.mktemp("live"))


@pytest.fixture(scope="session")
def nlu_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One NLU model cache for the session; subprocesses get it as ALYTUS_NLU_DIR."""
    return tmp_path_factory.mktemp("nlu-cache")


@pytest.fixture(scope="session")
def nlu_parser(nlu_cache_dir: Path):  # type: ignore[no-untyped-def]
    """The real NLU model, trained once per test session (about 30 s)."""
    from nlu.parser import load_parser

    return load_parser(cache_dir=nlu_cache_dir)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", public_url="https://connect.alytus.test")


@pytest.fixture
def engine(db: Database, settings: Settings) -> BotEngine:
    return BotEngine(db=db, settings=settings)


@pytest.fixture
def bot(engine: BotEngine) -> BotTester:
    """A member talking to the bot in-process, like a terminal user."""
    return BotTester(engine=engine, user_id="emigrant-1")


@pytest.fixture(scope="session")
def kb_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One ALYTUS_HOME for knowledge tests: the Chroma folder and cached passage vectors
    last the whole session, so the embedding model loads once."""
    return tmp_path_factory.mktemp("kb-home")


@pytest.fixture
def kb_settings(kb_home: Path) -> Settings:
    return Settings(home=kb_home, public_url="https://connect.alytus.test")
