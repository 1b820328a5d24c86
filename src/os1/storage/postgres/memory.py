"""PostgreSQL memory repository: items, full-text keyword index, vectors, entities, audit.

Every statement filters on user_id. Keyword search differs from the SQLite store's FTS5 BM25:
- the memory service passes an FTS5 expression (``"a" OR "b"``, optionally ``search_text : (...)``);
  ``tsquery_from_fts5`` turns it into a tsquery (its quoted terms OR-ed, ``:A`` for an item's own words);
- ranking is ``ts_rank_cd`` (cover density) over a weighted tsvector, own words weight A (1.0) and the
  context B (CONTEXT_WEIGHT). It has no inverse document frequency, so a rare word counts no more than a
  common one, and scores are small fractions rather than BM25's open range. Both are "higher is better";
  the memory service's relevance gate counts query words, not scores, so it behaves the same;
- English stemming (snowball) and stop words, where FTS5 uses porter without stop words.
Vectors are float32 bytes (bytea), loaded into the service's numpy index exactly as with SQLite; where
pgvector is installed they are also written as a ``vector`` and searched in the database (vectors.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from os1.core.ids import new_id
from os1.core.memory import MemoryAction, MemoryChange, MemoryItem, MemoryKind, NewMemory
from os1.storage.postgres.pool import Database
from os1.storage.postgres.util import lock_key, now_utc
from os1.storage.postgres.vectors import PostgresVectorSearch, floats
from os1.storage.shared import interleave_by_entity, stored_item

_COLUMNS = (
    "id, user_id, kind, text, occurred_at, created_at, speaker, conversation_id, source_ids, entities, "
    "confidence, importance, subject, attribute, superseded_by"
)
# Words said just before and after an utterance count this much against its own words (as in SQLite).
CONTEXT_WEIGHT = 0.8
# ts_rank_cd's weights, in the order D, C, B, A.
_RANK_WEIGHTS = [0.0, 0.0, CONTEXT_WEIGHT, 1.0]
_OWN_WORDS = "search_text :"
# A vector is stored only for an item of the same user; storing it again renumbers it (a cached index reloads).
_UPSERT_VECTOR = (
    "INSERT INTO memory_vectors (item_id, user_id, model, vector) "
    "SELECT id, user_id, %s, %s FROM memory_items WHERE id = %s AND user_id = %s "
    "ON CONFLICT (item_id) DO UPDATE SET model = excluded.model, vector = excluded.vector, "
    "seq = nextval('memory_vectors_seq')"
)
_UPSERT_VECTOR_AND_EMBEDDING = (
    "INSERT INTO memory_vectors (item_id, user_id, model, vector, embedding) "
    "SELECT id, user_id, %s, %s, %s::float4[]::vector FROM memory_items WHERE id = %s AND user_id = %s "
    "ON CONFLICT (item_id) DO UPDATE SET model = excluded.model, vector = excluded.vector, "
    "embedding = excluded.embedding, seq = nextval('memory_vectors_seq')"
)


def _item(row: Sequence[object]) -> MemoryItem:
    return MemoryItem(
        id=str(row[0]), user_id=str(row[1]), kind=MemoryKind(str(row[2])), text=str(row[3]),
        occurred_at=row[4], created_at=row[5], speaker=str(row[6]),  # type: ignore[arg-type]
        conversation_id=None if row[7] is None else str(row[7]),
        source_ids=tuple(json.loads(str(row[8]))), entities=tuple(json.loads(str(row[9]))),
        confidence=float(row[10]), importance=float(row[11]),  # type: ignore[arg-type]
        subject=str(row[12]), attribute=str(row[13]), superseded_by=None if row[14] is None else str(row[14]),
    )


def tsquery_from_fts5(match: str) -> str:
    """The tsquery text for the memory service's FTS5 expression: each quoted term a phrase (its words
    joined by <->), terms OR-ed; only words (\\w+) pass, so nothing can be read as an operator."""
    own = match.strip().startswith(_OWN_WORDS)
    suffix = ":A" if own else ""
    phrases = []
    for term in re.findall(r'"([^"]*)"', match):
        words = re.findall(r"\w+", term)
        if words:
            phrases.append("(" + " <-> ".join(f"{w}{suffix}" for w in words) + ")")
    return " | ".join(phrases)


class PostgresMemory:
    def __init__(self, db: Database, vector_search: PostgresVectorSearch | None = None) -> None:
        self.db = db
        self.vector_search = vector_search  # set where the schema has pgvector's column

    async def add(self, user_id: str, items: Sequence[NewMemory]) -> list[MemoryItem]:
        now = now_utc()
        stored = []
        async with self.db.transaction() as con:
            for new in items:
                item = stored_item(user_id, new, now)
                await self._insert(con, item, new)
                await _audit(con, user_id, item.id, MemoryAction.ADD, item.kind, now)
                stored.append(item)
        return stored

    async def _insert(self, con: AsyncConnection, item: MemoryItem, new: NewMemory) -> None:
        await con.execute(
            "INSERT INTO memory_items (id, user_id, kind, text, search_text, context, context_of, context_next_of, "
            "speaker, conversation_id, source_ids, entities, confidence, importance, subject, attribute, "
            "occurred_at, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (item.id, item.user_id, item.kind.value, item.text, new.search_text or new.text, new.context,
             new.context_of, new.context_next_of, item.speaker, item.conversation_id,
             json.dumps(list(item.source_ids)), json.dumps(list(item.entities)), item.confidence, item.importance,
             item.subject, item.attribute, item.occurred_at, item.created_at),
        )
        await _add_sources(con, user_id=item.user_id, item_id=item.id, sources=list(set(item.source_ids)))
        await _add_entities(con, user_id=item.user_id, item_id=item.id, entities=list(set(item.entities)))

    async def get(self, user_id: str, ids: Sequence[str]) -> list[MemoryItem]:
        rows = await self._select("id = ANY(%s) AND user_id = %s", (list(ids), user_id))
        found = {i.id: i for i in rows}
        return [found[i] for i in ids if i in found]

    async def list_items(
        self, user_id: str, kinds: Sequence[MemoryKind] = (), *, current_only: bool = True,
        limit: int = 100, offset: int = 0, since: datetime | None = None, until: datetime | None = None,
    ) -> list[MemoryItem]:
        return await self._select(
            "user_id = %s AND (%s OR kind = ANY(%s)) AND (NOT %s OR superseded_by IS NULL) "
            "AND (%s::timestamptz IS NULL OR occurred_at >= %s) AND (%s::timestamptz IS NULL OR occurred_at < %s) "
            "ORDER BY occurred_at DESC, id DESC LIMIT %s OFFSET %s",
            (user_id, not kinds, [k.value for k in kinds], current_only, since, since, until, until, limit, offset),
        )

    async def count(self, user_id: str) -> int:
        return int(await self._one("SELECT count(*) FROM memory_items WHERE user_id = %s", (user_id,)) or 0)

    async def keyword(
        self, user_id: str, match: str, limit: int, newest: int | None = None
    ) -> list[tuple[str, float]]:
        query = tsquery_from_fts5(match)
        if not query:
            return []
        # With ``newest``, rank only the user's newest matches (ids sort by time), as the SQLite store does.
        async with self.db.transaction() as con:
            cur = await con.execute(
                "SELECT id, ts_rank_cd(%s::float4[], search, q) AS score FROM ("
                "  SELECT id, search, q FROM memory_items, to_tsquery('english', %s) q"
                "  WHERE user_id = %s AND search @@ q ORDER BY id DESC LIMIT %s"
                ") newest ORDER BY score DESC, id DESC LIMIT %s",
                (_RANK_WEIGHTS, query, user_id, newest, limit),
            )
            rows = await cur.fetchall()
        return [(str(r[0]), float(r[1])) for r in rows]

    async def by_entities(self, user_id: str, entities: Sequence[str], limit: int) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        async with self.db.transaction() as con:
            for entity in entities:  # one indexed range per entity, newest first
                cur = await con.execute(
                    "SELECT item_id FROM memory_entities WHERE user_id = %s AND entity = %s ORDER BY seq DESC LIMIT %s",
                    (user_id, entity, limit),
                )
                found += [(str(r[0]), entity) for r in await cur.fetchall()]
        return found[:limit] if len(entities) == 1 else interleave_by_entity(found, limit)

    async def entity_counts(self, user_id: str) -> dict[str, int]:
        async with self.db.transaction() as con:
            cur = await con.execute(
                "SELECT entity, count(*) FROM memory_entities WHERE user_id = %s GROUP BY entity", (user_id,)
            )
            rows = await cur.fetchall()
        return {str(r[0]): int(r[1]) for r in rows}

    async def citing(self, user_id: str, source_ids: Sequence[str]) -> list[MemoryItem]:
        async with self.db.transaction() as con:
            cur = await con.execute(
                "SELECT item_id FROM memory_sources WHERE user_id = %s AND source_id = ANY(%s)",
                (user_id, list(source_ids)),
            )
            ids = [str(r[0]) for r in await cur.fetchall()]
        return await self.get(user_id, list(dict.fromkeys(ids)))

    async def by_key(self, user_id: str, subject: str, attribute: str) -> list[MemoryItem]:
        return await self._select(
            "user_id = %s AND subject = %s AND attribute = %s AND superseded_by IS NULL ORDER BY occurred_at",
            (user_id, subject, attribute),
        )

    async def add_context(self, user_id: str, item_id: str, text: str, source_id: str) -> None:
        async with self.db.transaction() as con:
            await con.execute(
                "UPDATE memory_items SET context = context || ' ' || %s, context_next_of = %s "
                "WHERE id = %s AND user_id = %s",
                (text, source_id, item_id, user_id),
            )

    async def supersede(self, user_id: str, old_id: str, new_id: str) -> None:
        async with self.db.transaction() as con:
            cur = await con.execute("UPDATE memory_items SET superseded_by = %s WHERE id = %s AND user_id = %s",
                                    (new_id, old_id, user_id))
            if cur.rowcount:
                await _audit(con, user_id, old_id, MemoryAction.SUPERSEDE, MemoryKind.FACT, now_utc(), f"by {new_id}")

    async def cite(self, user_id: str, item_id: str, source_ids: Sequence[str]) -> None:
        async with self.db.transaction() as con:
            cur = await con.execute(
                "SELECT source_ids, kind FROM memory_items WHERE id = %s AND user_id = %s FOR UPDATE",
                (item_id, user_id),
            )
            row = await cur.fetchone()
            if row is None:
                return
            old = json.loads(str(row[0]))
            new = [s for s in dict.fromkeys(source_ids) if s not in old]
            if not new:
                return
            await con.execute("UPDATE memory_items SET source_ids = %s WHERE id = %s AND user_id = %s",
                              (json.dumps(old + new), item_id, user_id))
            await _add_sources(con, user_id=user_id, item_id=item_id, sources=new)
            await _audit(con, user_id, item_id, MemoryAction.MERGE, MemoryKind(str(row[1])), now_utc())

    async def edit(
        self, user_id: str, item_id: str, text: str, search_text: str = "", entities: Sequence[str] | None = None
    ) -> None:
        async with self.db.transaction() as con:
            cur = await con.execute(
                "UPDATE memory_items SET text = %s, search_text = %s WHERE id = %s AND user_id = %s RETURNING kind",
                (text, search_text or text, item_id, user_id),
            )
            row = await cur.fetchone()
            if row is None:
                return
            await con.execute("DELETE FROM memory_vectors WHERE item_id = %s AND user_id = %s", (item_id, user_id))
            if entities is not None:
                await con.execute("UPDATE memory_items SET entities = %s WHERE id = %s AND user_id = %s",
                                  (json.dumps(list(entities)), item_id, user_id))
                await con.execute("DELETE FROM memory_entities WHERE item_id = %s AND user_id = %s",
                                  (item_id, user_id))
                await _add_entities(con, user_id=user_id, item_id=item_id, entities=list(set(entities)))
            await _audit(con, user_id, item_id, MemoryAction.EDIT, MemoryKind(str(row[0])), now_utc())

    async def forget(self, user_id: str, ids: Sequence[str]) -> int:
        """Deleted rows stay in PostgreSQL's files until VACUUM reclaims them (autovacuum, or the operator);
        SQLite's store overwrites them at once (secure_delete)."""
        now = now_utc()
        async with self.db.transaction() as con:
            cur = await con.execute(
                "SELECT id, kind, source_ids FROM memory_items WHERE user_id = %s AND id = ANY(%s)",
                (user_id, list(ids)),
            )
            rows = await cur.fetchall()
            gone = [str(r[0]) for r in rows]
            # Superseded-by pointers to a forgotten fact would name it; clear them.
            await con.execute("UPDATE memory_items SET superseded_by = NULL WHERE user_id = %s "
                              "AND superseded_by = ANY(%s)", (user_id, gone))
            # Items that carry a forgotten item's words as their context lose them.
            sources = [s for r in rows for s in json.loads(str(r[2]))]
            await con.execute(
                "UPDATE memory_items SET context = '', context_of = NULL, context_next_of = NULL WHERE user_id = %s "
                "AND (context_of = ANY(%s) OR context_next_of = ANY(%s))",
                (user_id, sources, sources),
            )
            await con.execute("DELETE FROM memory_items WHERE user_id = %s AND id = ANY(%s)", (user_id, gone))
            for item_id, kind, _ in rows:
                await _audit(con, user_id, str(item_id), MemoryAction.FORGET, MemoryKind(str(kind)), now)
        return len(gone)

    async def set_vectors(self, user_id: str, model: str, vectors: Sequence[tuple[str, bytes]]) -> None:
        async with self.db.transaction() as con:
            # One writer per user at a time: row numbers are then committed in order, so a reader that has
            # seen row n never misses a smaller one committed later (the index loads only rows after n).
            await con.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key(f"vectors:{user_id}"),))
            async with con.cursor() as cur:
                if self.vector_search is None:
                    await cur.executemany(_UPSERT_VECTOR, [(model, blob, i, user_id) for i, blob in vectors])
                else:  # the searchable copy is written beside the bytes (vectors.py)
                    await cur.executemany(_UPSERT_VECTOR_AND_EMBEDDING,
                                          [(model, blob, floats(blob), i, user_id) for i, blob in vectors])

    async def vectors(self, user_id: str, model: str, after: int = 0) -> list[tuple[int, str, bytes]]:
        async with self.db.transaction() as con:
            cur = await con.execute(
                "SELECT seq, item_id, vector FROM memory_vectors WHERE user_id = %s AND model = %s AND seq > %s "
                "ORDER BY seq",
                (user_id, model, after),
            )
            rows = await cur.fetchall()
        return [(int(r[0]), str(r[1]), bytes(r[2])) for r in rows]

    async def vector_state(self, user_id: str, model: str) -> tuple[int, str]:
        last = await self._one("SELECT max(seq) FROM memory_vectors WHERE user_id = %s AND model = %s",
                               (user_id, model))
        removal = await self._one(
            "SELECT max(id) FROM memory_audit WHERE user_id = %s AND action IN ('forget', 'edit')", (user_id,)
        )
        return int(last or 0), str(removal or "")

    async def unremembered(self, user_id: str, limit: int = 500) -> list[str]:
        async with self.db.transaction() as con:
            cur = await con.execute(
                "SELECT m.id FROM messages m WHERE m.user_id = %s AND m.status != 'streaming' AND m.role != 'system' "
                "AND NOT EXISTS (SELECT 1 FROM memory_sources s WHERE s.user_id = m.user_id AND s.source_id = m.id) "
                "ORDER BY m.id LIMIT %s",
                (user_id, limit),
            )
            rows = await cur.fetchall()
        return [str(r[0]) for r in rows]

    async def audit(self, user_id: str, limit: int = 100, *, item_id: str | None = None) -> list[MemoryChange]:
        async with self.db.transaction() as con:
            cur = await con.execute(
                "SELECT id, user_id, item_id, action, kind, created_at, note FROM memory_audit WHERE user_id = %s "
                "AND (%s::text IS NULL OR item_id = %s) ORDER BY id DESC LIMIT %s",
                (user_id, item_id, item_id, limit),
            )
            rows = await cur.fetchall()
        return [
            MemoryChange(str(r[0]), str(r[1]), str(r[2]), MemoryAction(str(r[3])), MemoryKind(str(r[4])),
                         r[5], str(r[6]))
            for r in rows
        ]

    async def _select(self, where: str, params: tuple[object, ...]) -> list[MemoryItem]:
        async with self.db.transaction() as con:
            cur = await con.execute(f"SELECT {_COLUMNS} FROM memory_items WHERE {where}".encode(), params)
            rows = await cur.fetchall()
        return [_item(r) for r in rows]

    async def _one(self, sql: str, params: tuple[object, ...]) -> Any:
        async with self.db.transaction() as con:
            cur = await con.execute(sql.encode(), params)
            row = await cur.fetchone()
        return row[0] if row else None


async def _audit(con: AsyncConnection, user_id: str, item_id: str, action: MemoryAction, kind: MemoryKind,
                 at: datetime, note: str = "") -> None:
    await con.execute("INSERT INTO memory_audit VALUES (%s, %s, %s, %s, %s, %s, %s)",
                      (new_id("maud"), user_id, item_id, action.value, kind.value, note, at))


async def _add_sources(con: AsyncConnection, *, user_id: str, item_id: str, sources: Sequence[str]) -> None:
    await con.execute("INSERT INTO memory_sources SELECT %s, %s, unnest(%s::text[])", (item_id, user_id, list(sources)))


async def _add_entities(con: AsyncConnection, *, user_id: str, item_id: str, entities: Sequence[str]) -> None:
    await con.execute("INSERT INTO memory_entities (item_id, user_id, entity) SELECT %s, %s, unnest(%s::text[])",
                      (item_id, user_id, list(entities)))
