"""Checkpoints on a thread of their own, for a server.

SQLite copies the write-ahead log back into the database file (a checkpoint, with its fsync) inside the
commit that crosses 1,000 pages of log, on the connection that commits: in a server, on the event loop,
where every user waits for it. The server's connection turns that off and this thread, with a connection
of its own, checkpoints every ``interval_s`` instead. PASSIVE: it copies what no reader still needs and
never waits on a lock, so the event loop's writes go on meanwhile (the sqlite3 module releases the GIL
while SQLite works).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)

INTERVAL_S = 1.0


class WalCheckpointer:
    def __init__(self, path: Path, interval_s: float = INTERVAL_S) -> None:
        self.path = path
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="os1-wal-checkpoint", daemon=True)

    def start(self) -> WalCheckpointer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop after the checkpoint in progress, if any (the connection closing then checkpoints the rest)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        try:
            con = sqlite3.connect(self.path, isolation_level=None, timeout=0, check_same_thread=False)
        except sqlite3.Error:
            log.exception("the checkpoint thread cannot open %s; the log is copied back at close only", self.path)
            return
        try:
            while not self._stop.wait(self.interval_s):
                self._checkpoint(con)
        finally:
            con.close()

    def _checkpoint(self, con: sqlite3.Connection) -> None:
        try:
            con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:  # busy: another checkpoint (a "forget") runs now; try again next time
            log.debug("checkpoint skipped: %s", exc)
