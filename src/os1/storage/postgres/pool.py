"""The connection pool every PostgreSQL repository shares.

Each repository call takes a connection for one transaction (``async with db.transaction() as con``): it
commits when the block ends and rolls back on an error, so a call's writes land together and are durable
when it returns, like SQLite's autocommit-per-write. A pool (not one connection) because concurrent turns
of different users must not interleave their statements in one another's transactions.

The pool opens on first use, inside the event loop that uses it: ``open_store`` is synchronous (the server
builds its engine before its loop runs).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

POOL_MIN = 1
POOL_MAX = 8


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        # UTC: timestamps come back as aware UTC datetimes, as the SQLite store returns them.
        self._pool = AsyncConnectionPool(url, min_size=POOL_MIN, max_size=POOL_MAX, open=False,
                                         kwargs={"options": "-c timezone=UTC"})
        self._opened = False
        self._opening = asyncio.Lock()

    async def _ensure_open(self) -> None:
        if self._opened:
            return
        async with self._opening:
            if not self._opened:
                await self._pool.open(wait=True)
                self._opened = True

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        await self._ensure_open()
        async with self._pool.connection() as con:
            yield con

    async def close(self) -> None:
        if self._opened:
            await self._pool.close()
            self._opened = False
