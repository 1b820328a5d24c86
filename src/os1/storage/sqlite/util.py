"""Helpers shared by the SQLite repositories: timestamps and transactions."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

# Deleted content is overwritten only where that costs no extra writes; "forget" does the rest (memory.py).
ROUTINE_SECURE_DELETE = "FAST"


def now_utc() -> datetime:
    return datetime.now(UTC)


def ts(value: datetime) -> str:
    """Timestamps are stored as UTC ISO strings, so they sort as text."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def dt(value: str) -> datetime:
    return datetime.fromisoformat(value)


@contextmanager
def transaction(con: sqlite3.Connection) -> Iterator[None]:
    """One write transaction on an autocommit connection: all of it lands, or none. Inside a transaction
    already open (a server's group commit, group_commit.py) it is a savepoint of that one."""
    if con.in_transaction:
        with _savepoint(con):
            yield
        return
    con.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


@contextmanager
def _savepoint(con: sqlite3.Connection) -> Iterator[None]:
    con.execute("SAVEPOINT os1_part")
    try:
        yield
    except BaseException:
        if con.in_transaction:  # some errors roll the whole transaction back, savepoint and all
            con.execute("ROLLBACK TO os1_part")
            con.execute("RELEASE os1_part")
        raise
    con.execute("RELEASE os1_part")
