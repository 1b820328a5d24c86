"""Cosine search over each user's memory vectors: in the database where it can (``open_index``), else an
in-process index over the vectors the store keeps: exact cosine search with numpy.

Exact search over a float32 matrix takes ~9 ms for 100k x 384 on this class of machine (STACK.md),
faster than sqlite-vec's brute force and with no extension to load, so the store keeps the vectors as
blobs (the durable copy) and this index keeps a matrix per user in memory, brought up to date from the
store before each search: new rows are appended; if rows went away (forget), it reloads. That suits one
local user; a server with many users on PostgreSQL with pgvector searches in the database instead, so no
process holds every user's vectors.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from threadpoolctl import ThreadpoolController

from os1.storage.base import MemoryRepo, VectorSearch

Matrix = npt.NDArray[np.float32]
# The product runs on one BLAS thread: the query embedder runs right before it on every core, and
# OpenBLAS's threads spin for a while after each call, slowing the next query's embedding. Measured at
# 100k items on 2 cores: p95 of a whole recall 98 ms with BLAS threads, 66 ms with one.
_BLAS = ThreadpoolController()


@dataclass
class _UserIndex:
    dim: int
    ids: list[str] = field(default_factory=list)
    position: dict[str, int] = field(default_factory=dict)
    matrix: Matrix = field(init=False)
    used: int = 0  # rows of ``matrix`` in use (it grows by doubling)
    last_row: int = 0  # store row number of the newest vector loaded
    removal: str = ""  # the store's newest forget/edit when this was built

    def __post_init__(self) -> None:
        self.matrix = np.zeros((0, self.dim), dtype=np.float32)

    def add(self, item_id: str, vector: Matrix) -> None:
        if item_id in self.position:  # re-embedded (an edit): replace in place
            self.matrix[self.position[item_id]] = vector
            return
        if self.used == len(self.matrix):
            grown = np.zeros((max(64, 2 * len(self.matrix)), self.dim), dtype=np.float32)
            grown[: self.used] = self.matrix[: self.used]
            self.matrix = grown
        self.matrix[self.used] = vector
        self.position[item_id] = self.used
        self.ids.append(item_id)
        self.used += 1


class VectorIndex:
    """Cosine search over one model's vectors for each user (vectors are unit length)."""

    def __init__(self, repo: MemoryRepo, model: str, dim: int) -> None:
        self.repo = repo
        self.model = model
        self.dim = dim
        self._users: dict[str, _UserIndex] = {}
        self._lock = asyncio.Lock()

    async def _fresh(self, user_id: str) -> _UserIndex:
        last_row, removal = await self.repo.vector_state(user_id, self.model)
        index = self._users.get(user_id)
        if index is None or removal != index.removal or last_row < index.last_row:
            # Something was forgotten or edited (here or in another process): rebuild from the store.
            index = self._users[user_id] = _UserIndex(self.dim, removal=removal)
        if last_row > index.last_row:
            await self._load(user_id, index)
        return index

    async def _load(self, user_id: str, index: _UserIndex) -> None:
        for row, item_id, blob in await self.repo.vectors(user_id, self.model, after=index.last_row):
            index.add(item_id, np.frombuffer(blob, dtype=np.float32))
            index.last_row = row

    async def search(self, user_id: str, query: Matrix, k: int) -> list[tuple[str, float]]:
        """The ``k`` nearest items to the unit vector ``query``: (item id, cosine), best first."""
        async with self._lock:
            index = await self._fresh(user_id)
        if index.used == 0 or k <= 0:
            return []
        with _BLAS.limit(limits=1, user_api="blas"):
            scores = index.matrix[: index.used] @ query.reshape(-1)
        k = min(k, index.used)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(index.ids[i], float(scores[i])) for i in top]

    async def similarity(self, user_id: str, query: Matrix, ids: list[str]) -> dict[str, float]:
        """Cosine of ``query`` with each of the named items that has a vector."""
        async with self._lock:
            index = await self._fresh(user_id)
        rows = [(i, index.position[i]) for i in ids if i in index.position]
        if not rows:
            return {}
        scores = index.matrix[[r for _, r in rows]] @ query.reshape(-1)
        return {item_id: float(s) for (item_id, _), s in zip(rows, scores, strict=True)}

    def forget_user(self, user_id: str) -> None:
        """Drop the cached matrix (the next search reloads from the store)."""
        self._users.pop(user_id, None)


class DatabaseIndex:
    """``VectorIndex``'s interface over a store that searches its own vectors: nothing is held here."""

    def __init__(self, database: VectorSearch, model: str) -> None:
        self.database = database
        self.model = model

    async def search(self, user_id: str, query: Matrix, k: int) -> list[tuple[str, float]]:
        return await self.database.nearest(user_id, self.model, _bytes(query), k)

    async def similarity(self, user_id: str, query: Matrix, ids: list[str]) -> dict[str, float]:
        return await self.database.similarity(user_id, self.model, _bytes(query), ids)

    def forget_user(self, user_id: str) -> None:
        """Nothing to drop: every search reads the store."""


def open_index(repo: MemoryRepo, model: str, dim: int) -> VectorIndex | DatabaseIndex:
    """The database's own search where the store offers one, else the in-process index."""
    database = repo.vector_search
    return VectorIndex(repo, model, dim) if database is None else DatabaseIndex(database, model)


def _bytes(query: Matrix) -> bytes:
    return np.ascontiguousarray(query, dtype=np.float32).reshape(-1).tobytes()
