"""Group commit for a server's SQLite store (storage/sqlite/group_commit.py), on a real file: the writes of one
turn of the event loop land together at its end; what the user said, "forget" and closing commit at once;
outside an event loop every write commits by itself."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import struct
from pathlib import Path

import pytest

from os1.core.messages import MessageStatus, Role
from os1.memory.episodes import Utterance
from os1.memory.service import Memory
from os1.storage.sqlite import SQLiteStore, open_store
from os1.storage.sqlite.group_commit import GroupCommitConnection, commit_pending
from os1.storage.sqlite.util import transaction
from tests.unit.db_kit import all_text


def _count(db: Path, table: str) -> int:
    """Rows of ``table`` that another connection sees: what is committed."""
    con = sqlite3.connect(db, isolation_level=None)
    try:
        return int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        con.close()


def _ids(db: Path, table: str) -> set[str]:
    con = sqlite3.connect(db, isolation_level=None)
    try:
        return {str(r[0]) for r in con.execute(f"SELECT id FROM {table}")}
    finally:
        con.close()


async def _next_turns(n: int = 2) -> None:
    """Let the event loop run what is ready now (the batch commits there); twice to be sure."""
    for _ in range(n):
        await asyncio.sleep(0)


async def _server_store(db: Path) -> SQLiteStore:
    store = open_store(db, server=True)
    await _next_turns()  # recovery on open may have begun a batch: let it commit
    return store


async def test_a_write_in_the_event_loop_is_committed_at_the_end_of_the_loop_turn(tmp_path: Path) -> None:
    db = tmp_path / "os1.db"
    store = await _server_store(db)
    try:
        assert isinstance(store.con, GroupCommitConnection)
        user = await store.users.create("ana")
        conv = await store.conversations.create(user.id)
        assert store.con.in_transaction  # one open batch holds both writes
        assert user.id not in _ids(db, "users") and conv.id not in _ids(db, "conversations")

        await _next_turns()

        assert not store.con.in_transaction
        assert user.id in _ids(db, "users") and conv.id in _ids(db, "conversations")
    finally:
        await store.close()


async def test_reads_in_the_event_loop_open_no_transaction(tmp_path: Path) -> None:
    store = await _server_store(tmp_path / "os1.db")
    try:
        assert await store.users.get("usr_nobody") is None
        store.con.execute("  select count(*) from messages").fetchone()
        assert not store.con.in_transaction
    finally:
        await store.close()


async def test_what_the_user_said_is_committed_when_add_returns(tmp_path: Path) -> None:
    db = tmp_path / "os1.db"
    store = await _server_store(db)
    try:
        user = await store.users.create("ana")
        conv = await store.conversations.create(user.id)
        reply = await store.messages.add(user.id, conv.id, Role.ASSISTANT, "not yet", MessageStatus.STREAMING)
        assert reply.id not in _ids(db, "messages")  # the OS's words wait for the end of the turn

        said = await store.messages.add(user.id, conv.id, Role.USER, "remember this")

        # No loop turn: the user's message is on disk, and the batch it joined (user, conversation, reply) too.
        assert not store.con.in_transaction
        assert {said.id, reply.id} <= _ids(db, "messages")
        assert user.id in _ids(db, "users") and conv.id in _ids(db, "conversations")
    finally:
        await store.close()


def test_outside_an_event_loop_every_write_commits_by_itself(tmp_path: Path) -> None:
    db = tmp_path / "os1.db"
    store = open_store(db, server=True)
    try:
        store.con.execute("INSERT INTO users VALUES ('usr_1', 'ana', '2026-01-01T00:00:00+00:00')")
        assert not store.con.in_transaction
        assert _ids(db, "users") == {"usr_1"}
        store.con.executemany("INSERT INTO users VALUES (?, ?, '2026-01-01T00:00:00+00:00')",
                              [("usr_2", "ben"), ("usr_3", "cy")])
        assert not store.con.in_transaction
        assert _ids(db, "users") == {"usr_1", "usr_2", "usr_3"}
    finally:
        store.con.close()
        assert store.checkpointer is not None
        store.checkpointer.stop()


async def test_executemany_in_the_event_loop_joins_the_batch(tmp_path: Path) -> None:
    db = tmp_path / "os1.db"
    store = await _server_store(db)
    try:
        store.con.executemany("INSERT INTO users VALUES (?, ?, '2026-01-01T00:00:00+00:00')",
                              [("usr_1", "ana"), ("usr_2", "ben")])
        assert store.con.in_transaction and _count(db, "users") == 0
        await _next_turns()
        assert _ids(db, "users") == {"usr_1", "usr_2"}
    finally:
        await store.close()


async def test_a_transaction_inside_a_batch_is_a_savepoint_that_rolls_back_only_its_own_part(
    tmp_path: Path,
) -> None:
    db = tmp_path / "os1.db"
    store = await _server_store(db)
    try:
        before = await store.users.create("before")  # begins the batch
        with transaction(store.con):
            kept = await store.users.create("kept")
        # The inner transaction ended without committing the batch: nothing is visible yet.
        assert store.con.in_transaction and _count(db, "users") == 0
        with pytest.raises(ValueError, match="changed my mind"), transaction(store.con):
            lost = await store.users.create("lost")
            raise ValueError("changed my mind")
        assert store.con.in_transaction  # the batch is still open

        await _next_turns()

        assert _ids(db, "users") == {before.id, kept.id}
        assert lost.id not in _ids(db, "users")
    finally:
        await store.close()


async def test_a_transaction_with_no_batch_open_commits_by_itself_in_the_event_loop(tmp_path: Path) -> None:
    db = tmp_path / "os1.db"
    store = await _server_store(db)
    try:
        with transaction(store.con):
            user = await store.users.create("ana")
        assert not store.con.in_transaction
        assert _ids(db, "users") == {user.id}
    finally:
        await store.close()


async def test_closing_the_store_commits_the_open_batch(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "os1.db"
    store = await _server_store(db)
    user = await store.users.create("ana")
    assert store.con.in_transaction

    await store.close()

    assert _ids(db, "users") == {user.id}
    with caplog.at_level(logging.ERROR):
        await _next_turns()  # the batch's commit, still scheduled, finds nothing left to do
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_commit_pending_commits_now_and_ignores_plain_connections(tmp_path: Path) -> None:
    db = tmp_path / "os1.db"
    store = await _server_store(db)
    try:
        user = await store.users.create("ana")
        commit_pending(store.con)
        assert not store.con.in_transaction and _ids(db, "users") == {user.id}
        commit_pending(store.con)  # nothing open: nothing to do
    finally:
        await store.close()
    plain = sqlite3.connect(tmp_path / "plain.db", isolation_level=None)
    plain.execute("CREATE TABLE t (x)")
    plain.execute("BEGIN")
    plain.execute("INSERT INTO t VALUES (1)")
    commit_pending(plain)  # not a group-commit connection: its transaction is left alone
    assert plain.in_transaction
    plain.execute("ROLLBACK")
    plain.close()


def _commits_in_log(db: Path) -> int:
    """Commit frames in the write-ahead log (a frame whose header gives the database size after it is the
    last of a transaction; https://sqlite.org/fileformat2.html#walformat)."""
    wal = Path(f"{db}-wal").read_bytes()
    if len(wal) < 32:
        return 0
    page_size = struct.unpack(">I", wal[8:12])[0]
    salts = wal[16:24]
    commits, at = 0, 32
    while at + 24 + page_size <= len(wal):
        header = wal[at:at + 24]
        if header[8:16] != salts:  # a frame left over from before the log restarted
            break
        commits += struct.unpack(">I", header[4:8])[0] != 0
        at += 24 + page_size
    return commits


async def _log_after_writes(store: SQLiteStore, db: Path) -> tuple[int, int]:
    """(commits, frames) the same ten writes put in an emptied log."""
    user = await store.users.create("ana")
    await _next_turns()
    store.con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert Path(f"{db}-wal").stat().st_size == 0
    for _ in range(10):
        await store.conversations.create(user.id)
    await _next_turns()
    frames = int(store.con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])
    return _commits_in_log(db), frames


