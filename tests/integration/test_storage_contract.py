"""The storage contract, run against both backends: SQLite in a temp folder and a real PostgreSQL
(pgserver, started once per session; skipped with the reason when it cannot start). Each test gets an
empty database. The last tests are PostgreSQL's own: migrations, and two stores (as two `os1 serve`
processes would hold) sharing one database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from os1.core.accounts import TokenKind
from os1.core.affect import Emotion, Mood, Speaker
from os1.core.errors import ConflictError, NotFoundError, StorageError
from os1.core.memory import MemoryKind, NewMemory
from os1.core.messages import MessageStatus, Role
from os1.core.persona import JournalSource, NewJournalEntry, PersonaSource, PersonaState
from os1.core.profile import OSIdentity, Profile, VoicePreference
from os1.embeddings import load_embedder
from os1.memory.episodes import Utterance
from os1.memory.service import Memory
from os1.storage.base import Store
from tests.integration.pg_kit import fresh_database, start_postgres

T0 = datetime(2026, 11, 1, 9, tzinfo=UTC)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    server = start_postgres()
    yield server
    server.cleanup()


@pytest.fixture
def postgres_url(postgres_server: Any) -> str:
    return fresh_database(postgres_server)


@pytest.fixture(params=["sqlite", "postgres"])
async def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    store: Store
    if request.param == "sqlite":
        from os1.storage.sqlite import open_store as open_sqlite

        store = open_sqlite(tmp_path / "os1.db")
    else:
        from os1.storage.postgres import open_store as open_postgres

        store = open_postgres(request.getfixturevalue("postgres_url"))
    yield store
    await store.close()


async def test_messages_round_trip_in_order(any_store: Store) -> None:
    user = await any_store.users.local_user()
    conv = await any_store.conversations.create(user.id)
    first = await any_store.messages.add(user.id, conv.id, Role.USER, "hello")
    second = await any_store.messages.add(user.id, conv.id, Role.ASSISTANT, "hi there", MessageStatus.STREAMING)
    await any_store.messages.update(user.id, second.id, "hi there, Theo", MessageStatus.COMPLETE)
    got = await any_store.messages.recent(user.id, conv.id, 10)
    assert [m.content for m in got] == ["hello", "hi there, Theo"] and got[1].status is MessageStatus.COMPLETE
    assert [m.id for m in await any_store.messages.history(user.id)] == [first.id, second.id]
    assert [m.id for m in await any_store.messages.since(user.id, first.id)] == [second.id]
    assert (await any_store.messages.get(user.id, first.id)) == first
    assert await any_store.messages.delete(user.id, [first.id, "msg_missing"]) == 1
    assert [m.id for m in await any_store.messages.history(user.id)] == [second.id]
    assert (await any_store.conversations.latest(user.id)) == conv
    assert [c.id for c in await any_store.conversations.newest(user.id)] == [conv.id]


async def test_local_user_is_created_once(any_store: Store) -> None:
    a = await any_store.users.local_user()
    b = await any_store.users.local_user()
    assert a == b and await any_store.users.get(a.id) == a


async def test_another_user_sees_nothing(any_store: Store) -> None:
    alice = await any_store.users.create("alice")
    bob = await any_store.users.create("bob")
    conv = await any_store.conversations.create(alice.id)
    msg = await any_store.messages.add(alice.id, conv.id, Role.USER, "alice's secret garden")
    assert await any_store.conversations.get(bob.id, conv.id) is None
    assert await any_store.messages.recent(bob.id, conv.id, 10) == []
    assert await any_store.messages.search(bob.id, "garden") == []
    assert await any_store.messages.history(bob.id) == []
    assert await any_store.messages.get(bob.id, msg.id) is None
    assert await any_store.messages.delete(bob.id, [msg.id]) == 0
    with pytest.raises(NotFoundError):
        await any_store.messages.add(bob.id, conv.id, Role.USER, "writing into alice's conversation")


async def test_search_finds_words_treats_operators_as_words_and_marks_the_match(any_store: Store) -> None:
    user = await any_store.users.local_user()
    conv = await any_store.conversations.create(user.id)
    await any_store.messages.add(user.id, conv.id, Role.USER, "I went running NEAR the river")
    await any_store.messages.add(user.id, conv.id, Role.USER, "the sea was calm")
    (hit,) = await any_store.messages.search(user.id, '"river" NEAR(')
    assert "[river]" in hit.snippet
    assert len(await any_store.messages.search(user.id, "rivers")) == 1  # both stem
    assert await any_store.messages.search(user.id, "   ") == []


async def test_profile_round_trip(any_store: Store) -> None:
    user = await any_store.users.local_user()
    assert not (await any_store.profiles.get(user.id)).met
    ident = OSIdentity("Iris", "I chose it because it sounds like light.", T0)
    await any_store.profiles.save(Profile(user.id, "Theo", "a writer", voice=VoicePreference.FEMININE, identity=ident))
    await any_store.profiles.save(Profile(user.id, "Theo", "a poet", voice=VoicePreference.FEMININE, identity=ident))
    got = await any_store.profiles.get(user.id)
    assert got.met and got.identity == ident and got.voice is VoicePreference.FEMININE and got.user_name == "Theo"


async def test_last_exchange_is_before_the_given_message(any_store: Store) -> None:
    user = await any_store.users.local_user()
    conv = await any_store.conversations.create(user.id)
    await any_store.messages.add(user.id, conv.id, Role.USER, "morning", created_at=T0)
    now = await any_store.messages.add(user.id, conv.id, Role.USER, "evening", created_at=T0 + timedelta(hours=10))
    assert await any_store.messages.last_exchange_at(user.id, before_id=now.id) == T0
    assert await any_store.messages.last_exchange_at(user.id) == T0 + timedelta(hours=10)


async def test_care_events_are_counted_per_user(any_store: Store) -> None:
    alice = await any_store.users.create("alice")
    bob = await any_store.users.create("bob")
    await any_store.care_events.record(alice.id, "crisis", T0)
    await any_store.care_events.record(alice.id, "crisis", T0 + timedelta(days=2))
    assert await any_store.care_events.count(alice.id, "crisis") == 2
    assert await any_store.care_events.count(alice.id, "crisis", since=T0 + timedelta(days=1)) == 1
    assert await any_store.care_events.count(bob.id, "crisis") == 0
    assert await any_store.care_events.last(alice.id, "crisis") == T0 + timedelta(days=2)
    assert await any_store.care_events.last(bob.id, "crisis") is None


async def test_accounts_and_tokens(any_store: Store) -> None:
    ana = await any_store.accounts.create("Ana", "hash-a")
    with pytest.raises(ConflictError):
        await any_store.accounts.create("ana", "hash-b")  # names are unique whatever their case
    assert (await any_store.accounts.by_username("ANA")) == ana
    assert (await any_store.users.get(ana.user_id)) is not None
    now = datetime.now(UTC)
    live = await any_store.accounts.add_token(ana.user_id, "h1", TokenKind.API_KEY, "laptop")
    await any_store.accounts.add_token(ana.user_id, "h2", TokenKind.LOGIN, expires_at=now - timedelta(seconds=1))
    assert (await any_store.accounts.token_owner("h1", now)) == live
    assert await any_store.accounts.token_owner("h2", now) is None  # expired
    assert [t.id for t in await any_store.accounts.tokens(ana.user_id, TokenKind.API_KEY)] == [live.id]
    other = await any_store.users.create("bob")
    assert not await any_store.accounts.revoke(other.id, live.id)
    assert await any_store.accounts.revoke(ana.user_id, live.id)
    assert await any_store.accounts.token_owner("h1", now) is None


async def test_persona_versions_are_numbered_per_user(any_store: Store) -> None:
    alice = await any_store.users.create("alice")
    bob = await any_store.users.create("bob")
    one = await any_store.persona.add(alice.id, PersonaState("Iris"), "met", PersonaSource.FIRST_MEETING)
    two = await any_store.persona.add(alice.id, PersonaState("Iris", style="warm"), "grew", PersonaSource.REFLECTION,
                                      announced=False)
    assert (one.version, two.version) == (1, 2)
    assert (await any_store.persona.add(bob.id, PersonaState("Sol"), "met", PersonaSource.FIRST_MEETING)).version == 1
    assert (await any_store.persona.latest(alice.id)) == two
    assert (await any_store.persona.get(alice.id, 1)) == one
    assert [v.version for v in await any_store.persona.history(alice.id)] == [1, 2]
    assert [v.version for v in await any_store.persona.unannounced(alice.id)] == [2]
    await any_store.persona.mark_announced(alice.id, [2])
    assert await any_store.persona.unannounced(alice.id) == []


async def test_journal_entries_and_forgetting_the_one_about_a_message(any_store: Store) -> None:
    user = await any_store.users.local_user()
    conv = await any_store.conversations.create(user.id)
    first = await any_store.messages.add(user.id, conv.id, Role.USER, "I adopted a cat")
    second = await any_store.messages.add(user.id, conv.id, Role.USER, "She is called Miso")
    early = await any_store.journal.add(user.id, NewJournalEntry("a cat", "its name?", JournalSource.LLM,
                                                                 conv.id, first.id))
    late = await any_store.journal.add(user.id, NewJournalEntry("Miso", "breed?", JournalSource.FALLBACK,
                                                                conv.id, second.id))
    assert [e.id for e in await any_store.journal.latest(user.id)] == [late.id, early.id]
    assert await any_store.journal.forget_about(user.id, [second.id]) == 1
    assert [e.id for e in await any_store.journal.latest(user.id)] == [early.id]


async def test_affect_readings_and_moods_per_user(any_store: Store) -> None:
    alice = await any_store.users.create("alice")
    bob = await any_store.users.create("bob")
    conv = await any_store.conversations.create(alice.id)
    msg = await any_store.messages.add(alice.id, conv.id, Role.USER, "I am so happy today")
    await any_store.affect.add(alice.id, msg.id, Speaker.USER, Emotion(0.2, 0.3, {"joy": 1.0}), T0)
    await any_store.affect.add(alice.id, msg.id, Speaker.USER, Emotion(0.8, 0.6, {"joy": 1.0}), T0)  # replaces
    got = await any_store.affect.reading(alice.id, msg.id, Speaker.USER)
    assert got is not None and got.emotion.valence == 0.8 and got.created_at == T0
    assert len(await any_store.affect.readings(alice.id, speaker=Speaker.USER)) == 1
    assert await any_store.affect.readings(alice.id, since=T0 + timedelta(seconds=1)) == []
    with pytest.raises(NotFoundError):
        await any_store.affect.add(bob.id, msg.id, Speaker.USER, Emotion(0.0, 0.0, {}), T0)
    await any_store.affect.save_mood(alice.id, Mood(0.1, 0.2, T0))
    await any_store.affect.save_mood(alice.id, Mood(0.3, 0.4, T0 + timedelta(hours=1)))
    assert await any_store.affect.mood(alice.id) == Mood(0.3, 0.4, T0 + timedelta(hours=1))
    assert len(await any_store.affect.moods(alice.id, since=T0 + timedelta(minutes=1))) == 1
    assert await any_store.affect.mood(bob.id) is None


def _fact(text: str, **kw: Any) -> NewMemory:
    return NewMemory(MemoryKind.FACT, text, T0, **kw)


async def test_memory_items_keyword_entities_and_sources(any_store: Store) -> None:
    mem = any_store.memory
    alice = await any_store.users.create("alice")
    bob = await any_store.users.create("bob")
    cello, tea = await mem.add(alice.id, [
        _fact("My sister Ana plays the cello", source_ids=("m1",), entities=("ana",), subject="ana",
              attribute="plays"),
        _fact("I drink green tea", source_ids=("m2",), context="what do you play cello"),
    ])
    await mem.add(bob.id, [_fact("Bob plays the cello too", entities=("ana",))])
    assert [i.id for i in await mem.get(alice.id, [tea.id, cello.id, "mem_x"])] == [tea.id, cello.id]
    assert await mem.count(alice.id) == 2
    hits = await mem.keyword(alice.id, '"cello" OR "violin"', 10)
    assert [h[0] for h in hits] == [cello.id, tea.id] and hits[0][1] > hits[1][1] > 0  # own words beat context
    assert [h[0] for h in await mem.keyword(alice.id, 'search_text : ("cello")', 10)] == [cello.id]
    assert len(await mem.keyword(alice.id, '"cello"', 10, newest=1)) == 1
    assert await mem.by_entities(alice.id, ["ana"], 10) == [(cello.id, "ana")]
    assert await mem.entity_counts(alice.id) == {"ana": 1}
    assert [i.id for i in await mem.citing(alice.id, ["m1"])] == [cello.id]
    assert [i.id for i in await mem.by_key(alice.id, "ana", "plays")] == [cello.id]
    assert [i.id for i in await mem.list_items(alice.id, [MemoryKind.FACT])] == [tea.id, cello.id]
    assert {i.id for i in await mem.list_items(alice.id)} == {tea.id, cello.id}
    assert await mem.list_items(alice.id, [MemoryKind.EPISODE]) == []


async def test_memory_changes_are_audited_and_forget_leaves_nothing(any_store: Store) -> None:
    mem = any_store.memory
    user = await any_store.users.local_user()
    old, new = await mem.add(user.id, [_fact("I live in Oslo", source_ids=("m1",)),
                                       _fact("I live in Bergen", source_ids=("m2",))])
    await mem.supersede(user.id, old.id, new.id)
    assert [i.id for i in await mem.list_items(user.id)] == [new.id]
    await mem.cite(user.id, new.id, ["m3", "m2"])
    assert (await mem.get(user.id, [new.id]))[0].source_ids == ("m2", "m3")
    await mem.add_context(user.id, new.id, "by the fjord", "m4")
    assert [h[0] for h in await mem.keyword(user.id, '"fjord"', 5)] == [new.id]
    await mem.edit(user.id, new.id, "I live in Tromsø", entities=["tromsø"])
    assert await mem.entity_counts(user.id) == {"tromsø": 1}
    assert await mem.forget(user.id, [old.id, new.id]) == 2
    assert await mem.count(user.id) == 0 and await mem.keyword(user.id, '"fjord"', 5) == []
    actions = [c.action.value for c in await mem.audit(user.id)]
    assert actions[:2] == ["forget", "forget"] and "edit" in actions and "merge" in actions


async def test_memory_vectors_load_incrementally_and_state_tells_of_removals(any_store: Store) -> None:
    mem = any_store.memory
    user = await any_store.users.local_user()
    a, b = await mem.add(user.id, [_fact("one"), _fact("two")])
    await mem.set_vectors(user.id, "static", [(a.id, b"\x00" * 8)])
    rows = await mem.vectors(user.id, "static")
    assert [(r[1], r[2]) for r in rows] == [(a.id, b"\x00" * 8)]
    await mem.set_vectors(user.id, "static", [(b.id, b"\x01" * 8)])
    assert [r[1] for r in await mem.vectors(user.id, "static", after=rows[-1][0])] == [b.id]
    last, removal = await mem.vector_state(user.id, "static")
    assert last > rows[-1][0] and removal == ""
    await mem.forget(user.id, [a.id])
    assert (await mem.vector_state(user.id, "static"))[1] != ""
    other = await any_store.users.create("bob")
    await mem.set_vectors(other.id, "static", [(b.id, b"\x02" * 8)])  # not bob's item: ignored
    assert await mem.vectors(other.id, "static") == []


async def test_unremembered_messages_are_those_no_item_cites(any_store: Store) -> None:
    user = await any_store.users.local_user()
    conv = await any_store.conversations.create(user.id)
    said = await any_store.messages.add(user.id, conv.id, Role.USER, "I like kites")
    kept = await any_store.messages.add(user.id, conv.id, Role.USER, "and boats")
    await any_store.memory.add(user.id, [_fact("likes kites", source_ids=(said.id,))])
    assert await any_store.memory.unremembered(user.id) == [kept.id]


async def test_the_memory_service_recalls_a_fact_told_earlier(any_store: Store) -> None:
    user = await any_store.users.create("ana")
    memory = Memory(any_store, load_embedder("static"))
    await memory.remember(user.id, [
        Utterance("Hi! Long day at work.", "Ana", T0, "s1:1"),
        Utterance("I went to my first pottery class yesterday and loved it.", "Ana", T0, "s1:2"),
        Utterance("The weather is grey again.", "Ana", T0, "s1:3"),
    ])
    hits = await memory.recall(user.id, "When did I go to the pottery class?", now=T0 + timedelta(days=40), k=3)
    assert "s1:2" in hits[0].item.source_ids


# PostgreSQL's own: migrations, and two processes sharing one database.


def test_postgres_migrates_from_empty_once_and_refuses_a_newer_schema(postgres_url: str) -> None:
    import psycopg

    from os1.storage.postgres import open_store
    from os1.storage.postgres.migrations import LATEST, current_version, migrate

    with psycopg.connect(postgres_url, autocommit=True) as con:
        assert current_version(con) == 0
        assert migrate(con, target=LATEST - 1) == LATEST - 1
    open_store(postgres_url)  # brings it up to date
    with psycopg.connect(postgres_url, autocommit=True) as con:
        assert migrate(con) == LATEST  # nothing left to do
        con.execute("UPDATE schema_version SET version = %s", (LATEST + 5,))
    with pytest.raises(StorageError, match="newer"):
        open_store(postgres_url)


async def test_two_stores_on_one_postgres_see_each_others_writes_for_the_same_user_only(postgres_url: str) -> None:
    from os1.storage.postgres import open_store

    one, two = open_store(postgres_url), open_store(postgres_url)
    try:
        user = await one.users.local_user()
        assert (await two.users.local_user()) == user  # both processes agree on the local user
        alice = await two.accounts.create("alice", "h")
        conv = await one.conversations.create(user.id)
        said = await one.messages.add(user.id, conv.id, Role.USER, "my sister plays the cello")
        reply = await two.messages.add(user.id, conv.id, Role.ASSISTANT, "How long has she played?")
        assert [m.id for m in await two.messages.history(user.id)] == [said.id, reply.id]
        assert [m.id for m in await one.messages.recent(user.id, conv.id, 10)] == [said.id, reply.id]
        assert [h.message.id for h in await two.messages.search(user.id, "cello")] == [said.id]
        assert await one.messages.history(alice.user_id) == []
        assert await two.messages.search(alice.user_id, "cello") == []
        first = await one.persona.add(user.id, PersonaState("Iris"), "met", PersonaSource.FIRST_MEETING)
        second = await two.persona.add(user.id, PersonaState("Iris"), "grew", PersonaSource.REFLECTION)
        assert (first.version, second.version) == (1, 2)
    finally:
        await one.close()
        await two.close()


async def test_postgres_recovers_replies_left_streaming(postgres_url: str) -> None:
    from os1.storage.postgres import open_store

    store = open_store(postgres_url)
    user = await store.users.local_user()
    conv = await store.conversations.create(user.id)
    reply = await store.messages.add(user.id, conv.id, Role.ASSISTANT, "half a sen", MessageStatus.STREAMING)
    await store.close()
    reopened = open_store(postgres_url)
    (got,) = await reopened.messages.recent(user.id, conv.id, 5)
    assert got.id == reply.id and got.status is MessageStatus.TRUNCATED
    await reopened.close()



async def test_doctor_reads_the_postgres_schema_and_names_a_dead_one_without_its_password(postgres_url: str) -> None:
    from os1.config import Settings
    from os1.engine.doctor import run_checks
    from os1.storage.postgres import open_store as open_postgres

    store = open_postgres(postgres_url)
    await store.users.local_user()  # the first use migrates
    await store.close()
    live = next(c for c in run_checks(Settings(database_url=postgres_url)) if c.name == "database")
    assert live.ok and "PostgreSQL, schema" in live.detail

    dead_url = "postgresql://os1:hunter2@/nowhere?host=/tmp/os1-no-such-socket-dir"
    dead = next(c for c in run_checks(Settings(database_url=dead_url)) if c.name == "database")
    assert not dead.ok and "\n" not in dead.detail and "hunter2" not in dead.detail and dead.fix
