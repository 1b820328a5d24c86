"""PostgreSQL repositories for the persona's versions and the OS's journal."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from os1.core.ids import new_id
from os1.core.persona import (
    JournalEntry,
    JournalSource,
    NewJournalEntry,
    PersonaSource,
    PersonaState,
    PersonaVersion,
)
from os1.storage.postgres.pool import Database
from os1.storage.postgres.util import lock_key, now_utc

_VERSION_COLUMNS = "user_id, version, state, reason, source, announced, created_at"


def _version(row: Sequence[object]) -> PersonaVersion:
    return PersonaVersion(
        user_id=str(row[0]),
        version=int(str(row[1])),
        state=PersonaState.from_json(json.loads(str(row[2]))),
        reason=str(row[3]),
        source=PersonaSource(str(row[4])),
        announced=bool(row[5]),
        created_at=row[6],  # type: ignore[arg-type]
    )


class PostgresPersona:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self, user_id: str, state: PersonaState, reason: str, source: PersonaSource, *, announced: bool = True,
        created_at: datetime | None = None,
    ) -> PersonaVersion:
        at = created_at or now_utc()
        async with self.db.transaction() as con:
            # max()+1 is not safe under concurrency on its own: two servers would take the same number.
            await con.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key(f"persona:{user_id}"),))
            cur = await con.execute(
                "SELECT coalesce(max(version), 0) + 1 FROM persona_versions WHERE user_id = %s", (user_id,)
            )
            row = await cur.fetchone()
            number = int(row[0]) if row else 1
            await con.execute(
                f"INSERT INTO persona_versions ({_VERSION_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (user_id, number, json.dumps(state.to_json()), reason, source.value, announced, at),
            )
        return PersonaVersion(user_id, number, state, reason, source, at, announced)

    async def latest(self, user_id: str) -> PersonaVersion | None:
        rows = await self._select("user_id = %s ORDER BY version DESC LIMIT 1", (user_id,))
        return rows[0] if rows else None

    async def get(self, user_id: str, version: int) -> PersonaVersion | None:
        rows = await self._select("user_id = %s AND version = %s", (user_id, version))
        return rows[0] if rows else None

    async def history(self, user_id: str, limit: int = 100) -> list[PersonaVersion]:
        rows = await self._select("user_id = %s ORDER BY version DESC LIMIT %s", (user_id, limit))
        return list(reversed(rows))

    async def unannounced(self, user_id: str) -> list[PersonaVersion]:
        return await self._select("user_id = %s AND NOT announced ORDER BY version", (user_id,))

    async def mark_announced(self, user_id: str, versions: Sequence[int]) -> None:
        async with self.db.transaction() as con:
            await con.execute("UPDATE persona_versions SET announced = TRUE WHERE user_id = %s AND version = ANY(%s)",
                              (user_id, list(versions)))

    async def _select(self, where: str, params: tuple[object, ...]) -> list[PersonaVersion]:
        async with self.db.transaction() as con:
            cur = await con.execute(f"SELECT {_VERSION_COLUMNS} FROM persona_versions WHERE {where}".encode(), params)
            rows = await cur.fetchall()
        return [_version(r) for r in rows]


_ENTRY_COLUMNS = "id, user_id, learned, wondered, source, conversation_id, upto_message_id, created_at"


class PostgresJournal:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, user_id: str, entry: NewJournalEntry, created_at: datetime | None = None) -> JournalEntry:
        stored = JournalEntry(
            new_id("jrn"), user_id, entry.learned, entry.wondered, entry.source, entry.conversation_id,
            entry.upto_message_id, created_at or now_utc(),
        )
        async with self.db.transaction() as con:
            await con.execute(
                f"INSERT INTO journal_entries ({_ENTRY_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (stored.id, user_id, stored.learned, stored.wondered, stored.source.value, stored.conversation_id,
                 stored.upto_message_id, stored.created_at),
            )
        return stored

    async def forget_about(self, user_id: str, message_ids: Sequence[str]) -> int:
        # The entry about a message is its conversation's first entry that reflects up to it or beyond
        # (message ids sort by time). All are found before any is deleted, in one transaction: a deleted
        # entry would make the next one look like the first.
        async with self.db.transaction() as con:
            cur = await con.execute(
                "SELECT DISTINCT (SELECT j.id FROM journal_entries j WHERE j.conversation_id = m.conversation_id "
                "AND j.user_id = m.user_id AND j.upto_message_id >= m.id ORDER BY j.upto_message_id, j.id LIMIT 1) "
                "FROM messages m WHERE m.user_id = %s AND m.id = ANY(%s)",
                (user_id, list(message_ids)),
            )
            entries = [str(r[0]) for r in await cur.fetchall() if r[0] is not None]
            await con.execute("DELETE FROM journal_entries WHERE user_id = %s AND id = ANY(%s)", (user_id, entries))
        return len(entries)

    async def latest(self, user_id: str, limit: int = 5) -> list[JournalEntry]:
        async with self.db.transaction() as con:
            cur = await con.execute(
                f"SELECT {_ENTRY_COLUMNS} FROM journal_entries WHERE user_id = %s ORDER BY id DESC LIMIT %s",
                (user_id, limit),
            )
            rows = await cur.fetchall()
        return [JournalEntry(r[0], r[1], r[2], r[3], JournalSource(r[4]), r[5], r[6], r[7]) for r in rows]
