import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from os1.core.errors import NotFoundError, StorageError
from os1.core.ids import id_prefix
from os1.core.messages import MessageStatus, Role
from os1.core.profile import OSIdentity, Profile, VoicePreference
from os1.storage.sqlite import SQLiteStore, open_store
from os1.storage.sqlite.migrations import LATEST, current_version, migrate


def test_migrates_from_empty(tmp_path: Path) -> None:
    con = sqlite3.connect(tmp_path / "db", isolation_level=None)
    assert current_version(con) == 0
    assert migrate(con) == LATEST
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table')")}
    assert {"users", "profiles", "conversations", "messages", "messages_fts"} <= tables


async def test_migrates_from_previous_schema_keeping_data(tmp_path: Path) -> None:
    con = sqlite3.connect(tmp_path / "db", isolation_level=None)
    migrate(con, target=LATEST - 1)
    con.execute("INSERT INTO users VALUES ('usr_1', 'local', '2026-01-01T00:00:00+00:00')")
    con.execute("INSERT INTO conversations VALUES ('conv_1', 'usr_1', '', '2026-01-01T00:00:00+00:00')")
    con.execute(
        "INSERT INTO messages (id, conversation_id, user_id, role, content, status, created_at) "
        "VALUES ('msg_1', 'conv_1', 'usr_1', 'user', 'my sister Ana plays cello', 'complete', "
        "'2026-01-01T00:00:00+00:00')"
    )
    con.close()
    store = open_store(tmp_path / "db")
    hits = await store.messages.search("usr_1", "cello")
    assert [h.message.id for h in hits] == ["msg_1"]
    assert current_version(store.con) == LATEST
    await store.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    con = sqlite3.connect(tmp_path / "db", isolation_level=None)
    con.execute(f"PRAGMA user_version = {LATEST + 5}")
    con.close()
    with pytest.raises(StorageError, match="newer"):
        open_store(tmp_path / "db")


def test_garbage_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StorageError, match="damaged"):
        open_store(tmp_path / "db")


async def test_messages_round_trip_in_order(store: SQLiteStore) -> None:
    user = await store.users.local_user()
    conv = await store.conversations.create(user.id)
    first = await store.messages.add(user.id, conv.id, Role.USER, "hello")
    second = await store.messages.add(user.id, conv.id, Role.ASSISTANT, "hi there", MessageStatus.STREAMING)
    await store.messages.update(user.id, second.id, "hi there, Theo", MessageStatus.COMPLETE)
    got = await store.messages.recent(user.id, conv.id, 10)
    assert [m.content for m in got] == ["hello", "hi there, Theo"]
    assert got[1].status is MessageStatus.COMPLETE
    assert id_prefix(first.id) == "msg" and first.id < second.id


async def test_local_user_is_created_once(store: SQLiteStore) -> None:
    a = await store.users.local_user()
    b = await store.users.local_user()
    assert a.id == b.id and id_prefix(a.id) == "usr"


async def test_another_user_sees_nothing(store: SQLiteStore) -> None:
    alice = await store.users.create("alice")
    bob = await store.users.create("bob")
    conv = await store.conversations.create(alice.id)
    await store.messages.add(alice.id, conv.id, Role.USER, "alice's secret garden")
    assert await store.conversations.get(bob.id, conv.id) is None
    assert await store.messages.recent(bob.id, conv.id, 10) == []
    assert await store.messages.search(bob.id, "garden") == []
    assert await store.messages.history(bob.id) == []
    with pytest.raises(NotFoundError):
        await store.messages.add(bob.id, conv.id, Role.USER, "writing into alice's conversation")


async def test_recover_marks_streaming_replies_truncated(tmp_path: Path) -> None:
    store = open_store(tmp_path / "db")
    user = await store.users.local_user()
    conv = await store.conversations.create(user.id)
    reply = await store.messages.add(user.id, conv.id, Role.ASSISTANT, "half a sen", MessageStatus.STREAMING)
    await store.close()
    reopened = open_store(tmp_path / "db")
    (got,) = await reopened.messages.recent(user.id, conv.id, 5)
    assert got.id == reply.id and got.status is MessageStatus.TRUNCATED and got.content == "half a sen"
    await reopened.close()


async def test_search_treats_operators_as_words(store: SQLiteStore) -> None:
    user = await store.users.local_user()
    conv = await store.conversations.create(user.id)
    await store.messages.add(user.id, conv.id, Role.USER, "I went running NEAR the river")
    assert len(await store.messages.search(user.id, '"river" NEAR(')) == 1
    assert await store.messages.search(user.id, "   ") == []


