"""Looking inside a SQLite database file the way an attacker with the disk would."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def all_text(db: Path) -> str:
    """Every value of every table (FTS shadow tables included) and the raw bytes of the files (the
    database, its write-ahead log and shared memory)."""
    con = sqlite3.connect(db)
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    dump = []
    for table in tables:
        for row in con.execute(f'SELECT * FROM "{table}"'):
            dump.append(" ".join(v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in row))
    con.close()
    raw = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
    return "\n".join(dump) + raw.decode("latin-1")
