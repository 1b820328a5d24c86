"""Vector search inside PostgreSQL with pgvector, when the database has it (migration 4 decides).

Each user's memory vectors are searched exactly, in SQL, over that user's rows only (the index on
``memory_vectors(user_id, model, seq)`` finds them): the cost of a query grows with the user's own rows,
not with every user's, and no process holds anyone's vectors in memory.

Why not an HNSW index: an approximate index over the whole table filters by user *after* the graph walk
(pgvector 0.6.2 has no iterative scans) and returns at most ``hnsw.ef_search`` rows, so a user holding a
small share of the rows gets few of theirs back; and every insert pays for the graph. bench/postgres_vectors.py
on pgserver (PostgreSQL 16, pgvector 0.6.2), 384 dimensions, random unit vectors, top 100, 2 busy cores:
- one user, 20k rows: exact 18 ms p50 (recall 1.0); HNSW ef_search 1000 24 ms (recall 0.95), 400: 16 ms (0.73);
- ten users of 2k rows: exact 4 ms; HNSW ef_search 1000 64 ms (recall 0.90), 400: 34 ms (0.38);
- one user, 60k rows: exact 62 ms; HNSW ef_search 1000 48 ms (recall 0.73);
- an insert: 1.0-1.2 ms a row, 7-14 ms with the index.

The bytes in ``vector`` stay the durable copy (``vectors()`` serves them, as with SQLite); ``embedding``
is the searchable one, written beside them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import psycopg

from os1.storage.postgres.pool import Database

log = logging.getLogger(__name__)

# ``ALTER DATABASE ... SET os1.native_vectors = off`` before the first start keeps a database on the
# in-process search even where pgvector is installed (an operator's choice, and how the tests cover it).
OPT_OUT_SETTING = "os1.native_vectors"
_BACKFILL_BATCH = 1000


def floats(blob: bytes) -> list[float] | None:
    """The float32 bytes as a list for ``%s::float4[]::vector``, or None where pgvector would refuse the
    vector (empty, or NaN/infinity): such a row keeps its bytes and is left out of the database search."""
    values = np.frombuffer(blob, dtype=np.float32)
    if values.size == 0 or not np.isfinite(values).all():
        return None
    return values.tolist()  # type: ignore[no-any-return]


def add_native_vectors(con: psycopg.Connection) -> None:
    """Migration 4: where the ``vector`` extension can be created, add the searchable ``embedding`` column
    and fill it from the stored bytes. Elsewhere (plain PostgreSQL without pgvector) nothing changes, and
    the database stays on the in-process search: this runs once, so pgvector installed later is not used."""
    if not _wanted(con) or not _create_extension(con):
        return
    con.execute("ALTER TABLE memory_vectors ADD COLUMN embedding vector")  # no fixed size: embedders differ
    # Keep it in the row (the search reads it for every row of a user); the bytes go out of line instead.
    con.execute("ALTER TABLE memory_vectors ALTER COLUMN embedding SET STORAGE MAIN")
    _backfill(con)


def _wanted(con: psycopg.Connection) -> bool:
    row = con.execute("SELECT current_setting(%s, true)", (OPT_OUT_SETTING,)).fetchone()
    return not row or str(row[0] or "").lower() not in ("off", "false", "0", "no")


def _create_extension(con: psycopg.Connection) -> bool:
    available = con.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").fetchone()
    if available is None:
        log.info("pgvector is not installed in this PostgreSQL: memory search runs in each server process")
        return False
    try:
        with con.transaction():  # a savepoint: a refusal must not abort the migration's transaction
            con.execute("CREATE EXTENSION IF NOT EXISTS vector")
    except psycopg.Error as exc:  # most often: this role may not create extensions
        log.warning("cannot create the vector extension (%s): memory search runs in each server process; "
                    "a superuser can run CREATE EXTENSION vector before OS1's first start", exc)
        return False
    return True


def _backfill(con: psycopg.Connection) -> None:
    """Vectors stored before this migration get their searchable copy (in batches: any number of rows)."""
    last = ""
    while True:
        rows = con.execute(
            "SELECT item_id, vector FROM memory_vectors WHERE item_id > %s ORDER BY item_id LIMIT %s",
            (last, _BACKFILL_BATCH),
        ).fetchall()
        if not rows:
            return
        with con.cursor() as cur:
            cur.executemany("UPDATE memory_vectors SET embedding = %s::float4[]::vector WHERE item_id = %s",
                            [(floats(bytes(blob)), item_id) for item_id, blob in rows])
        last = str(rows[-1][0])


def has_native_vectors(con: psycopg.Connection) -> bool:
    """Whether migration 4 added the ``embedding`` column to this database."""
    row = con.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('memory_vectors') "
        "AND attname = 'embedding' AND NOT attisdropped)"
    ).fetchone()
    return bool(row and row[0])


class PostgresVectorSearch:
    """Exact cosine search (a dot product: stored vectors are unit length) over one user's vectors."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def nearest(self, user_id: str, model: str, query: bytes, k: int) -> list[tuple[str, float]]:
        q = floats(query)
        if q is None or k <= 0:
            return []
        async with self.db.transaction() as con:
            # ``<#>`` is the negative inner product. Rows of another size (a model stored with other
            # dimensions) are skipped rather than failing the whole search.
            cur = await con.execute(
                "SELECT item_id, -(embedding <#> %s::float4[]::vector) AS score FROM memory_vectors "
                "WHERE user_id = %s AND model = %s AND vector_dims(embedding) = %s "
                "ORDER BY score DESC, item_id LIMIT %s",
                (q, user_id, model, len(q), k),
            )
            rows = await cur.fetchall()
        return [(str(r[0]), float(r[1])) for r in rows]

    async def similarity(self, user_id: str, model: str, query: bytes, ids: Sequence[str]) -> dict[str, float]:
        q = floats(query)
        if q is None or not ids:
            return {}
        async with self.db.transaction() as con:
            cur = await con.execute(
                "SELECT item_id, -(embedding <#> %s::float4[]::vector) FROM memory_vectors "
                "WHERE user_id = %s AND model = %s AND item_id = ANY(%s) AND vector_dims(embedding) = %s",
                (q, user_id, model, list(ids), len(q)),
            )
            rows = await cur.fetchall()
        return {str(r[0]): float(r[1]) for r in rows}
