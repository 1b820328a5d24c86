"""Group commit for a server: the writes of one turn of the event loop share one transaction.

A server turn writes ~10 times (the message, the reply, memory episodes and their links, emotion readings,
the mood), each its own commit in autocommit mode, and every commit appends each page it touched to the
write-ahead log whole: ~90 pages (360 KB) a turn at 1,000 users, and a checkpoint copying them back every
few turns. Here a write that finds no transaction open starts one, and the transaction commits once the
event loop has run what is ready now: everything written meanwhile, by every user's turn, lands together
(~9 pages a turn; bench/RESULTS.md "Many users at once").

What that changes: a write is on disk by the end of the loop turn it was made in, not when ``execute``
returns, so a kill in between loses it. Where that matters the repository commits at once
(``commit_pending``): what the user said, before anything else happens, and "forget". Outside a running
event loop (migrations, scripts) every write commits by itself, as before.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from typing import Any

log = logging.getLogger(__name__)

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class GroupCommitConnection(sqlite3.Connection):
    """An autocommit connection (``isolation_level=None``) whose writes in a running event loop are batched
    into one transaction per loop turn. Use through ``sqlite3.connect(..., factory=...)``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._batch_open = False  # a transaction this class began, committing at the end of the loop turn

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        self._join_batch(sql)
        return super().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        self._join_batch(sql)
        return super().executemany(sql, parameters)

    def commit_pending(self) -> None:
        """Commit the open batch now (durability points; before a checkpoint or a statement that needs none)."""
        if self._batch_open:
            self._batch_open = False
            if self.in_transaction:
                super().execute("COMMIT")

    def close(self) -> None:
        try:
            self.commit_pending()
        finally:
            super().close()

    def _join_batch(self, sql: str) -> None:
        if self.in_transaction or not sql.lstrip()[:7].upper().startswith(_WRITES):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop: nothing would commit the batch, so autocommit as usual
            return
        super().execute("BEGIN IMMEDIATE")
        self._batch_open = True
        loop.call_soon(self._commit_batch)

    def _commit_batch(self) -> None:
        try:
            self.commit_pending()
        except sqlite3.Error:
            # No caller is left to tell: the writes are lost (each was background work or a reply's later
            # text; what the user said commits at once). Roll back so the next write starts clean.
            log.exception("a batch of writes could not be committed; it is lost")
            if self.in_transaction:
                super().execute("ROLLBACK")


def commit_pending(con: sqlite3.Connection) -> None:
    """Make what ``con`` wrote so far durable now, when it is a group-commit connection."""
    if isinstance(con, GroupCommitConnection):
        con.commit_pending()
