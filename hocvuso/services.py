"""The one place that wires the application's services from settings.

Everything is built lazily so a command only pays for what it uses
(``hocvuso ask`` never opens the database, ``hocvuso stats`` never loads Chroma).
"""

from __future__ import annotations

from functools import cached_property

from hocvuso.settings import Settings, load_settings


class Services:
    """Lazily built services shared by the CLI, the bots and the HTTP app."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or load_settings()

    @cached_property
    def kb(self):
        """The knowledge base (Chroma store, lexical index, answerer)."""
        from knowledge.base import KnowledgeBase

        return KnowledgeBase.open(self.settings)

    @cached_property
    def db(self):
        """The relational database (SQLite by default), migrated to the latest schema."""
        from bot.checkpoint import EvidenceKey
        from hocvuso.db import Database

        database = Database.from_settings(self.settings)
        database.evidence_key = EvidenceKey.from_settings(self.settings)  # read or made on first use
        return database

    @cached_property
    def units(self):
        """The deployment's units: ``units.yaml`` of the knowledge directory and those added by admins."""
        from bot.units import UnitCatalog, load_units

        return UnitCatalog(load_units(self.settings.knowledge_dir), self.db)

    @cached_property
    def assistant(self):
        """The channel-agnostic assistant core."""
        from bot.core import Assistant

        return Assistant(kb=self.kb, db=self.db, settings=self.settings, units=self.units)

    def reload_kb(self) -> None:
        """Take in a re-ingest: the opened knowledge base, shared by the assistant, reloads in place."""
        if "kb" in self.__dict__:
            self.kb.reload()

    def close(self) -> None:
        """Release connections held by built services."""
        if "db" in self.__dict__:
            self.db.close()
