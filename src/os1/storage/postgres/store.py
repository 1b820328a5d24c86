"""PostgreSQL implementation of the repositories, for several `os1 serve` processes sharing one database.

Every statement filters on user_id. Writes that must agree across processes (the local user, the next
persona version) take a transaction-scoped advisory lock, the counterpart of SQLite's BEGIN IMMEDIATE.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import psycopg

from os1.core.errors import NotFoundError, StorageError
from os1.core.ids import new_id
from os1.core.messages import Conversation, MessageStatus, Role, SearchHit, StoredMessage, User
from os1.core.profile import Profile
from os1.storage.base import (
    AccountRepo,
    AffectRepo,
    CareEventRepo,
    ConversationRepo,
    JournalRepo,
    MemoryRepo,
    MessageRepo,
    PersonaRepo,
    ProfileRepo,
    UserRepo,
)
from os1.storage.postgres.accounts import PostgresAccounts
from os1.storage.postgres.affect import PostgresAffect
from os1.storage.postgres.memory import PostgresMemory
from os1.storage.postgres.migrations import LATEST, migrate
from os1.storage.postgres.persona import PostgresJournal, PostgresPersona
from os1.storage.postgres.pool import Database
from os1.storage.postgres.util import lock_key, now_utc
from os1.storage.postgres.vectors import PostgresVectorSearch, has_native_vectors

LOCAL_USER_NAME = "local"


class PostgresStore:
    def __init__(self, db: Database, *, native_vectors: bool = False) -> None:
        """``native_vectors``: the schema has pgvector's column (``has_native_vectors``), so memory vectors
        are searched in the database."""
        self.db = db
        self.users: UserRepo = _Users(db)
        self.accounts: AccountRepo = PostgresAccounts(db)
        self.profiles: ProfileRepo = _Profiles(db)
        self.conversations: ConversationRepo = _Conversations(db)
        self.messages: MessageRepo = _Messages(db)
        self.care_events: CareEventRepo = _CareEvents(db)
        self.affect: AffectRepo = PostgresAffect(db)
        self.memory: MemoryRepo = PostgresMemory(db, PostgresVectorSearch(db) if native_vectors else None)
        self.persona: PersonaRepo = PostgresPersona(db)
        self.journal: JournalRepo = PostgresJournal(db)

    async def close(self) -> None:
        await self.db.close()


def open_store(url: str, *, recover: bool = True) -> PostgresStore:
    """Migrate the database at ``url`` (synchronously, once, before any server loop runs) and open a store."""
    try:
        with psycopg.connect(url, autocommit=True) as con:
            version = migrate(con)
            if version > LATEST:
                raise StorageError(f"the database at {safe_url(url)} is from a newer OS1 (schema {version})",
                                   "upgrade OS1")
            if recover:
                recover_interrupted(con)
            native_vectors = has_native_vectors(con)
    except psycopg.Error as exc:
        raise StorageError(f"cannot open the database at {safe_url(url)}: {exc}",
                           "check database_url and that PostgreSQL is running") from exc
    return PostgresStore(Database(url), native_vectors=native_vectors)


def recover_interrupted(con: psycopg.Connection) -> int:
    """Replies left ``streaming`` by a process that died are marked truncated; returns how many.

    With several servers on one database, a server starting mid-reply of another marks that reply too;
    the other server's final ``update`` sets its real status, so nothing is lost.
    """
    return con.execute("UPDATE messages SET status = 'truncated' WHERE status = 'streaming'").rowcount


def safe_url(url: str) -> str:
    """The URL without a password, for error messages."""
    head, at, tail = url.rpartition("@")
    return f"{head.split(':')[0]}://…@{tail}" if at else url


class _Users:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, name: str) -> User:
        user = User(new_id("usr"), name, now_utc())
        async with self.db.transaction() as con:
            await con.execute("INSERT INTO users VALUES (%s, %s, %s)", (user.id, user.name, user.created_at))
        return user

    async def get(self, user_id: str) -> User | None:
        async with self.db.transaction() as con:
            cur = await con.execute("SELECT id, name, created_at FROM users WHERE id = %s", (user_id,))
            row = await cur.fetchone()
        return User(row[0], row[1], row[2]) if row else None

    async def local_user(self) -> User:
        async with self.db.transaction() as con:
            # Two processes starting at once must agree on one user.
            await con.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key("local_user"),))
            cur = await con.execute(
                "SELECT id, name, created_at FROM users WHERE name = %s ORDER BY id LIMIT 1", (LOCAL_USER_NAME,)
            )
            row = await cur.fetchone()
            if row is not None:
                return User(row[0], row[1], row[2])
            user = User(new_id("usr"), LOCAL_USER_NAME, now_utc())
            await con.execute("INSERT INTO users VALUES (%s, %s, %s)", (user.id, user.name, user.created_at))
        return user


class _Profiles:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, user_id: str) -> Profile:
        async with self.db.transaction() as con:
            cur = await con.execute("SELECT data FROM profiles WHERE user_id = %s", (user_id,))
            row = await cur.fetchone()
        return Profile.from_json({**json.loads(row[0]), "user_id": user_id}) if row else Profile(user_id=user_id)

    async def save(self, profile: Profile) -> None:
        async with self.db.transaction() as con:
            await con.execute(
                "INSERT INTO profiles VALUES (%s, %s, %s) ON CONFLICT (user_id) DO UPDATE SET data = excluded.data, "
                "updated_at = excluded.updated_at",
                (profile.user_id, json.dumps(profile.to_json()), now_utc()),
            )


_CONV_COLUMNS = "id, user_id, created_at, title"


class _Conversations:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, user_id: str, title: str = "") -> Conversation:
        conv = Conversation(new_id("conv"), user_id, now_utc(), title)
        async with self.db.transaction() as con:
            await con.execute("INSERT INTO conversations VALUES (%s, %s, %s, %s)",
                              (conv.id, user_id, title, conv.created_at))
        return conv

    async def get(self, user_id: str, conversation_id: str) -> Conversation | None:
        rows = await self._select("WHERE id = %s AND user_id = %s", (conversation_id, user_id))
        return rows[0] if rows else None

    async def latest(self, user_id: str) -> Conversation | None:
        rows = await self._select("WHERE user_id = %s ORDER BY id DESC LIMIT 1", (user_id,))
        return rows[0] if rows else None

    async def newest(self, user_id: str, limit: int = 50) -> list[Conversation]:
        return await self._select("WHERE user_id = %s ORDER BY id DESC LIMIT %s", (user_id, limit))

    async def _select(self, where: str, params: tuple[object, ...]) -> list[Conversation]:
        async with self.db.transaction() as con:
            cur = await con.execute(f"SELECT {_CONV_COLUMNS} FROM conversations {where}".encode(), params)
            rows = await cur.fetchall()
        return [Conversation(r[0], r[1], r[2], r[3]) for r in rows]


_MSG_COLUMNS = "m.id, m.conversation_id, m.user_id, m.role, m.content, m.created_at, m.status"


def _message(row: Sequence[object]) -> StoredMessage:
    return StoredMessage(str(row[0]), str(row[1]), str(row[2]), Role(str(row[3])), str(row[4]),
                         row[5], MessageStatus(str(row[6])))  # type: ignore[arg-type]


class _Messages:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self,
        user_id: str,
        conversation_id: str,
        role: Role,
        content: str,
        status: MessageStatus = MessageStatus.COMPLETE,
        created_at: datetime | None = None,
    ) -> StoredMessage:
        msg = StoredMessage(new_id("msg"), conversation_id, user_id, role, content, created_at or now_utc(), status)
        async with self.db.transaction() as con:
            cur = await con.execute(
                "INSERT INTO messages (id, conversation_id, user_id, role, content, status, created_at) "
                "SELECT %s, id, user_id, %s, %s, %s, %s FROM conversations WHERE id = %s AND user_id = %s",
                (msg.id, role.value, content, status.value, msg.created_at, conversation_id, user_id),
            )
        if cur.rowcount != 1:
            raise NotFoundError(f"no conversation {conversation_id} for this user", "start a new conversation")
        return msg

    async def update(self, user_id: str, message_id: str, content: str, status: MessageStatus) -> None:
        async with self.db.transaction() as con:
            await con.execute("UPDATE messages SET content = %s, status = %s WHERE id = %s AND user_id = %s",
                              (content, status.value, message_id, user_id))

    async def recent(self, user_id: str, conversation_id: str, limit: int) -> list[StoredMessage]:
        rows = await self._select("m.user_id = %s AND m.conversation_id = %s ORDER BY m.id DESC LIMIT %s",
                                  (user_id, conversation_id, limit))
        return list(reversed(rows))

    async def history(self, user_id: str, limit: int = 50) -> list[StoredMessage]:
        return list(reversed(await self._select("m.user_id = %s ORDER BY m.id DESC LIMIT %s", (user_id, limit))))

    async def search(self, user_id: str, text: str, limit: int = 20) -> list[SearchHit]:
        """Every word must appear (plainto_tsquery: English stemming; stop words are dropped, where FTS5
        matches them), best first by ts_rank_cd; the snippet marks matches with [ ] like FTS5's."""
        if not text.strip():
            return []
        async with self.db.transaction() as con:
            cur = await con.execute(
                f"SELECT {_MSG_COLUMNS}, ts_headline('english', m.content, q, "
                "'StartSel=[, StopSel=], MaxWords=12, MinWords=4, FragmentDelimiter=…') "
                "FROM messages m, plainto_tsquery('english', %s) q "
                "WHERE m.user_id = %s AND m.search @@ q ORDER BY ts_rank_cd(m.search, q) DESC, m.id DESC LIMIT %s",
                (text, user_id, limit),
            )
            rows = await cur.fetchall()
        return [SearchHit(_message(r[:7]), str(r[7])) for r in rows]

    async def last_exchange_at(self, user_id: str, before_id: str | None = None) -> datetime | None:
        async with self.db.transaction() as con:
            cur = await con.execute(
                "SELECT created_at FROM messages WHERE user_id = %s AND role = 'user' AND id < %s "
                "ORDER BY id DESC LIMIT 1",
                (user_id, before_id or "~"),
            )
            row = await cur.fetchone()
        return row[0] if row else None

    async def get(self, user_id: str, message_id: str) -> StoredMessage | None:
        rows = await self._select("m.id = %s AND m.user_id = %s", (message_id, user_id))
        return rows[0] if rows else None

    async def delete(self, user_id: str, message_ids: Sequence[str]) -> int:
        async with self.db.transaction() as con:
            cur = await con.execute("DELETE FROM messages WHERE user_id = %s AND id = ANY(%s)",
                                    (user_id, list(message_ids)))
        return cur.rowcount

    async def since(self, user_id: str, after_id: str, limit: int = 500) -> list[StoredMessage]:
        return await self._select("m.user_id = %s AND m.id > %s ORDER BY m.id LIMIT %s", (user_id, after_id, limit))

    async def _select(self, where: str, params: tuple[object, ...]) -> list[StoredMessage]:
        async with self.db.transaction() as con:
            cur = await con.execute(f"SELECT {_MSG_COLUMNS} FROM messages m WHERE {where}".encode(), params)
            rows = await cur.fetchall()
        return [_message(r) for r in rows]


class _CareEvents:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, user_id: str, kind: str, at: datetime | None = None) -> None:
        async with self.db.transaction() as con:
            await con.execute("INSERT INTO care_events VALUES (%s, %s, %s, %s)",
                              (new_id("care"), user_id, kind, at or now_utc()))

    async def count(self, user_id: str, kind: str, since: datetime | None = None) -> int:
        async with self.db.transaction() as con:
            cur = await con.execute(
                "SELECT count(*) FROM care_events WHERE user_id = %s AND kind = %s "
                "AND (%s::timestamptz IS NULL OR created_at >= %s)",
                (user_id, kind, since, since),
            )
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def last(self, user_id: str, kind: str) -> datetime | None:
        async with self.db.transaction() as con:
            cur = await con.execute("SELECT max(created_at) FROM care_events WHERE user_id = %s AND kind = %s",
                                    (user_id, kind))
            row = await cur.fetchone()
        return row[0] if row else None
