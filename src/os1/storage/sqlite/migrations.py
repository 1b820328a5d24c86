"""Numbered schema migrations. Append new ones; never edit one that has shipped.

The schema version lives in ``PRAGMA user_version``; each migration runs in its own transaction.
"""

from __future__ import annotations

import sqlite3

from os1.storage.sqlite import owned

MIGRATIONS: tuple[str, ...] = (
    # 1: users, profiles, conversations, messages
    """
    CREATE TABLE users (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE profiles (
        user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        data TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        title TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
    );
    CREATE INDEX conversations_user ON conversations(user_id, id);
    CREATE TABLE messages (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
        content TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'complete' CHECK (status IN ('complete', 'streaming', 'truncated')),
        created_at TEXT NOT NULL
    );
    CREATE INDEX messages_conversation ON messages(conversation_id, id);
    CREATE INDEX messages_user ON messages(user_id, id);
    """,
    # 2: full-text search over messages (history search), kept in step by triggers
    """
    CREATE VIRTUAL TABLE messages_fts USING fts5(
        content, content='messages', content_rowid='rowid', tokenize='porter unicode61'
    );
    INSERT INTO messages_fts(rowid, content) SELECT rowid, content FROM messages;
    CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts(rowid, content) VALUES (new.rowid, new.content);
    END;
    CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
    END;
    CREATE TRIGGER messages_au AFTER UPDATE OF content ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
        INSERT INTO messages_fts(rowid, content) VALUES (new.rowid, new.content);
    END;
    """,
    # 3: care events, counted without content (what happened and when; never what was said)
    """
    CREATE TABLE care_events (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX care_events_user ON care_events(user_id, kind, created_at);
    """,
    # 4: long-term memory: items (episodes, facts, summaries), keyword index, vectors, entities, audit
    """
    CREATE TABLE memory_items (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('episode', 'fact', 'summary', 'digest')),
        text TEXT NOT NULL,
        search_text TEXT NOT NULL,
        context TEXT NOT NULL DEFAULT '',
        context_of TEXT,
        context_next_of TEXT,
        speaker TEXT NOT NULL DEFAULT '',
        conversation_id TEXT,
        source_ids TEXT NOT NULL DEFAULT '[]',
        entities TEXT NOT NULL DEFAULT '[]',
        confidence REAL NOT NULL DEFAULT 1.0,
        importance REAL NOT NULL DEFAULT 0.5,
        subject TEXT NOT NULL DEFAULT '',
        attribute TEXT NOT NULL DEFAULT '',
        superseded_by TEXT,
        occurred_at TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX memory_items_user ON memory_items(user_id, kind, occurred_at);
    CREATE INDEX memory_items_key ON memory_items(user_id, subject, attribute);
    CREATE TABLE memory_sources (
        item_id TEXT NOT NULL REFERENCES memory_items(id) ON DELETE CASCADE,
        user_id TEXT NOT NULL,
        source_id TEXT NOT NULL
    );
    CREATE INDEX memory_sources_source ON memory_sources(user_id, source_id);
    CREATE INDEX memory_sources_item ON memory_sources(item_id);
    CREATE TABLE memory_entities (
        item_id TEXT NOT NULL REFERENCES memory_items(id) ON DELETE CASCADE,
        user_id TEXT NOT NULL,
        entity TEXT NOT NULL
    );
    CREATE INDEX memory_entities_entity ON memory_entities(user_id, entity);
    CREATE INDEX memory_entities_item ON memory_entities(item_id);
    CREATE TABLE memory_vectors (
        item_id TEXT PRIMARY KEY REFERENCES memory_items(id) ON DELETE CASCADE,
        user_id TEXT NOT NULL,
        model TEXT NOT NULL,
        vector BLOB NOT NULL
    );
    CREATE INDEX memory_vectors_user ON memory_vectors(user_id, model);
    CREATE TABLE memory_audit (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        item_id TEXT NOT NULL,
        action TEXT NOT NULL,
        kind TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
    );
    CREATE INDEX memory_audit_user ON memory_audit(user_id, id);
    CREATE INDEX memory_audit_action ON memory_audit(user_id, action, id);
    CREATE VIRTUAL TABLE memory_fts USING fts5(
        search_text, context, content='memory_items', content_rowid='rowid', tokenize='porter unicode61'
    );
    CREATE TRIGGER memory_items_ai AFTER INSERT ON memory_items BEGIN
        INSERT INTO memory_fts(rowid, search_text, context) VALUES (new.rowid, new.search_text, new.context);
    END;
    CREATE TRIGGER memory_items_ad AFTER DELETE ON memory_items BEGIN
        INSERT INTO memory_fts(memory_fts, rowid, search_text, context)
        VALUES ('delete', old.rowid, old.search_text, old.context);
    END;
    CREATE TRIGGER memory_items_au AFTER UPDATE OF search_text, context ON memory_items BEGIN
        INSERT INTO memory_fts(memory_fts, rowid, search_text, context)
        VALUES ('delete', old.rowid, old.search_text, old.context);
        INSERT INTO memory_fts(rowid, search_text, context) VALUES (new.rowid, new.search_text, new.context);
    END;
    """,
    # 5: affect: the emotion read from each message (a forgotten message takes its reading with it),
    # and the OS's mood toward each user over time (the newest row is the current mood)
    """
    CREATE TABLE affect_readings (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        speaker TEXT NOT NULL CHECK (speaker IN ('user', 'os')),
        valence REAL NOT NULL,
        arousal REAL NOT NULL,
        emotions TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL,
        UNIQUE (message_id, speaker)
    );
    CREATE INDEX affect_readings_user ON affect_readings(user_id, created_at);
    CREATE TABLE os_moods (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        valence REAL NOT NULL,
        arousal REAL NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX os_moods_user ON os_moods(user_id, created_at);
    """,
    # 6: persona versions (never updated, only followed by newer ones) and the OS's private journal;
    # a journal entry goes with the conversation it was written about
    """
    CREATE TABLE persona_versions (
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        state TEXT NOT NULL,
        reason TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('first_meeting', 'reflection', 'revert', 'import')),
        announced INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        PRIMARY KEY (user_id, version)
    );
    CREATE TABLE journal_entries (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        conversation_id TEXT REFERENCES conversations(id) ON DELETE CASCADE,
        upto_message_id TEXT NOT NULL DEFAULT '',
        learned TEXT NOT NULL,
        wondered TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('llm', 'fallback')),
        created_at TEXT NOT NULL
    );
    CREATE INDEX journal_entries_user ON journal_entries(user_id, id);
    CREATE INDEX journal_entries_conversation ON journal_entries(conversation_id);
    """,
    # 7: accounts and bearer tokens of `os1 serve`: a login per user (the local user has none), tokens by hash
    """
    CREATE TABLE accounts (
        user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE auth_tokens (
        token_hash TEXT PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('login', 'api_key')),
        name TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        expires_at TEXT,
        revoked_at TEXT
    );
    CREATE INDEX auth_tokens_user ON auth_tokens(user_id, kind, id);
    """,
    # 8: each user's memory items in a rowid range of their own (slot << 32 upward), so a keyword search
    # walks only that user's postings (memory_fts takes the range as a rowid constraint) instead of every
    # user's matches joined and filtered (at 1,000 active conversations, overhead p50 658 -> 90 ms;
    # bench/concurrency.py). Existing
    # items move into their owner's range in their old order, and the index is rebuilt for the new rowids.
    """
    CREATE TABLE memory_slots (
        user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        slot INTEGER NOT NULL UNIQUE
    );
    INSERT INTO memory_slots (user_id, slot)
        SELECT user_id, row_number() OVER (ORDER BY min(rowid)) FROM memory_items GROUP BY user_id;
    UPDATE memory_items
        SET rowid = rowid + (SELECT slot FROM memory_slots s WHERE s.user_id = memory_items.user_id) * 4294967296;
    INSERT INTO memory_fts(memory_fts) VALUES ('rebuild');
    """,
    # 9: each indexed word carries its owner's tag (storage/sqlite/owned.py), so a query's IDF walk covers the
    # user's own items, not everyone's. The triggers tag what they index (os1_owned, registered on every
    # connection); the index is emptied and filled again with tagged words ('rebuild' would read them untagged).
    """
    DROP TRIGGER memory_items_ai;
    DROP TRIGGER memory_items_ad;
    DROP TRIGGER memory_items_au;
    CREATE TRIGGER memory_items_ai AFTER INSERT ON memory_items BEGIN
        INSERT INTO memory_fts(rowid, search_text, context)
        VALUES (new.rowid, os1_owned(new.rowid, new.search_text), os1_owned(new.rowid, new.context));
    END;
    CREATE TRIGGER memory_items_ad AFTER DELETE ON memory_items BEGIN
        INSERT INTO memory_fts(memory_fts, rowid, search_text, context)
        VALUES ('delete', old.rowid, os1_owned(old.rowid, old.search_text), os1_owned(old.rowid, old.context));
    END;
    CREATE TRIGGER memory_items_au AFTER UPDATE OF search_text, context ON memory_items BEGIN
        INSERT INTO memory_fts(memory_fts, rowid, search_text, context)
        VALUES ('delete', old.rowid, os1_owned(old.rowid, old.search_text), os1_owned(old.rowid, old.context));
        INSERT INTO memory_fts(rowid, search_text, context)
        VALUES (new.rowid, os1_owned(new.rowid, new.search_text), os1_owned(new.rowid, new.context));
    END;
    INSERT INTO memory_fts(memory_fts) VALUES ('delete-all');
    INSERT INTO memory_fts(rowid, search_text, context)
        SELECT rowid, os1_owned(rowid, search_text), os1_owned(rowid, context) FROM memory_items;
    """,
    # 10: a reply is indexed for history search once it stops streaming, not at its first word and again at
    # its end (an index write fewer per reply; a reply being written is not history yet). One update trigger
    # keeps the order: the old entry out before the new one in (the same words must not cancel out).
    """
    DROP TRIGGER messages_ai;
    DROP TRIGGER messages_ad;
    DROP TRIGGER messages_au;
    CREATE TRIGGER messages_ai AFTER INSERT ON messages WHEN new.status != 'streaming' BEGIN
        INSERT INTO messages_fts(rowid, content) VALUES (new.rowid, new.content);
    END;
    CREATE TRIGGER messages_ad AFTER DELETE ON messages WHEN old.status != 'streaming' BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
    END;
    CREATE TRIGGER messages_au AFTER UPDATE OF content, status ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, content)
            SELECT 'delete', old.rowid, old.content WHERE old.status != 'streaming';
        INSERT INTO messages_fts(rowid, content) SELECT new.rowid, new.content WHERE new.status != 'streaming';
    END;
    INSERT INTO messages_fts(messages_fts, rowid, content)
        SELECT 'delete', rowid, content FROM messages WHERE status = 'streaming';
    """,
)

LATEST = len(MIGRATIONS)


def current_version(con: sqlite3.Connection) -> int:
    return int(con.execute("PRAGMA user_version").fetchone()[0])


def migrate(con: sqlite3.Connection, target: int = LATEST) -> int:
    """Bring the schema up to ``target``; returns the version reached. Safe with concurrent openers.

    Also gives the connection the SQL function the memory index's triggers call (every connection OS1
    writes with comes through here)."""
    owned.register(con)
    while (version := current_version(con)) < target:
        con.execute("BEGIN IMMEDIATE")  # one process migrates; others wait, then see the new version
        try:
            if current_version(con) != version:
                con.execute("ROLLBACK")
                continue
            for statement in _split(MIGRATIONS[version]):
                con.execute(statement)
            con.execute(f"PRAGMA user_version = {version + 1}")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return current_version(con)


def _split(script: str) -> list[str]:
    """Split a migration into statements (sqlite3.complete_statement keeps trigger bodies whole)."""
    statements, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                statements.append(buf.strip())
            buf = ""
    if buf.strip():
        statements.append(buf.strip())
    return statements