async def test_profile_round_trip(store: SQLiteStore) -> None:
    user = await store.users.local_user()
    assert not (await store.profiles.get(user.id)).met
    ident = OSIdentity("Iris", "I chose it because it sounds like light.", datetime(2026, 11, 1, tzinfo=UTC))
    await store.profiles.save(Profile(user.id, "Theo", "a writer", voice=VoicePreference.FEMININE, identity=ident))
    got = await store.profiles.get(user.id)
    assert got.met and got.identity == ident and got.voice is VoicePreference.FEMININE and got.user_name == "Theo"


async def test_last_exchange_is_before_the_given_message(store: SQLiteStore) -> None:
    user = await store.users.local_user()
    conv = await store.conversations.create(user.id)
    t0 = datetime(2026, 11, 1, 9, tzinfo=UTC)
    await store.messages.add(user.id, conv.id, Role.USER, "morning", created_at=t0)
    now = await store.messages.add(user.id, conv.id, Role.USER, "evening", created_at=t0 + timedelta(hours=10))
    assert await store.messages.last_exchange_at(user.id, before_id=now.id) == t0


async def test_care_events_are_counted_per_user_without_content(store: SQLiteStore) -> None:
    alice = await store.users.create("alice")
    bob = await store.users.create("bob")
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    await store.care_events.record(alice.id, "crisis", t0)
    await store.care_events.record(alice.id, "crisis", t0 + timedelta(days=2))
    assert await store.care_events.count(alice.id, "crisis") == 2
    assert await store.care_events.count(alice.id, "crisis", since=t0 + timedelta(days=1)) == 1
    assert await store.care_events.count(bob.id, "crisis") == 0
    assert await store.care_events.last(alice.id, "crisis") == t0 + timedelta(days=2)
    columns = [r[1] for r in store.con.execute("PRAGMA table_info(care_events)")]
    assert columns == ["id", "user_id", "kind", "created_at"]


async def test_memory_items_move_into_their_owners_rowid_ranges(tmp_path: Path) -> None:
    """Migration 8: items written before it (two users, interleaved) stay findable, each only by its owner,
    newest still last; new items go on in the owner's range."""
    from os1.core.memory import MemoryKind, NewMemory
    from os1.storage.sqlite.memory import SLOT_SPAN

    con = sqlite3.connect(tmp_path / "db", isolation_level=None)
    migrate(con, target=7)
    for user in ("usr_a", "usr_b"):
        con.execute("INSERT INTO users VALUES (?, ?, '2026-01-01T00:00:00+00:00')", (user, user))
    for i, user in enumerate(["usr_a", "usr_b", "usr_a", "usr_b"]):
        con.execute("INSERT INTO memory_items (id, user_id, kind, text, search_text, occurred_at, created_at) "
                    "VALUES (?, ?, 'episode', ?, ?, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')",
                    (f"mem_{i}", user, f"cello lesson {i}", f"cello lesson {i}"))
    con.close()
    store = open_store(tmp_path / "db")
    assert sorted(i for i, _ in await store.memory.keyword("usr_a", '"cello"', 10)) == ["mem_0", "mem_2"]
    assert sorted(i for i, _ in await store.memory.keyword("usr_b", '"cello"', 10)) == ["mem_1", "mem_3"]
    # The newest-only scan keeps the newest of a user's matches.
    assert [i for i, _ in await store.memory.keyword("usr_a", '"cello"', 10, newest=1)] == ["mem_2"]
    [new] = await store.memory.add("usr_a", [NewMemory(kind=MemoryKind.EPISODE, text="cello again",
                                                       occurred_at=datetime(2026, 1, 2, tzinfo=UTC))])
    rows = dict(store.con.execute("SELECT id, rowid FROM memory_items").fetchall())
    slot_a, slot_b = rows["mem_0"] // SLOT_SPAN, rows["mem_1"] // SLOT_SPAN
    assert slot_a != slot_b and rows["mem_2"] // SLOT_SPAN == slot_a and rows[new.id] // SLOT_SPAN == slot_a
    assert rows["mem_0"] < rows["mem_2"] < rows[new.id]
    assert [i for i, _ in await store.memory.keyword("usr_a", '"cello"', 10, newest=1)] == [new.id]
    assert await store.memory.keyword("usr_nobody", '"cello"', 10) == []
    await store.close()


