"""The database everyone uses: engine, sessions and Alembic migrations.

SQL holds the truth (DESIGN.md). Every room reaches the database through a `Database`
object, so tests can bind it to one connection inside a transaction that is rolled back.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, create_engine

from community.settings import Settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
WRITE = re.compile(
    r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE
)


def make_engine(url: str) -> Engine:
    """An engine for SQLite or PostgreSQL with the options each needs."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_pre_ping=True
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            # Let SQLAlchemy, not pysqlite, open transactions: SAVEPOINT then works
            # (SQLAlchemy's documented recipe for pysqlite).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            # deleted rows are overwritten with zeros, not left readable in free pages
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection) -> None:  # type: ignore[no-untyped-def]
            # IMMEDIATE: take the write lock at the start. A deferred transaction that read
            # first and writes later fails at once ("database is locked", no busy wait) when
            # another process (the ledger thread, a CLI command) wrote in between.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class Database:
    """Opens sessions on one engine, or on one connection (tests roll it back)."""

    def __init__(self, bind: Engine | Connection) -> None:
        self.bind = bind
        self._sessions = sessionmaker(
            bind=bind,
            class_=Session,
            expire_on_commit=False,
            join_transaction_mode="create_savepoint",
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        """The database the settings name; creates ALYTUS_HOME for the SQLite default."""
        if not settings.database_url:
            settings.home_dir.mkdir(parents=True, exist_ok=True)
        return cls(make_engine(settings.resolved_database_url))

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with self._sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def forget_erased(self) -> bool:
        """After an erasure (committed): on SQLite, write the WAL into the database and empty
        it, so earlier versions of the erased rows are not left readable in alytus.db-wal
        (secure_delete has zeroed them in the database file). True when the WAL is empty.
        PostgreSQL keeps dead rows until VACUUM, which autovacuum runs (see README)."""
        if self.bind.dialect.name != "sqlite" or isinstance(self.bind, Connection):
            return False
        for _ in range(20):
            raw = self.bind.raw_connection()
            try:
                cursor = raw.cursor()
                busy, _, _ = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                cursor.close()
            finally:
                raw.close()
            if not busy:
                return True
            time.sleep(0.05)  # a reader in another connection holds the WAL a moment
        return False

    @property
    def is_postgresql(self) -> bool:
        return self.bind.dialect.name == "postgresql"


@contextmanager
def written_tables(session: Session) -> Iterator[set[str]]:
    """The names of the tables the block writes to (INSERT, UPDATE, DELETE), read from the
    SQL it sends, whoever sends it (ORM flushes and Core statements alike)."""
    written: set[str] = set()
    connection = session.connection()

    def note(_conn, _cursor, statement: str, *_args: object) -> None:  # type: ignore[no-untyped-def]
        found = WRITE.match(statement)
        if found:
            written.add(found.group(1).lower())

    event.listen(connection, "before_cursor_execute", note)
    try:
        yield written
    finally:
        event.remove(connection, "before_cursor_execute", note)


@dataclass(frozen=True)
class Schema:
    """A room's share of the schema: its migrations folder and the module with its models.

    Each room owns its migrations (an Alembic branch); the top of the app (admin) lists
    every room's Schema, so community never imports the rooms above it.
    """

    versions: Path
    models: str


COMMUNITY_SCHEMA = Schema(versions=MIGRATIONS_DIR / "versions", models="community.models")


def alembic_config(url: str, schemas: Sequence[Schema] = (COMMUNITY_SCHEMA,)) -> Config:
    """Alembic configuration built in code, so no alembic.ini has to be found on disk."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    config.set_main_option(
        "version_locations", os.pathsep.join(str(schema.versions) for schema in schemas)
    )
    config.set_main_option("model_modules", ",".join(schema.models for schema in schemas))
    return config


def migrate(url: str, schemas: Sequence[Schema] = (COMMUNITY_SCHEMA,)) -> None:
    """Bring the database at `url` to the newest schema of every room given (idempotent)."""
    command.upgrade(alembic_config(url, schemas), "heads")
