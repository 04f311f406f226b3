"""Alembic environment: migrates the connection given by ``Database.migrate``, or the configured URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from hocvuso.db.models import Base


def _configure_and_run(connection) -> None:
    """Run the migrations on one connection."""
    # Batch mode lets ALTER TABLE work on SQLite (it copies the table).
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Use the caller's connection if given, else connect to the configured database."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        from hocvuso.settings import load_settings

        url = load_settings().sqlalchemy_url
    engine = create_engine(url)
    with engine.connect() as connection:
        _configure_and_run(connection)
    engine.dispose()


run_migrations_online()
