"""Storage behind small repository interfaces (``os1.storage.base``); SQLite is the embedded default,
PostgreSQL (``database_url = "postgresql://..."``) lets several `os1 serve` processes share one database."""

from __future__ import annotations

from typing import TYPE_CHECKING

from os1.core.errors import ConfigError

if TYPE_CHECKING:
    from os1.config import Settings
    from os1.storage.base import Store

_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def open_configured_store(settings: Settings, *, server: bool = False) -> Store:
    """SQLite in OS1_HOME when ``database_url`` is empty, else the PostgreSQL it names (migrated on open).
    ``server``: the store of a process serving many users (SQLite then batches its commits: sqlite/store.py)."""
    url = settings.database_url.get_secret_value().strip()
    if not url:
        from os1.storage.sqlite import open_store as open_sqlite

        return open_sqlite(settings.db_path, server=server)
    if not url.startswith(_POSTGRES_SCHEMES):
        raise ConfigError(f"database_url must start with postgresql:// (got {url.split(':')[0]}:...)",
                          "leave it empty for SQLite in the data folder")
    try:
        from os1.storage.postgres import open_store as open_postgres
    except ImportError as exc:  # psycopg is an optional extra
        raise ConfigError("PostgreSQL support is not installed", "pip install 'os1[postgres]'") from exc
    return open_postgres(url)


def discard_store(store: Store) -> None:
    """Release a store that was opened but never used (setup failed after it), without an event loop."""
    con = getattr(store, "con", None)  # SQLite holds a connection; PostgreSQL's pool is not open yet
    if con is not None:
        checkpointer = getattr(store, "checkpointer", None)
        if checkpointer is not None:
            checkpointer.stop()
        con.close()