async def test_writes_of_one_loop_turn_are_one_commit_and_fewer_log_frames(tmp_path: Path) -> None:
    grouped_db, plain_db = tmp_path / "grouped.db", tmp_path / "plain.db"
    grouped = await _server_store(grouped_db)
    plain = open_store(plain_db)
    try:
        assert grouped.checkpointer is not None
        grouped.checkpointer.stop()  # nothing else touches the log meanwhile
        grouped_commits, grouped_frames = await _log_after_writes(grouped, grouped_db)
        plain_commits, plain_frames = await _log_after_writes(plain, plain_db)
    finally:
        await grouped.close()
        await plain.close()
    assert (grouped_commits, plain_commits) == (1, 10)
    assert 0 < grouped_frames < plain_frames


async def test_forget_on_a_server_store_leaves_no_trace_even_with_a_batch_open(tmp_path: Path) -> None:
    db = tmp_path / "os1.db"
    store = await _server_store(db)
    try:
        user = await store.users.create("ana")
        conv = await store.conversations.create(user.id)
        memory = Memory(store)
        said = []
        for text in ("My sister Zelda is getting married in June.", "I adopted a cat named Biscuit."):
            msg = await store.messages.add(user.id, conv.id, Role.USER, text)
            said.append(Utterance(text, "Me", msg.created_at, msg.id, conv.id))
        assert "Zelda" in all_text(db)  # the user's words are committed already
        await memory.remember(user.id, said)
        await store.messages.add(user.id, conv.id, Role.ASSISTANT, "What lovely news!")
        assert store.con.in_transaction  # what was remembered, and the reply, wait in the open batch

        gone = await memory.forget(user.id, await memory.about(user.id, "Zelda"))

        assert gone >= 1
        assert not store.con.in_transaction
        text = all_text(db).lower()
        assert "zelda" not in text and "married" not in text
        assert "biscuit" in text  # what was not forgotten stays
        assert Path(f"{db}-wal").stat().st_size == 0
    finally:
        await store.close()
