"""The relational store: engine, sessions and schema migrations.

SQLite under the data dir is the embedded default; PostgreSQL is used when
``HOCVUSO_DATABASE_URL`` is set (``postgresql+psycopg://...``). The bots and the
HTTP service write from several threads and processes, so SQLite runs in WAL mode
with a busy timeout and takes its write lock at the start of each write transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hocvuso.db.models import ProcessedUpdate

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

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        with self._sessions.begin() as session:
            yield session

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


def mark_update_processed(db: Database, channel: str, update_id: str) -> bool:
    """Record a channel update as handled: True the first time, False for a repeat."""
    try:
        with db.session() as session:
            session.add(ProcessedUpdate(channel=channel, update_id=str(update_id)))
    except IntegrityError:
        return False
    return True


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
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _lock_for_migration(connection) -> None:
    """Serialise migrations between processes starting at the same time."""
    if connection.dialect.name == "sqlite":
        # Also makes the DDL transactional: pysqlite would otherwise autocommit each CREATE.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
