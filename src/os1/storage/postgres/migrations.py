"""Numbered PostgreSQL schema migrations. Append new ones; never edit one that has shipped.

The version lives in a one-row ``schema_version`` table. Each migration runs in its own transaction under
an advisory lock, so two servers starting at once against an empty database migrate it exactly once.

Differences from the SQLite schema, and why:
- ids are ``TEXT COLLATE "C"``: prefixed ULIDs must sort bytewise (by time), whatever the database locale;
- times are ``timestamptz`` (SQLite keeps UTC ISO strings that sort as text);
- history and memory search use a stored ``tsvector`` with a GIN index instead of FTS5 tables and triggers;
- rows that SQLite orders by ``rowid`` (vectors, entities) carry an explicit sequence number;
- where pgvector is installed, vectors also get a ``vector`` column and are searched in the database.

A migration is SQL text, or a function of the connection where it depends on the server (run in the same
transaction as the version bump).
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg

from os1.storage.postgres.vectors import add_native_vectors

# Any fixed number: the key of the advisory lock that serialises migrations across processes.
_MIGRATION_LOCK = 0x05_1_0_5_1

Migration = str | Callable[[psycopg.Connection], None]

MIGRATIONS: tuple[Migration, ...] = (
    # 1: users, profiles, conversations, messages (with their full-text vector), care events
    """
    CREATE TABLE users (
        id TEXT COLLATE "C" PRIMARY KEY,
        name TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL
    );
    CREATE TABLE profiles (
        user_id TEXT COLLATE "C" PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        data TEXT NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
    );
    CREATE TABLE conversations (
        id TEXT COLLATE "C" PRIMARY KEY,
        user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        title TEXT NOT NULL DEFAULT '',
        created_at TIMESTAMPTZ NOT NULL
    );
    CREATE INDEX conversations_user ON conversations(user_id, id);
    CREATE TABLE messages (
        id TEXT COLLATE "C" PRIMARY KEY,
        conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
        content TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'complete' CHECK (status IN ('complete', 'streaming', 'truncated')),
        created_at TIMESTAMPTZ NOT NULL,
        search TSVECTOR GENERATED ALWAYS AS (to_tsvector('english', content)) STORED
    );
    CREATE INDEX messages_conversation ON messages(conversation_id, id);
    CREATE INDEX messages_user ON messages(user_id, id);
    CREATE INDEX messages_search ON messages USING GIN (search);
    CREATE INDEX messages_streaming ON messages(status) WHERE status = 'streaming';
    CREATE TABLE care_events (
        id TEXT COLLATE "C" PRIMARY KEY,
        user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL
    );
    CREATE INDEX care_events_user ON care_events(user_id, kind, created_at);
    """,
    # 2: long-term memory: items with a weighted tsvector (own words A, context B), sources, entities,
    # vectors (float32 bytes, numbered in write order so a cached index loads only new rows), audit
    """
    CREATE TABLE memory_items (
        id TEXT COLLATE "C" PRIMARY KEY,
        user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('episode', 'fact', 'summary', 'digest')),
        text TEXT NOT NULL,
        search_text TEXT NOT NULL,
        context TEXT NOT NULL DEFAULT '',
        context_of TEXT COLLATE "C",
        context_next_of TEXT COLLATE "C",
        speaker TEXT NOT NULL DEFAULT '',
        conversation_id TEXT COLLATE "C",
        source_ids TEXT NOT NULL DEFAULT '[]',
        entities TEXT NOT NULL DEFAULT '[]',
        confidence DOUBLE PRECISION NOT NULL DEFAULT 1.0,
        importance DOUBLE PRECISION NOT NULL DEFAULT 0.5,
        subject TEXT NOT NULL DEFAULT '',
        attribute TEXT NOT NULL DEFAULT '',
        superseded_by TEXT COLLATE "C",
        occurred_at TIMESTAMPTZ NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        search TSVECTOR GENERATED ALWAYS AS (
            setweight(to_tsvector('english', search_text), 'A') || setweight(to_tsvector('english', context), 'B')
        ) STORED
    );
    CREATE INDEX memory_items_user ON memory_items(user_id, kind, occurred_at);
    CREATE INDEX memory_items_key ON memory_items(user_id, subject, attribute);
    CREATE INDEX memory_items_search ON memory_items USING GIN (search);
    CREATE TABLE memory_sources (
        item_id TEXT COLLATE "C" NOT NULL REFERENCES memory_items(id) ON DELETE CASCADE,
        user_id TEXT COLLATE "C" NOT NULL,
        source_id TEXT COLLATE "C" NOT NULL
    );
    CREATE INDEX memory_sources_source ON memory_sources(user_id, source_id);
    CREATE INDEX memory_sources_item ON memory_sources(item_id);
    CREATE TABLE memory_entities (
        seq BIGSERIAL PRIMARY KEY,
        item_id TEXT COLLATE "C" NOT NULL REFERENCES memory_items(id) ON DELETE CASCADE,
        user_id TEXT COLLATE "C" NOT NULL,
        entity TEXT NOT NULL
    );
    CREATE INDEX memory_entities_entity ON memory_entities(user_id, entity, seq);
    CREATE INDEX memory_entities_item ON memory_entities(item_id);
    CREATE SEQUENCE memory_vectors_seq;
    CREATE TABLE memory_vectors (
        item_id TEXT COLLATE "C" PRIMARY KEY REFERENCES memory_items(id) ON DELETE CASCADE,
        user_id TEXT COLLATE "C" NOT NULL,
        model TEXT NOT NULL,
        seq BIGINT NOT NULL DEFAULT nextval('memory_vectors_seq'),
        vector BYTEA NOT NULL
    );
    CREATE INDEX memory_vectors_user ON memory_vectors(user_id, model, seq);
    CREATE TABLE memory_audit (
        id TEXT COLLATE "C" PRIMARY KEY,
        user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        item_id TEXT COLLATE "C" NOT NULL,
        action TEXT NOT NULL,
        kind TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        created_at TIMESTAMPTZ NOT NULL
    );
    CREATE INDEX memory_audit_user ON memory_audit(user_id, id);
    CREATE INDEX memory_audit_action ON memory_audit(user_id, action, id);
    """,
    # 3: affect readings and moods, persona versions and the journal, accounts and bearer tokens
    """
    CREATE TABLE affect_readings (
        id TEXT COLLATE "C" PRIMARY KEY,
        user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        message_id TEXT COLLATE "C" NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        speaker TEXT NOT NULL CHECK (speaker IN ('user', 'os')),
        valence DOUBLE PRECISION NOT NULL,
        arousal DOUBLE PRECISION NOT NULL,
        emotions TEXT NOT NULL DEFAULT '{}',
        created_at TIMESTAMPTZ NOT NULL,
        UNIQUE (message_id, speaker)
    );
    CREATE INDEX affect_readings_user ON affect_readings(user_id, created_at);
    CREATE TABLE os_moods (
        id TEXT COLLATE "C" PRIMARY KEY,
        user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        valence DOUBLE PRECISION NOT NULL,
        arousal DOUBLE PRECISION NOT NULL,
        created_at TIMESTAMPTZ NOT NULL
    );
    CREATE INDEX os_moods_user ON os_moods(user_id, created_at);
    CREATE TABLE persona_versions (
        user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        state TEXT NOT NULL,
        reason TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('first_meeting', 'reflection', 'revert', 'import')),
        announced BOOLEAN NOT NULL DEFAULT TRUE,
        created_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (user_id, version)
    );
    CREATE TABLE journal_entries (
        id TEXT COLLATE "C" PRIMARY KEY,
        user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        conversation_id TEXT COLLATE "C" REFERENCES conversations(id) ON DELETE CASCADE,
        upto_message_id TEXT COLLATE "C" NOT NULL DEFAULT '',
        learned TEXT NOT NULL,
        wondered TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('llm', 'fallback')),
        created_at TIMESTAMPTZ NOT NULL
    );
    CREATE INDEX journal_entries_user ON journal_entries(user_id, id);
    CREATE INDEX journal_entries_conversation ON journal_entries(conversation_id);
    CREATE TABLE accounts (
        user_id TEXT COLLATE "C" PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        username TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL
    );
    -- login names are unique whatever their case (SQLite: COLLATE NOCASE)
    CREATE UNIQUE INDEX accounts_username ON accounts(lower(username));
    CREATE TABLE auth_tokens (
        token_hash TEXT PRIMARY KEY,
        id TEXT COLLATE "C" NOT NULL UNIQUE,
        user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('login', 'api_key')),
        name TEXT NOT NULL DEFAULT '',
        created_at TIMESTAMPTZ NOT NULL,
        expires_at TIMESTAMPTZ,
        revoked_at TIMESTAMPTZ
    );
    CREATE INDEX auth_tokens_user ON auth_tokens(user_id, kind, id);
    """,
    # 4: a searchable pgvector copy of each memory vector, where the extension is available
    add_native_vectors,
)

LATEST = len(MIGRATIONS)


def current_version(con: psycopg.Connection) -> int:
    """0 for an empty database."""
    exists = con.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return 0
    row = con.execute("SELECT version FROM schema_version").fetchone()
    return int(row[0]) if row else 0


def migrate(con: psycopg.Connection, target: int = LATEST) -> int:
    """Bring the schema up to ``target``; returns the version reached. ``con`` must be in autocommit mode.

    The lock is held by the session, around the loop, and the version is read in a transaction begun after
    it is granted: a transaction begun before another process's migration committed can keep a stale
    catalog cache (taking an advisory lock does not refresh it), see no ``schema_version`` and migrate again.
    """
    if current_version(con) >= target:
        return current_version(con)
    con.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK,))
    try:
        while (version := current_version(con)) < target:  # another process may have migrated meanwhile
            with con.transaction():
                step = MIGRATIONS[version]
                if isinstance(step, str):
                    con.execute(step.encode())  # bytes: a whole script in one simple-protocol call
                else:
                    step(con)
                con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                con.execute("DELETE FROM schema_version")
                con.execute("INSERT INTO schema_version VALUES (%s)", (version + 1,))
    finally:
        con.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK,))
    return current_version(con)
