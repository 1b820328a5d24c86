"""The embedded SQLite store: one file in OS1_HOME, WAL, numbered migrations."""

from os1.storage.sqlite.store import SQLiteStore, open_store

__all__ = ["SQLiteStore", "open_store"]
