"""SQLite implementation of the repositories.

One connection per store, in autocommit mode (isolation_level=None) so each write is its own committed
transaction: a message is on disk (in the WAL) when ``add`` returns, and a SIGKILL afterwards loses
nothing. WAL lets several processes read while one writes; busy_timeout makes a second writer wait
instead of failing. A server's store (``server=True``) commits each turn of the event loop's writes together
and checkpoints on a thread of its own (group_commit.py, checkpointer.py); what the user said still commits
when ``add`` returns.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

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
from os1.storage.sqlite.accounts import SQLiteAccounts
from os1.storage.sqlite.affect import SQLiteAffect
from os1.storage.sqlite.checkpointer import WalCheckpointer
from os1.storage.sqlite.group_commit import GroupCommitConnection, commit_pending
from os1.storage.sqlite.memory import SQLiteMemory
from os1.storage.sqlite.migrations import LATEST, migrate
from os1.storage.sqlite.persona import SQLiteJournal, SQLitePersona
from os1.storage.sqlite.util import ROUTINE_SECURE_DELETE, now_utc, transaction
from os1.storage.sqlite.util import dt as _dt
from os1.storage.sqlite.util import ts as _ts

LOCAL_USER_NAME = "local"


def connect(path: Path, *, group_commit: bool = False) -> sqlite3.Connection:
    factory = GroupCommitConnection if group_commit else sqlite3.Connection
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(path, isolation_level=None, timeout=10.0, check_same_thread=False, factory=factory)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")  # durable against process death; fsync at checkpoints
        con.execute("PRAGMA foreign_keys=ON")
        con.execute("PRAGMA busy_timeout=10000")
        # Deleted content is overwritten where that costs no extra writes (FAST: within pages being written
        # anyway); pages freed whole keep theirs until "forget" zeroes every free page (memory.py). ON for
        # every write cost ~15-20 % of a turn's CPU at 1,000 users (bench/RESULTS.md).
        con.execute(f"PRAGMA secure_delete={ROUTINE_SECURE_DELETE}")
        return con
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"the database {path} is damaged or not OS1's: {exc}",
                           "move it aside and start again, or restore a backup") from exc
    except (sqlite3.Error, OSError) as exc:
        raise StorageError(f"cannot open the database {path}: {exc}", "check OS1_HOME and run `os1 doctor`") from exc


class SQLiteStore:
    def __init__(self, con: sqlite3.Connection, checkpointer: WalCheckpointer | None = None) -> None:
        self.con = con
        self.checkpointer = checkpointer
        self.users: UserRepo = _Users(con)
        self.accounts: AccountRepo = SQLiteAccounts(con)
        self.profiles: ProfileRepo = _Profiles(con)
        self.conversations: ConversationRepo = _Conversations(con)
        self.messages: MessageRepo = _Messages(con)
        self.care_events: CareEventRepo = _CareEvents(con)
        self.affect: AffectRepo = SQLiteAffect(con)
        self.memory: MemoryRepo = SQLiteMemory(con)
        self.persona: PersonaRepo = SQLitePersona(con)
        self.journal: JournalRepo = SQLiteJournal(con)

    async def close(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.stop()
        self.con.close()

    def recover_interrupted(self) -> int:
        """Replies left ``streaming`` by a process that died are marked truncated; returns how many."""
        cur = self.con.execute("UPDATE messages SET status = 'truncated' WHERE status = 'streaming'")
        return cur.rowcount


def open_store(path: Path, *, recover: bool = True, server: bool = False) -> SQLiteStore:
    """Open (creating and migrating as needed) the database at ``path``. ``server``: for a process serving
    many users (`os1 serve`): group commit and checkpoints off the event loop, as said above."""
    con = connect(path, group_commit=server)
    try:
        version = migrate(con)
    except sqlite3.DatabaseError as exc:
        con.close()
        raise StorageError(f"the database {path} is damaged or not OS1's: {exc}",
                           "move it aside and start again, or restore a backup") from exc
    if version > LATEST:
        con.close()
        raise StorageError(f"the database {path} is from a newer OS1 (schema {version})", "upgrade OS1")
    store = SQLiteStore(con)
    if recover:
        store.recover_interrupted()
    if server:  # last: nothing after it can fail and leave the thread running
        con.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer's thread does it
        store.checkpointer = WalCheckpointer(path).start()
    return store


class _Users:
    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con

    async def create(self, name: str) -> User:
        user = User(new_id("usr"), name, now_utc())
        self.con.execute("INSERT INTO users VALUES (?, ?, ?)", (user.id, user.name, _ts(user.created_at)))
        return user

    async def get(self, user_id: str) -> User | None:
        row = self.con.execute("SELECT id, name, created_at FROM users WHERE id = ?", (user_id,)).fetchone()
        return User(row[0], row[1], _dt(row[2])) if row else None

    async def local_user(self) -> User:
        with transaction(self.con):  # two processes starting at once must agree on one user
            row = self.con.execute(
                "SELECT id, name, created_at FROM users WHERE name = ? ORDER BY id LIMIT 1", (LOCAL_USER_NAME,)
            ).fetchone()
            if row is None:
                user = User(new_id("usr"), LOCAL_USER_NAME, now_utc())
                self.con.execute("INSERT INTO users VALUES (?, ?, ?)", (user.id, user.name, _ts(user.created_at)))
            else:
                user = User(row[0], row[1], _dt(row[2]))
        return user


class _Profiles:
    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con

    async def get(self, user_id: str) -> Profile:
        row = self.con.execute("SELECT data FROM profiles WHERE user_id = ?", (user_id,)).fetchone()
        return Profile.from_json({**json.loads(row[0]), "user_id": user_id}) if row else Profile(user_id=user_id)

    async def save(self, profile: Profile) -> None:
        self.con.execute(
            "INSERT INTO profiles VALUES (?, ?, ?) ON CONFLICT(user_id) DO UPDATE SET data = excluded.data, "
            "updated_at = excluded.updated_at",
            (profile.user_id, json.dumps(profile.to_json()), _ts(now_utc())),
        )


class _Conversations:
    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con

    async def create(self, user_id: str, title: str = "") -> Conversation:
        conv = Conversation(new_id("conv"), user_id, now_utc(), title)
        self.con.execute(
            "INSERT INTO conversations VALUES (?, ?, ?, ?)", (conv.id, user_id, title, _ts(conv.created_at))
        )
        return conv

    async def get(self, user_id: str, conversation_id: str) -> Conversation | None:
        row = self.con.execute(
            "SELECT id, user_id, created_at, title FROM conversations WHERE id = ? AND user_id = ?",
            (conversation_id, user_id),
        ).fetchone()
        return _conversation(row) if row else None

    async def latest(self, user_id: str) -> Conversation | None:
        row = self.con.execute(
            "SELECT id, user_id, created_at, title FROM conversations WHERE user_id = ? ORDER BY id DESC LIMIT 1",
            (user_id,),
        ).fetchone()
        return _conversation(row) if row else None

    async def newest(self, user_id: str, limit: int = 50) -> list[Conversation]:
        rows = self.con.execute(
            "SELECT id, user_id, created_at, title FROM conversations WHERE user_id = ? ORDER BY id DESC LIMIT ?",
            (user_id, limit),
        ).fetchall()
        return [_conversation(r) for r in rows]


def _conversation(row: tuple[str, str, str, str]) -> Conversation:
    return Conversation(row[0], row[1], _dt(row[2]), row[3])


_MSG_COLUMNS = "m.id, m.conversation_id, m.user_id, m.role, m.content, m.created_at, m.status"


def _message(row: tuple[str, ...]) -> StoredMessage:
    return StoredMessage(row[0], row[1], row[2], Role(row[3]), row[4], _dt(row[5]), MessageStatus(row[6]))


class _Messages:
    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con

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
        cur = self.con.execute(
            "INSERT INTO messages (id, conversation_id, user_id, role, content, status, created_at) "
            "SELECT ?, id, user_id, ?, ?, ?, ? FROM conversations WHERE id = ? AND user_id = ?",
            (msg.id, role.value, content, status.value, _ts(msg.created_at), conversation_id, user_id),
        )
        if cur.rowcount != 1:
            raise NotFoundError(f"no conversation {conversation_id} for this user", "start a new conversation")
        if role is Role.USER:  # what the user said is stored before anything else happens
            commit_pending(self.con)
        return msg

    async def update(self, user_id: str, message_id: str, content: str, status: MessageStatus) -> None:
        self.con.execute(
            "UPDATE messages SET content = ?, status = ? WHERE id = ? AND user_id = ?",
            (content, status.value, message_id, user_id),
        )

    async def recent(self, user_id: str, conversation_id: str, limit: int) -> list[StoredMessage]:
        rows = self.con.execute(
            f"SELECT {_MSG_COLUMNS} FROM messages m WHERE m.user_id = ? AND m.conversation_id = ? "
            "ORDER BY m.id DESC LIMIT ?",
            (user_id, conversation_id, limit),
        ).fetchall()
        return [_message(r) for r in reversed(rows)]

    async def history(self, user_id: str, limit: int = 50) -> list[StoredMessage]:
        rows = self.con.execute(
            f"SELECT {_MSG_COLUMNS} FROM messages m WHERE m.user_id = ? ORDER BY m.id DESC LIMIT ?",
            (user_id, limit),
        ).fetchall()
        return [_message(r) for r in reversed(rows)]

    async def search(self, user_id: str, text: str, limit: int = 20) -> list[SearchHit]:
        query = _fts_query(text)
        if not query:
            return []
        rows = self.con.execute(
            f"SELECT {_MSG_COLUMNS}, snippet(messages_fts, 0, '[', ']', '…', 12) FROM messages_fts "
            "JOIN messages m ON m.rowid = messages_fts.rowid "
            "WHERE messages_fts MATCH ? AND m.user_id = ? ORDER BY bm25(messages_fts) LIMIT ?",
            (query, user_id, limit),
        ).fetchall()
        return [SearchHit(_message(r[:7]), r[7]) for r in rows]

    async def last_exchange_at(self, user_id: str, before_id: str | None = None) -> datetime | None:
        row = self.con.execute(
            "SELECT created_at FROM messages WHERE user_id = ? AND role = 'user' AND id < ? "
            "ORDER BY id DESC LIMIT 1",
            (user_id, before_id or "~"),
        ).fetchone()
        return _dt(row[0]) if row else None

    async def get(self, user_id: str, message_id: str) -> StoredMessage | None:
        row = self.con.execute(
            f"SELECT {_MSG_COLUMNS} FROM messages m WHERE m.id = ? AND m.user_id = ?", (message_id, user_id)
        ).fetchone()
        return _message(row) if row else None

    async def delete(self, user_id: str, message_ids: Sequence[str]) -> int:
        with transaction(self.con):
            deleted = 0
            for message_id in message_ids:
                cur = self.con.execute("DELETE FROM messages WHERE id = ? AND user_id = ?", (message_id, user_id))
                deleted += cur.rowcount
        return deleted

    async def since(self, user_id: str, after_id: str, limit: int = 500) -> list[StoredMessage]:
        rows = self.con.execute(
            f"SELECT {_MSG_COLUMNS} FROM messages m WHERE m.user_id = ? AND m.id > ? ORDER BY m.id LIMIT ?",
            (user_id, after_id, limit),
        ).fetchall()
        return [_message(r) for r in rows]


class _CareEvents:
    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con

    async def record(self, user_id: str, kind: str, at: datetime | None = None) -> None:
        self.con.execute(
            "INSERT INTO care_events VALUES (?, ?, ?, ?)", (new_id("care"), user_id, kind, _ts(at or now_utc()))
        )

    async def count(self, user_id: str, kind: str, since: datetime | None = None) -> int:
        row = self.con.execute(
            "SELECT count(*) FROM care_events WHERE user_id = ? AND kind = ? AND created_at >= ?",
            (user_id, kind, _ts(since) if since else ""),
        ).fetchone()
        return int(row[0])

    async def last(self, user_id: str, kind: str) -> datetime | None:
        row = self.con.execute(
            "SELECT max(created_at) FROM care_events WHERE user_id = ? AND kind = ?", (user_id, kind)
        ).fetchone()
        return _dt(row[0]) if row and row[0] else None


def _fts_query(text: str) -> str:
    """User text to a safe FTS5 query: every word must appear (quoted, so operators are literal)."""
    words = re.findall(r"\w+", text.lower())
    return " ".join(f'"{w}"' for w in words)
