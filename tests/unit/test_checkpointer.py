"""The server's checkpoint thread (storage/sqlite/checkpointer.py), on a real file: with automatic checkpoints
off, what is written stays in the write-ahead log until the thread copies it back into the database file."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from os1.storage.sqlite import open_store
from os1.storage.sqlite.checkpointer import WalCheckpointer

THREAD_NAME = "os1-wal-checkpoint"


def _threads() -> set[threading.Thread]:
    """The checkpoint threads alive now (a test compares with those before it: other tests' apps may leave
    theirs)."""
    return {t for t in threading.enumerate() if t.name == THREAD_NAME}


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """A WAL database whose writes stay in the log (no automatic checkpoint), its file holding the schema."""
    con = sqlite3.connect(tmp_path / "os1.db", isolation_level=None, check_same_thread=False)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA wal_autocheckpoint=0")
    con.execute("CREATE TABLE notes (body BLOB)")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    yield con
    con.close()


def _write(con: sqlite3.Connection, rows: int = 50) -> None:
    for _ in range(rows):  # ~2 pages each, one commit each
        con.execute("INSERT INTO notes VALUES (randomblob(6000))")


def _wait_for(check: Callable[[], bool], timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


def test_the_thread_copies_the_log_back_into_the_database_file(tmp_path: Path, writer: sqlite3.Connection) -> None:
    db = tmp_path / "os1.db"
    size = db.stat().st_size
    _write(writer)
    time.sleep(0.2)
    assert db.stat().st_size == size  # all of it is still in the log only
    assert Path(f"{db}-wal").stat().st_size > 50 * 6000

    before = _threads()
    checkpointer = WalCheckpointer(db, interval_s=0.05).start()
    try:
        assert _wait_for(lambda: db.stat().st_size > size + 50 * 6000)
        # Writes go on while it runs, and later ones are copied back too.
        size = db.stat().st_size
        _write(writer)
        assert _wait_for(lambda: db.stat().st_size > size + 50 * 6000)
    finally:
        checkpointer.stop()
    assert _threads() <= before
    # Everything is in the file: nothing is left in the log to copy back.
    busy, log, done = writer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert busy == 0 and log == done
    assert int(writer.execute("SELECT count(*) FROM notes").fetchone()[0]) == 100


def test_stop_returns_at_once_ends_the_thread_and_may_be_called_twice(tmp_path: Path,
                                                                     writer: sqlite3.Connection) -> None:
    before = _threads()
    checkpointer = WalCheckpointer(tmp_path / "os1.db", interval_s=60).start()
    assert len(_threads() - before) == 1
    started = time.monotonic()
    checkpointer.stop()
    assert time.monotonic() - started < 5  # it does not sit out the interval
    assert _threads() <= before
    checkpointer.stop()
    assert _threads() <= before


def test_stop_before_start_is_harmless(tmp_path: Path) -> None:
    before = _threads()
    WalCheckpointer(tmp_path / "os1.db").stop()
    assert _threads() <= before


def test_a_database_it_cannot_open_is_logged_and_the_thread_ends(tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    before = _threads()
    with caplog.at_level(logging.ERROR, logger="os1.storage.sqlite.checkpointer"):
        checkpointer = WalCheckpointer(tmp_path / "no such folder" / "os1.db", interval_s=0.01).start()
        assert _wait_for(lambda: _threads() <= before)
        checkpointer.stop()
    assert any("cannot open" in r.getMessage() for r in caplog.records)


async def test_a_server_store_turns_automatic_checkpoints_off_and_runs_the_thread(tmp_path: Path) -> None:
    before = _threads()
    server = open_store(tmp_path / "server.db", server=True)
    plain = open_store(tmp_path / "plain.db")
    try:
        assert int(server.con.execute("PRAGMA wal_autocheckpoint").fetchone()[0]) == 0
        assert int(plain.con.execute("PRAGMA wal_autocheckpoint").fetchone()[0]) > 0
        assert server.checkpointer is not None and plain.checkpointer is None
        assert len(_threads() - before) == 1
    finally:
        await server.close()
        await plain.close()
    assert _threads() <= before
