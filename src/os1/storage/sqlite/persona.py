"""SQLite repositories for the persona's versions and the OS's journal (schema: migration 6)."""

from __future__ import annotations

import json
import sqlite3
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
from os1.storage.sqlite.util import dt, now_utc, transaction, ts

_VERSION_COLUMNS = "user_id, version, state, reason, source, announced, created_at"


def _version(row: tuple[str, int, str, str, str, int, str]) -> PersonaVersion:
    return PersonaVersion(
        user_id=row[0],
        version=int(row[1]),
        state=PersonaState.from_json(json.loads(row[2])),
        reason=row[3],
        source=PersonaSource(row[4]),
        announced=bool(row[5]),
        created_at=dt(row[6]),
    )


class SQLitePersona:
    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con

    async def add(
        self, user_id: str, state: PersonaState, reason: str, source: PersonaSource, *, announced: bool = True,
        created_at: datetime | None = None,
    ) -> PersonaVersion:
        at = created_at or now_utc()
        # The next number and the insert in one write transaction: two processes cannot take the same number.
        with transaction(self.con):
            row = self.con.execute(
                "SELECT coalesce(max(version), 0) + 1 FROM persona_versions WHERE user_id = ?", (user_id,)
            ).fetchone()
            number = int(row[0])
            self.con.execute(
                f"INSERT INTO persona_versions ({_VERSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (user_id, number, json.dumps(state.to_json()), reason, source.value, int(announced), ts(at)),
            )
        return PersonaVersion(user_id, number, state, reason, source, at, announced)

    async def latest(self, user_id: str) -> PersonaVersion | None:
        row = self.con.execute(
            f"SELECT {_VERSION_COLUMNS} FROM persona_versions WHERE user_id = ? ORDER BY version DESC LIMIT 1",
            (user_id,),
        ).fetchone()
        return _version(row) if row else None

    async def get(self, user_id: str, version: int) -> PersonaVersion | None:
        row = self.con.execute(
            f"SELECT {_VERSION_COLUMNS} FROM persona_versions WHERE user_id = ? AND version = ?", (user_id, version)
        ).fetchone()
        return _version(row) if row else None

    async def history(self, user_id: str, limit: int = 100) -> list[PersonaVersion]:
        rows = self.con.execute(
            f"SELECT {_VERSION_COLUMNS} FROM persona_versions WHERE user_id = ? ORDER BY version DESC LIMIT ?",
            (user_id, limit),
        ).fetchall()
        return [_version(r) for r in reversed(rows)]

    async def unannounced(self, user_id: str) -> list[PersonaVersion]:
        rows = self.con.execute(
            f"SELECT {_VERSION_COLUMNS} FROM persona_versions WHERE user_id = ? AND announced = 0 ORDER BY version",
            (user_id,),
        ).fetchall()
        return [_version(r) for r in rows]

    async def mark_announced(self, user_id: str, versions: Sequence[int]) -> None:
        with transaction(self.con):
            for number in versions:
                self.con.execute(
                    "UPDATE persona_versions SET announced = 1 WHERE user_id = ? AND version = ?", (user_id, number)
                )


_ENTRY_COLUMNS = "id, user_id, learned, wondered, source, conversation_id, upto_message_id, created_at"


class SQLiteJournal:
    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con

    async def add(self, user_id: str, entry: NewJournalEntry, created_at: datetime | None = None) -> JournalEntry:
        stored = JournalEntry(
            new_id("jrn"), user_id, entry.learned, entry.wondered, entry.source, entry.conversation_id,
            entry.upto_message_id, created_at or now_utc(),
        )
        self.con.execute(
            f"INSERT INTO journal_entries ({_ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (stored.id, user_id, stored.learned, stored.wondered, stored.source.value, stored.conversation_id,
             stored.upto_message_id, ts(stored.created_at)),
        )
        return stored

    async def forget_about(self, user_id: str, message_ids: Sequence[str]) -> int:
        # The entry about a message is its conversation's first entry that reflects up to it or beyond
        # (message ids sort by time; each entry starts where the previous one ended).
        # All found before any is deleted: a deleted entry would make the next one look like the first.
        entries = set()
        for message_id in message_ids:
            row = self.con.execute(
                "SELECT j.id FROM messages m JOIN journal_entries j "
                "ON j.conversation_id = m.conversation_id AND j.user_id = m.user_id "
                "WHERE m.user_id = ? AND m.id = ? AND j.upto_message_id >= m.id "
                "ORDER BY j.upto_message_id, j.id LIMIT 1",
                (user_id, message_id),
            ).fetchone()
            if row is not None:
                entries.add(str(row[0]))
        with transaction(self.con):
            for entry_id in entries:
                self.con.execute("DELETE FROM journal_entries WHERE id = ? AND user_id = ?", (entry_id, user_id))
        return len(entries)

    async def latest(self, user_id: str, limit: int = 5) -> list[JournalEntry]:
        rows = self.con.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM journal_entries WHERE user_id = ? ORDER BY id DESC LIMIT ?",
            (user_id, limit),
        ).fetchall()
        return [
            JournalEntry(r[0], r[1], r[2], r[3], JournalSource(r[4]), r[5], r[6], dt(r[7])) for r in rows
        ]
