"""Shared fixtures of the test suite.

Storage fixtures: ``database_url`` and ``database`` run each test twice, on SQLite
(a file in ``tmp_path``) and on a real PostgreSQL server named by
``HOCVUSO_TEST_POSTGRES_URL`` (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``).
Each PostgreSQL test gets its own fresh schema, dropped afterwards. Without the
variable the PostgreSQL variant is skipped with a clear reason.
"""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, make_url, text

POSTGRES_URL_VARIABLE = "HOCVUSO_TEST_POSTGRES_URL"


def _postgres_schema_url(request) -> str:
    """Create a fresh schema, register its removal, and return a URL whose search_path is it."""
    base_url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not base_url:
        pytest.skip(
            f"Chưa đặt {POSTGRES_URL_VARIABLE}: bỏ qua phép thử trên PostgreSQL "
            "(ví dụ postgresql+psycopg://postgres@127.0.0.1:5432/test)"
        )
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop_schema() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    request.addfinalizer(drop_schema)
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> str:
    """A SQLAlchemy URL of an empty database: SQLite in tmp_path, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hocvuso.db'}"
    return _postgres_schema_url(request)


@pytest.fixture
def database(database_url):
    """A migrated :class:`hocvuso.db.Database` on ``database_url``, closed after the test."""
    from hocvuso.db import Database

    db = Database.from_url(database_url)
    yield db
    db.close()
