"""SQLite implementation of the memory repository: items, FTS5 keyword index, vectors, entities, audit.

Every statement filters on user_id, so one user's memory never comes back for another. Sources and
entities live in their own tables (not only as JSON on the item) so "what cites this utterance?" and
"what mentions Ana?" are index lookups, and deleting an item cascades to them.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Sequence
from datetime import datetime

from os1.core.ids import new_id
from os1.core.memory import MemoryAction, MemoryChange, MemoryItem, MemoryKind, NewMemory
from os1.storage.shared import interleave_by_entity, stored_item
from os1.storage.sqlite.group_commit import commit_pending
from os1.storage.sqlite.owned import SLOT_SHIFT, owned_match
from os1.storage.sqlite.util import ROUTINE_SECURE_DELETE, dt, now_utc, transaction, ts

_COLUMNS = (
    "id, user_id, kind, text, occurred_at, created_at, speaker, conversation_id, source_ids, entities, "
    "confidence, importance, subject, attribute, superseded_by"
)
log = logging.getLogger(__name__)

# Words said just before and after an utterance count this much against its own words (tuned on LoCoMo).
CONTEXT_WEIGHT = 0.8
# SQLite allows 32766 host parameters; stay well below it when expanding IN (...) lists.
_CHUNK = 500
# Each user's items have rowids in [slot * SLOT_SPAN, (slot + 1) * SLOT_SPAN) (migration 8): the FTS5 index is
# shared by all users, and a rowid range is the one filter it applies while walking a term's postings.
SLOT_SPAN = 1 << SLOT_SHIFT


def _item(row: Sequence[object]) -> MemoryItem:
    return MemoryItem(
        id=str(row[0]), user_id=str(row[1]), kind=MemoryKind(str(row[2])), text=str(row[3]),
        occurred_at=dt(str(row[4])), created_at=dt(str(row[5])), speaker=str(row[6]),
        conversation_id=None if row[7] is None else str(row[7]),
        source_ids=tuple(json.loads(str(row[8]))), entities=tuple(json.loads(str(row[9]))),
        confidence=float(row[10]), importance=float(row[11]),  # type: ignore[arg-type]
        subject=str(row[12]), attribute=str(row[13]), superseded_by=None if row[14] is None else str(row[14]),
    )


def _chunks(values: Sequence[str]) -> list[Sequence[str]]:
    return [values[i : i + _CHUNK] for i in range(0, len(values), _CHUNK)]


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


class SQLiteMemory:
    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con
        self.vector_search = None  # the memory layer's numpy index searches the stored bytes (faster here)
        self._slots: dict[str, int] = {}  # user -> slot; a slot never changes once given, so any process may keep it

    def _slot(self, user_id: str, *, create: bool = False) -> int | None:
        """The user's rowid slot (migration 8); ``create`` (inside a write transaction) gives them the next
        free one. None when they have none, i.e. no memory items yet."""
        slot = self._slots.get(user_id)
        if slot is None:
            if create:
                self.con.execute("INSERT OR IGNORE INTO memory_slots (user_id, slot) "
                                 "SELECT ?, coalesce(max(slot), 0) + 1 FROM memory_slots", (user_id,))
            row = self.con.execute("SELECT slot FROM memory_slots WHERE user_id = ?", (user_id,)).fetchone()
            if row is None:
                return None
            slot = self._slots[user_id] = int(row[0])
        return slot

    def _range(self, user_id: str, *, create: bool = False) -> tuple[int, int] | None:
        """The user's rowids, first and last (inclusive)."""
        slot = self._slot(user_id, create=create)
        return None if slot is None else (slot * SLOT_SPAN, (slot + 1) * SLOT_SPAN - 1)

    async def add(self, user_id: str, items: Sequence[NewMemory]) -> list[MemoryItem]:
        now = now_utc()
        stored = []
        try:
            with transaction(self.con):
                rowids = self._range(user_id, create=True)
                assert rowids is not None
                last = self.con.execute("SELECT max(rowid) FROM memory_items WHERE rowid BETWEEN ? AND ?",
                                        rowids).fetchone()[0]
                rowid = rowids[0] if last is None else int(last)
                for new in items:
                    item = stored_item(user_id, new, now)
                    rowid += 1  # the next in the user's range: rowid order stays the order items were added
                    self._insert(rowid, item, new)
                    self._audit(user_id, item.id, MemoryAction.ADD, item.kind, now)
                    stored.append(item)
        except BaseException:
            self._slots.pop(user_id, None)  # a slot given in a transaction that rolled back was never given
            raise
        return stored

    def _insert(self, rowid: int, item: MemoryItem, new: NewMemory) -> None:
        self.con.execute(
            "INSERT INTO memory_items (rowid, id, user_id, kind, text, search_text, context, context_of, "
            "context_next_of, speaker, conversation_id, source_ids, entities, confidence, importance, subject, "
            "attribute, occurred_at, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (rowid, item.id, item.user_id, item.kind.value, item.text, new.search_text or new.text, new.context,
             new.context_of, new.context_next_of, item.speaker, item.conversation_id,
             json.dumps(list(item.source_ids)), json.dumps(list(item.entities)), item.confidence, item.importance,
             item.subject, item.attribute, ts(item.occurred_at), ts(item.created_at)),
        )
        self.con.executemany(
            "INSERT INTO memory_sources VALUES (?, ?, ?)", [(item.id, item.user_id, s) for s in set(item.source_ids)]
        )
        self.con.executemany(
            "INSERT INTO memory_entities VALUES (?, ?, ?)", [(item.id, item.user_id, e) for e in set(item.entities)]
        )

    def _audit(self, user_id: str, item_id: str, action: MemoryAction, kind: MemoryKind, at: datetime,
               note: str = "") -> None:
        self.con.execute(
            "INSERT INTO memory_audit VALUES (?, ?, ?, ?, ?, ?, ?)",
            (new_id("maud"), user_id, item_id, action.value, kind.value, note, ts(at)),
        )

    async def get(self, user_id: str, ids: Sequence[str]) -> list[MemoryItem]:
        found: dict[str, MemoryItem] = {}
        for chunk in _chunks(list(ids)):
            rows = self.con.execute(
                # "+user_id": filter on it, but look rows up by primary key (the planner would otherwise
                # walk the user's index, i.e. every item of theirs).
                f"SELECT {_COLUMNS} FROM memory_items WHERE id IN ({_marks(chunk)}) AND +user_id = ?",
                (*chunk, user_id),
            ).fetchall()
            found.update((str(r[0]), _item(r)) for r in rows)
        return [found[i] for i in ids if i in found]

    async def list_items(
        self, user_id: str, kinds: Sequence[MemoryKind] = (), *, current_only: bool = True,
        limit: int = 100, offset: int = 0, since: datetime | None = None, until: datetime | None = None,
    ) -> list[MemoryItem]:
        where, params = ["user_id = ?"], [user_id]
        if kinds:
            where.append(f"kind IN ({_marks(kinds)})")
            params += [k.value for k in kinds]
        if current_only:
            where.append("superseded_by IS NULL")
        if since is not None:
            where.append("occurred_at >= ?")
            params.append(ts(since))
        if until is not None:
            where.append("occurred_at < ?")
            params.append(ts(until))
        rows = self.con.execute(
            f"SELECT {_COLUMNS} FROM memory_items WHERE {' AND '.join(where)} "
            "ORDER BY occurred_at DESC, id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        ).fetchall()
        return [_item(r) for r in rows]

    async def count(self, user_id: str) -> int:
        return int(self.con.execute("SELECT count(*) FROM memory_items WHERE user_id = ?", (user_id,)).fetchone()[0])

    async def keyword(
        self, user_id: str, match: str, limit: int, newest: int | None = None
    ) -> list[tuple[str, float]]:
        rowids = self._range(user_id) if match else None
        if rowids is None:  # no query, or no items yet
            return []
        first, last = rowids
        match = owned_match(first >> SLOT_SHIFT, match)  # the index holds the user's words tagged as theirs
        # Rowids in a range are given one by one, so a user whose range holds at most ``newest`` of them has at
        # most that many matches: no need to look for the n-th newest (most users, most turns).
        top = self.con.execute("SELECT max(rowid) FROM memory_items WHERE rowid BETWEEN ? AND ?", rowids).fetchone()[0]
        if newest and top is not None and top - first >= newest:
            first = max(first, self._nth_newest_match(user_id, match, newest, rowids) + 1)
        # bm25() is lower-is-better and negative; negate it so callers can treat it as a score. The tagged words
        # and the rowid range keep the walk to this user's items; the user_id filter scopes the answer all the same.
        rank = f"bm25(memory_fts, 1.0, {CONTEXT_WEIGHT})"
        rows = self.con.execute(
            f"SELECT m.id, -{rank} AS score FROM memory_fts JOIN memory_items m ON m.rowid = memory_fts.rowid "
            f"WHERE memory_fts MATCH ? AND m.user_id = ? AND memory_fts.rowid BETWEEN ? AND ? ORDER BY {rank} "
            "LIMIT ?",
            (match, user_id, first, last, limit),
        ).fetchall()
        return [(str(r[0]), float(r[1])) for r in rows]

    def _nth_newest_match(self, user_id: str, match: str, n: int, rowids: tuple[int, int]) -> int:
        """The rowid below the user's ``n`` newest matches (0 when there are fewer). Walking a term's
        postings in rowid order is cheap; computing BM25 for every one of them is not."""
        row = self.con.execute(
            "SELECT memory_fts.rowid FROM memory_fts JOIN memory_items m ON m.rowid = memory_fts.rowid "
            "WHERE memory_fts MATCH ? AND m.user_id = ? AND memory_fts.rowid BETWEEN ? AND ? "
            "ORDER BY memory_fts.rowid DESC LIMIT 1 OFFSET ?",
            (match, user_id, *rowids, n),
        ).fetchone()
        return int(row[0]) if row else 0

    async def by_entities(self, user_id: str, entities: Sequence[str], limit: int) -> list[tuple[str, str]]:
        # One indexed range per entity, newest first (rows of one key are in rowid order in the index), so
        # a name mentioned in thousands of items costs ``limit`` rows, not thousands.
        found: list[tuple[str, str]] = []
        for entity in entities:
            rows = self.con.execute(
                "SELECT item_id FROM memory_entities WHERE user_id = ? AND entity = ? ORDER BY rowid DESC LIMIT ?",
                (user_id, entity, limit),
            ).fetchall()
            found += [(str(r[0]), entity) for r in rows]
        return found[:limit] if len(entities) == 1 else interleave_by_entity(found, limit)

    async def entity_counts(self, user_id: str) -> dict[str, int]:
        rows = self.con.execute(
            "SELECT entity, count(*) FROM memory_entities WHERE user_id = ? GROUP BY entity", (user_id,)
        ).fetchall()
        return {str(r[0]): int(r[1]) for r in rows}

    async def citing(self, user_id: str, source_ids: Sequence[str]) -> list[MemoryItem]:
        ids: list[str] = []
        for chunk in _chunks(list(source_ids)):
            rows = self.con.execute(
                f"SELECT DISTINCT item_id FROM memory_sources WHERE user_id = ? AND source_id IN ({_marks(chunk)})",
                (user_id, *chunk),
            ).fetchall()
            ids += [str(r[0]) for r in rows]
        return await self.get(user_id, list(dict.fromkeys(ids)))

    async def by_key(self, user_id: str, subject: str, attribute: str) -> list[MemoryItem]:
        rows = self.con.execute(
            f"SELECT {_COLUMNS} FROM memory_items WHERE user_id = ? AND subject = ? AND attribute = ? "
            "AND superseded_by IS NULL ORDER BY occurred_at",
            (user_id, subject, attribute),
        ).fetchall()
        return [_item(r) for r in rows]

    async def add_context(self, user_id: str, item_id: str, text: str, source_id: str) -> None:
        self.con.execute(
            "UPDATE memory_items SET context = context || ' ' || ?, context_next_of = ? WHERE id = ? AND user_id = ?",
            (text, source_id, item_id, user_id),
        )

    async def supersede(self, user_id: str, old_id: str, new_id: str) -> None:
        with transaction(self.con):
            cur = self.con.execute(
                "UPDATE memory_items SET superseded_by = ? WHERE id = ? AND user_id = ?", (new_id, old_id, user_id)
            )
            if cur.rowcount:
                self._audit(user_id, old_id, MemoryAction.SUPERSEDE, MemoryKind.FACT, now_utc(), f"by {new_id}")

    async def cite(self, user_id: str, item_id: str, source_ids: Sequence[str]) -> None:
        with transaction(self.con):
            row = self.con.execute(
                "SELECT source_ids, kind FROM memory_items WHERE id = ? AND user_id = ?", (item_id, user_id)
            ).fetchone()
            if row is None:
                return
            old = json.loads(str(row[0]))
            new = [s for s in dict.fromkeys(source_ids) if s not in old]
            if not new:
                return
            self.con.execute("UPDATE memory_items SET source_ids = ? WHERE id = ?", (json.dumps(old + new), item_id))
            self.con.executemany("INSERT INTO memory_sources VALUES (?, ?, ?)", [(item_id, user_id, s) for s in new])
            self._audit(user_id, item_id, MemoryAction.MERGE, MemoryKind(str(row[1])), now_utc())

    async def edit(
        self, user_id: str, item_id: str, text: str, search_text: str = "", entities: Sequence[str] | None = None
    ) -> None:
        with transaction(self.con):
            row = self.con.execute(
                "SELECT kind FROM memory_items WHERE id = ? AND user_id = ?", (item_id, user_id)
            ).fetchone()
            if row is None:
                return
            self.con.execute(
                "UPDATE memory_items SET text = ?, search_text = ? WHERE id = ? AND user_id = ?",
                (text, search_text or text, item_id, user_id),
            )
            self.con.execute("DELETE FROM memory_vectors WHERE item_id = ? AND user_id = ?", (item_id, user_id))
            if entities is not None:
                self._set_entities(user_id, item_id, entities)
            self._audit(user_id, item_id, MemoryAction.EDIT, MemoryKind(str(row[0])), now_utc())

    def _set_entities(self, user_id: str, item_id: str, entities: Sequence[str]) -> None:
        self.con.execute("UPDATE memory_items SET entities = ? WHERE id = ? AND user_id = ?",
                         (json.dumps(list(entities)), item_id, user_id))
        self.con.execute("DELETE FROM memory_entities WHERE item_id = ? AND user_id = ?", (item_id, user_id))
        self.con.executemany("INSERT INTO memory_entities VALUES (?, ?, ?)",
                             [(item_id, user_id, e) for e in set(entities)])

    async def forget(self, user_id: str, ids: Sequence[str]) -> int:
        """Forget items for good. Runs last in ``Memory.forget``: besides the items it scrubs what the earlier
        steps (messages, journal) and everyday writes left behind in the file."""
        commit_pending(self.con)  # the checkpoint below must find no transaction open
        self.con.execute("PRAGMA secure_delete=ON")  # everything this frees is overwritten, whole pages too
        try:
            gone = self._forget(user_id, ids)
            zero_free_pages(self.con)
        finally:
            self.con.execute(f"PRAGMA secure_delete={ROUTINE_SECURE_DELETE}")
        empty_log(self.con)
        return gone

    def _forget(self, user_id: str, ids: Sequence[str]) -> int:
        gone = 0
        now = now_utc()
        with transaction(self.con):
            for chunk in _chunks(list(ids)):
                rows = self.con.execute(
                    f"SELECT id, kind FROM memory_items WHERE user_id = ? AND id IN ({_marks(chunk)})",
                    (user_id, *chunk),
                ).fetchall()
                # Superseded-by pointers to a forgotten fact would name it; clear them.
                self.con.execute(
                    f"UPDATE memory_items SET superseded_by = NULL WHERE user_id = ? "
                    f"AND superseded_by IN ({_marks(chunk)})",
                    (user_id, *chunk),
                )
                for item_id, kind in rows:
                    self._clear_context_from(user_id, str(item_id))
                    self.con.execute("DELETE FROM memory_items WHERE id = ? AND user_id = ?", (item_id, user_id))
                    self._audit(user_id, str(item_id), MemoryAction.FORGET, MemoryKind(str(kind)), now)
                gone += len(rows)
            # Drop deleted entries from the index's segments now rather than at some later merge.
            self.con.execute("INSERT INTO memory_fts(memory_fts) VALUES ('optimize')")
            self.con.execute("INSERT INTO messages_fts(messages_fts) VALUES ('optimize')")
        return gone

    def _clear_context_from(self, user_id: str, item_id: str) -> None:
        """Items that carry this item's words as their context lose them (the trigger re-indexes them)."""
        row = self.con.execute("SELECT source_ids FROM memory_items WHERE id = ?", (item_id,)).fetchone()
        sources = json.loads(str(row[0])) if row else []
        if sources:
            self.con.execute(
                f"UPDATE memory_items SET context = '', context_of = NULL, context_next_of = NULL WHERE user_id = ? "
                f"AND (context_of IN ({_marks(sources)}) OR context_next_of IN ({_marks(sources)}))",
                (user_id, *sources, *sources),
            )

    async def set_vectors(self, user_id: str, model: str, vectors: Sequence[tuple[str, bytes]]) -> None:
        with transaction(self.con):
            self.con.executemany(
                "INSERT OR REPLACE INTO memory_vectors (item_id, user_id, model, vector) "
                "SELECT id, user_id, ?, ? FROM memory_items WHERE id = ? AND user_id = ?",
                [(model, blob, item_id, user_id) for item_id, blob in vectors],
            )

    async def vectors(self, user_id: str, model: str, after: int = 0) -> list[tuple[int, str, bytes]]:
        rows = self.con.execute(
            "SELECT rowid, item_id, vector FROM memory_vectors WHERE user_id = ? AND model = ? AND rowid > ? "
            "ORDER BY rowid",
            (user_id, model, after),
        ).fetchall()
        return [(int(r[0]), str(r[1]), bytes(r[2])) for r in rows]

    async def vector_state(self, user_id: str, model: str) -> tuple[int, str]:
        last = self.con.execute(
            "SELECT max(rowid) FROM memory_vectors WHERE user_id = ? AND model = ?", (user_id, model)
        ).fetchone()[0]
        removal = self.con.execute(
            "SELECT max(id) FROM memory_audit WHERE user_id = ? AND action IN ('forget', 'edit')", (user_id,)
        ).fetchone()[0]
        return int(last or 0), str(removal or "")

    async def unremembered(self, user_id: str, limit: int = 500) -> list[str]:
        rows = self.con.execute(
            "SELECT m.id FROM messages m WHERE m.user_id = ? AND m.status != 'streaming' AND m.role != 'system' "
            "AND NOT EXISTS (SELECT 1 FROM memory_sources s WHERE s.user_id = m.user_id AND s.source_id = m.id) "
            "ORDER BY m.id LIMIT ?",
            (user_id, limit),
        ).fetchall()
        return [str(r[0]) for r in rows]

    async def audit(self, user_id: str, limit: int = 100, *, item_id: str | None = None) -> list[MemoryChange]:
        only_item = "" if item_id is None else " AND item_id = ?"
        rows = self.con.execute(
            "SELECT id, user_id, item_id, action, kind, created_at, note FROM memory_audit WHERE user_id = ?"
            f"{only_item} ORDER BY id DESC LIMIT ?",
            (user_id, *(() if item_id is None else (item_id,)), limit),
        ).fetchall()
        return [
            MemoryChange(str(r[0]), str(r[1]), str(r[2]), MemoryAction(str(r[3])), MemoryKind(str(r[4])),
                         dt(str(r[5])), str(r[6]))
            for r in rows
        ]


_ZERO_PAGES_PER_ROW = 16384
_EMPTY_LOG_TRIES = 20


def empty_log(con: sqlite3.Connection) -> None:
    """Old page images stay in the write-ahead log until a checkpoint: copy them back and empty it now. A
    server's checkpoint thread (checkpointer.py) may be running one this instant: wait for it (~ms)."""
    for _ in range(_EMPTY_LOG_TRIES):
        if con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0:
            return
        time.sleep(0.01)
    log.warning("the write-ahead log could not be emptied after forgetting; the next checkpoint will")


def zero_free_pages(con: sqlite3.Connection) -> None:
    """Overwrite every free page of the file with zeros. Everyday writes free whole pages without wiping
    them (``secure_delete=FAST``): old index segments, a message's overflow pages. A zero blob as large as
    the free list takes those pages (SQLite reuses free pages before it grows the file) and writes zeros
    into them; dropping it gives them back, still zero."""
    free = int(con.execute("PRAGMA freelist_count").fetchone()[0])
    if not free:
        return
    page_size = int(con.execute("PRAGMA page_size").fetchone()[0])
    with transaction(con):
        con.execute("CREATE TABLE os1_zero_free_pages (b BLOB)")
        for start in range(0, free, _ZERO_PAGES_PER_ROW):  # a blob is at most 1 GB (SQLITE_MAX_LENGTH)
            pages = min(_ZERO_PAGES_PER_ROW, free - start)
            con.execute("INSERT INTO os1_zero_free_pages VALUES (zeroblob(?))", (pages * page_size,))
        con.execute("DROP TABLE os1_zero_free_pages")
