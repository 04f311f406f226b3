"""The relational store: engine, sessions and schema migrations.

SQLite under the data dir is the embedded default; PostgreSQL is used when
``HOCVUSO_DATABASE_URL`` is set (``postgresql+psycopg://...``). The bots and the
HTTP service write from several threads and processes, so SQLite runs in WAL mode
with a busy timeout and takes its write lock at the start of each write transaction.
A unit of work (:meth:`Database.unit_of_work`) makes every session opened in its
thread join one transaction, so a chat update's effects commit together or not at all.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_SECONDS = 30
# Any constant works; it only has to be the same for every process migrating this database.
_MIGRATION_LOCK_KEY = 4_826_151


class Database:
    """An engine plus a session factory over one database, migrated to the latest schema."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        # The key that seals evidence events and signs checkpoints (bot.checkpoint.EvidenceKey),
        # attached by hocvuso.services.Services; kept outside the database on purpose.
        self.evidence_key = None
        self._ambient = threading.local()  # the unit of work open in each thread, if any

    @classmethod
    def from_settings(cls, settings) -> Database:
        """Open ``settings.sqlalchemy_url`` (creating the SQLite file's folder) and upgrade it to head."""
        return cls.from_url(settings.sqlalchemy_url)

    @classmethod
    def from_url(cls, url: str) -> Database:
        """Open the database at ``url`` and upgrade its schema to the latest revision."""
        engine = _create_engine(url)
        database = cls(engine)
        database.migrate()
        return database

    @property
    def is_sqlite(self) -> bool:
        """True for the embedded SQLite database (one writer at a time, no row locks)."""
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error.

        Inside a unit of work it is the unit's session in a SAVEPOINT: an error undoes
        this block only, and nothing is committed before the unit itself commits.
        """
        ambient = getattr(self._ambient, "session", None)
        if ambient is not None:
            with ambient.begin_nested():
                yield ambient
            return
        with self._sessions.begin() as session:
            yield session

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One write transaction that every :meth:`session` of this thread joins until the block ends.

        SQLite takes its write lock at once (BEGIN IMMEDIATE), so what is read in the
        unit cannot change before it commits.
        """
        if getattr(self._ambient, "session", None) is not None:
            raise RuntimeError("units of work do not nest")
        with self._sessions.begin() as session:
            if self.is_sqlite:
                session.connection().exec_driver_sql("BEGIN IMMEDIATE")
            self._ambient.session = session
            try:
                yield session
            finally:
                self._ambient.session = None

    def migrate(self) -> None:
        """Apply pending Alembic migrations, one process at a time."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with self.engine.begin() as connection:
            _lock_for_migration(connection)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _create_engine(url: str) -> Engine:
    """Build the engine; SQLite gets its folder created and concurrency-safe pragmas."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
    event.listen(engine, "connect", _configure_sqlite_connection)
    return engine


def _configure_sqlite_connection(dbapi_connection, _record) -> None:
    """Set WAL, foreign keys and the busy timeout; begin write transactions IMMEDIATE."""
    # pysqlite opens a transaction just before the first INSERT/UPDATE/DELETE. Making
    # that BEGIN IMMEDIATE takes the write lock (waiting up to the busy timeout) at
    # once, instead of failing with "database is locked" on a read-then-write race.
    dbapi_connection.isolation_level = "IMMEDIATE"
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
    _enable_wal(cursor)
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _enable_wal(cursor) -> None:
    """Switch to WAL, waiting while another connection holds the file.

    SQLite answers "database is locked" to this pragma at once, without its busy
    handler, when processes open a new database together; so wait here instead.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_SECONDS
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _lock_for_migration(connection) -> None:
    """Serialise migrations between processes starting at the same time."""
    if connection.dialect.name == "sqlite":
        # Also makes the DDL transactional: pysqlite would otherwise autocommit each CREATE.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