async def test_each_users_indexed_words_carry_their_tag_and_still_match_like_plain_words(store: SQLiteStore) -> None:
    """Migration 9: a query walks only its user's items (no untagged word is indexed), and stemming,
    phrases and column filters work through the tag as before."""
    from os1.core.memory import MemoryKind, NewMemory
    from os1.storage.sqlite.owned import owned_match, tag

    at = datetime(2026, 1, 2, tzinfo=UTC)
    ana, ben = await store.users.create("ana"), await store.users.create("ben")
    [a] = await store.memory.add(ana.id, [NewMemory(kind=MemoryKind.EPISODE, text="Cello lessons in New York",
                                                    occurred_at=at, context="don't stop")])
    await store.memory.add(ben.id, [NewMemory(kind=MemoryKind.EPISODE, text="cello lessons", occurred_at=at)])
    store.con.execute("CREATE VIRTUAL TABLE temp.words USING fts5vocab(main, memory_fts, 'row')")
    words = [r[0] for r in store.con.execute("SELECT term FROM temp.words")]
    tags = {w[:6] for w in words}
    assert len(tags) == 2 and not [w for w in words if w.startswith("cello")]
    for query in ['"lesson"', '"new york"', 'search_text : ("cellos")', '"don\'t"']:
        assert [i for i, _ in await store.memory.keyword(ana.id, query, 10)] == [a.id], query
    assert await store.memory.keyword(ana.id, 'search_text : ("stop")', 10) == []  # context is its own column
    assert owned_match(1, 'search_text : ("a b" OR "c")') == (
        f'search_text : ("{tag(1)}a {tag(1)}b" OR "{tag(1)}c")')


async def test_a_reply_is_searchable_once_it_stops_streaming_and_indexed_once(tmp_path: Path) -> None:
    """Migration 10: streaming text stays out of the history index; the finished reply (complete, or
    truncated by recovery) goes in once, and edits after that replace it cleanly."""
    store = open_store(tmp_path / "db")
    user = await store.users.local_user()
    conv = await store.conversations.create(user.id)
    reply = await store.messages.add(user.id, conv.id, Role.ASSISTANT, "the violin", MessageStatus.STREAMING)
    await store.messages.update(user.id, reply.id, "the violin lesson", MessageStatus.STREAMING)
    assert await store.messages.search(user.id, "violin") == []
    await store.messages.update(user.id, reply.id, "the violin lesson went well", MessageStatus.COMPLETE)
    assert [h.message.id for h in await store.messages.search(user.id, "violin")] == [reply.id]
    await store.messages.update(user.id, reply.id, "the viola lesson went well", MessageStatus.COMPLETE)
    assert await store.messages.search(user.id, "violin") == []
    assert [h.message.id for h in await store.messages.search(user.id, "lesson")] == [reply.id]
    cut = await store.messages.add(user.id, conv.id, Role.ASSISTANT, "a cello sona", MessageStatus.STREAMING)
    await store.close()
    reopened = open_store(tmp_path / "db")  # recovery: the killed reply is truncated, and now searchable
    assert [h.message.id for h in await reopened.messages.search(user.id, "cello")] == [cut.id]
    check = reopened.con.execute("INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)")
    assert check.fetchall() == []
    await reopened.close()


def test_zero_free_pages_overwrites_every_free_page_in_rows_of_bounded_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from os1.storage.sqlite import memory

    monkeypatch.setattr(memory, "_ZERO_PAGES_PER_ROW", 3)  # several rows, as with a free list over 1 GB
    con = sqlite3.connect(tmp_path / "db", isolation_level=None)
    con.execute("PRAGMA secure_delete=FAST")  # as everyday writes run: pages freed whole keep their bytes
    con.execute("CREATE TABLE t (b BLOB)")
    con.execute("INSERT INTO t VALUES (?)", (b"NEEDLE-" * 5000,))
    con.execute("DELETE FROM t")
    free = con.execute("PRAGMA freelist_count").fetchone()[0]
    assert free > 3 and b"NEEDLE-" in (tmp_path / "db").read_bytes()
    memory.zero_free_pages(con)
    assert b"NEEDLE-" not in (tmp_path / "db").read_bytes()
    assert con.execute("PRAGMA freelist_count").fetchone()[0] >= free  # the pages are free again, now zero
    assert con.execute("SELECT name FROM sqlite_master WHERE name LIKE 'os1_%'").fetchall() == []
    con.close()
