"""A real PostgreSQL for tests: pgserver (PostgreSQL 16 + pgvector from PyPI) in a folder under /tmp.

As root, pgserver makes a system user and opens read permission on the folder's parents, so the folder
lives in /tmp, never under the root user's home. One server per test session; each test gets a fresh
database, so tests never see each other's rows.
"""

from __future__ import annotations

import itertools
import os
import tempfile
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

_counter = itertools.count()


def start_postgres() -> Any:
    """The pgserver handle, or a pytest skip saying why PostgreSQL could not start."""
    try:
        import pgserver
        import psycopg  # noqa: F401  (the store needs it; skip rather than fail when it is missing)
    except ImportError as exc:
        pytest.skip(f"PostgreSQL tests need the dev extras (pgserver, psycopg): {exc}")
    folder = tempfile.mkdtemp(prefix="os1-pg-", dir="/tmp")
    try:
        return pgserver.get_server(folder, cleanup_mode="stop")  # type: ignore[attr-defined]
    except Exception as exc:  # any failure to start is a reason to skip, reported as such
        pytest.skip(f"pgserver could not start PostgreSQL in {folder}: {exc}")


def database_url(server: Any, name: str) -> str:
    """The server's URL with another database name (keeping its socket-folder query)."""
    parts = urlsplit(server.get_uri())
    return str(urlunsplit(parts._replace(path=f"/{name}")))


def fresh_database(server: Any) -> str:
    """Create an empty database and return its URL."""
    name = f"os1_test_{os.getpid()}_{next(_counter)}"
    server.psql(f"CREATE DATABASE {name};")
    return database_url(server, name)

