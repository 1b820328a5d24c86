"""Memory vectors searched inside PostgreSQL with pgvector (pgserver bundles it), checked against numpy's
exact answer, and the in-process path that a database without the extension keeps: here a database whose
owner may not create extensions (pgvector is not a trusted extension), and one where the operator turned it
off with ``os1.native_vectors = off``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import psycopg
import pytest

from os1.core.memory import MemoryKind, NewMemory
from os1.embeddings import load_embedder
from os1.memory.service import Memory
from os1.memory.vectors import DatabaseIndex, VectorIndex
from os1.storage.postgres import PostgresStore, open_store
from os1.storage.postgres.migrations import LATEST, migrate
from os1.storage.postgres.pool import Database
from tests.integration.pg_kit import fresh_database, start_postgres

T0 = datetime(2026, 11, 1, 9, tzinfo=UTC)
MODEL, DIM = "test-16", 16


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[Any]:
    server = start_postgres()
    yield server
    server.cleanup()


@pytest.fixture
def postgres_url(postgres_server: Any) -> str:
    return fresh_database(postgres_server)


@pytest.fixture(params=["no privilege", "opted out"])
def url_without_pgvector(request: pytest.FixtureRequest, postgres_server: Any) -> str:
    url = fresh_database(postgres_server)
    with psycopg.connect(url, autocommit=True) as con:
        name = con.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
        if request.param == "opted out":
            con.execute(f"ALTER DATABASE {name} SET os1.native_vectors = off")
            return url
        role = f"{name}_owner"  # an ordinary role: CREATE EXTENSION vector needs a superuser
        con.execute(f"CREATE ROLE {role} LOGIN")
        con.execute(f"ALTER DATABASE {name} OWNER TO {role}")
        con.execute(f"GRANT ALL ON SCHEMA public TO {role}")
    parts = urlsplit(url)
    return str(urlunsplit(parts._replace(netloc=f"{role}@{parts.netloc.rpartition('@')[2]}")))


def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.standard_normal((n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)  # type: ignore[no-any-return]


async def _fill(store: PostgresStore, users: list[str], per_user: int, rng: np.random.Generator) -> dict[str, Any]:
    """Interleaved writes: a few items of each user in turn. Returns per user (ids, matrix)."""
    got: dict[str, Any] = {u: ([], []) for u in users}
    for _ in range(0, per_user, 5):
        for user in users:
            items = await store.memory.add(user, [NewMemory(MemoryKind.EPISODE, "x", T0) for _ in range(5)])
            vecs = _unit(rng, 5)
            await store.memory.set_vectors(user, MODEL, [(i.id, v.tobytes()) for i, v in zip(items, vecs, strict=True)])
            got[user][0].extend(i.id for i in items)
            got[user][1].extend(vecs)
    return {u: (ids, np.array(m)) for u, (ids, m) in got.items()}


def _exact(ids: list[str], matrix: np.ndarray, query: np.ndarray, k: int) -> list[str]:
    scores = matrix @ query
    return [ids[i] for i in np.argsort(-scores)[:k]]


async def test_the_database_searches_exactly_and_only_the_users_own_vectors(postgres_url: str) -> None:
    store = open_store(postgres_url)
    try:
        with psycopg.connect(postgres_url) as con:
            kind = con.execute("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                               "WHERE attrelid = 'memory_vectors'::regclass AND attname = 'embedding'").fetchone()
        assert kind == ("vector",) and store.memory.vector_search is not None
        users = [(await store.users.create(n)).id for n in ("ana", "ben", "cy")]
        data = await _fill(store, users, 60, np.random.default_rng(1))
        index = Memory(store, load_embedder("static")).index
        assert isinstance(index, DatabaseIndex)  # nothing loaded into this process
        search = DatabaseIndex(store.memory.vector_search, MODEL)
        for query in _unit(np.random.default_rng(2), 5):
            for user in users:
                ids, matrix = data[user]
                got = await search.search(user, query, 10)
                assert [i for i, _ in got] == _exact(ids, matrix, query, 10)
                assert np.allclose([s for _, s in got], np.sort(matrix @ query)[::-1][:10], atol=1e-5)
        ana, ben = users[:2]
        others = data[ben][0][:3]
        sims = await search.similarity(ana, query, [data[ana][0][0], *others])
        assert list(sims) == [data[ana][0][0]]  # another user's ids give nothing
        assert sims[data[ana][0][0]] == pytest.approx(float(data[ana][1][0] @ query), abs=1e-5)
        assert len(await search.search(ana, query, 1000)) == 60
    finally:
        await store.close()


async def test_forgotten_and_edited_items_leave_the_database_search(postgres_url: str) -> None:
    store = open_store(postgres_url)
    try:
        user = (await store.users.create("ana")).id
        ids, matrix = (await _fill(store, [user], 10, np.random.default_rng(3)))[user]
        search = DatabaseIndex(store.memory.vector_search, MODEL)  # type: ignore[arg-type]
        best = (await search.search(user, matrix[0], 1))[0]
        assert best[0] == ids[0] and best[1] == pytest.approx(1.0, abs=1e-5)
        await store.memory.forget(user, [ids[0]])
        await store.memory.edit(user, ids[1], "corrected")  # its vector goes until re-embedded
        left = [i for i, _ in await search.search(user, matrix[0], 100)]
        assert ids[0] not in left and ids[1] not in left and len(left) == 8
        assert await search.similarity(user, matrix[0], [ids[0], ids[1]]) == {}
    finally:
        await store.close()


async def test_without_pgvector_the_numpy_index_answers_the_same(url_without_pgvector: str) -> None:
    store = open_store(url_without_pgvector)
    try:
        with psycopg.connect(url_without_pgvector) as con:
            columns = [r[0] for r in con.execute("SELECT attname FROM pg_attribute WHERE attnum > 0 "
                                                 "AND attrelid = 'memory_vectors'::regclass").fetchall()]
        assert "embedding" not in columns and store.memory.vector_search is None
        users = [(await store.users.create(n)).id for n in ("ana", "ben")]
        data = await _fill(store, users, 20, np.random.default_rng(4))
        index = VectorIndex(store.memory, MODEL, DIM)
        query = _unit(np.random.default_rng(5), 1)[0]
        for user in users:
            assert [i for i, _ in await index.search(user, query, 5)] == _exact(*data[user], query, 5)
        assert isinstance(Memory(store, load_embedder("static")).index, VectorIndex)
    finally:
        await store.close()


async def test_vectors_stored_before_the_migration_are_searchable_after_it(postgres_url: str) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as con:
        migrate(con, target=LATEST - 1)  # the schema before pgvector
    before = PostgresStore(Database(postgres_url))  # as the previous version wrote: bytes only
    user = (await before.users.create("ana")).id
    ids, matrix = (await _fill(before, [user], 10, np.random.default_rng(6)))[user]
    await before.close()
    store = open_store(postgres_url)
    try:
        search = DatabaseIndex(store.memory.vector_search, MODEL)  # type: ignore[arg-type]
        assert [i for i, _ in await search.search(user, matrix[3], 10)] == _exact(ids, matrix, matrix[3], 10)
    finally:
        await store.close()

