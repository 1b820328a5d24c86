"""Vector search inside PostgreSQL: the exact per-user search OS1 runs vs a pgvector HNSW index.

    .venv/bin/python bench/postgres_vectors.py [--items 20000] [--dim 384] [--users 1] [--queries 20]

Starts a pgserver PostgreSQL (16 + pgvector 0.6.2) in a folder under /tmp, fills ``memory_vectors`` as
migration 4 shapes it with random unit vectors, ``--items`` per user for ``--users`` users written in
turn, and times the top 100 of the first user (the memory service's pool) for 20 queries: exact (what
``PostgresVectorSearch`` runs) and through an HNSW index over all users' rows (m 16, ef_construction 64) at
several ``hnsw.ef_search``, with recall against numpy's exact answer; then the cost of an insert with and
without the index. Random vectors are the hard case for HNSW; real embeddings cluster. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from typing import Any

import numpy as np
import psycopg

from os1.storage.postgres import open_store

K = 100


def unit(rng: np.random.Generator, n: int, dim: int) -> Any:
    v = rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def fill(con: psycopg.Connection, users: int, items: int, dim: int, rng: np.random.Generator) -> Any:
    for u in range(users):
        con.execute("INSERT INTO users VALUES (%s, %s, now())", (f"u{u}", f"u{u}"))
    first = None
    with con.cursor().copy("COPY memory_items (id, user_id, kind, text, search_text, occurred_at, created_at) "
                           "FROM STDIN") as cp:
        for i in range(items):
            for u in range(users):
                cp.write_row((f"m{u}_{i}", f"u{u}", "episode", "x", "x", "2026-01-01", "2026-01-01"))
    with con.cursor().copy("COPY memory_vectors (item_id, user_id, model, vector, embedding) FROM STDIN") as cp:
        for start in range(0, items, 1000):
            blocks = [unit(rng, min(1000, items - start), dim) for _ in range(users)]
            first = blocks[0] if first is None else np.vstack([first, blocks[0]])
            for i in range(len(blocks[0])):
                for u in range(users):
                    v = blocks[u][i]
                    cp.write_row((f"m{u}_{start + i}", f"u{u}", "m", v.tobytes(), str(v.tolist()).replace(" ", "")))
    con.execute("VACUUM ANALYZE memory_vectors")
    return first


def timed(con: psycopg.Connection, sql: str, queries: Any, truth: list[set[str]]) -> dict[str, float]:
    took, recall = [], []
    for q, want in zip(queries, truth, strict=True):
        started = time.perf_counter()
        rows = con.execute(sql, (q.tolist(),)).fetchall()
        took.append((time.perf_counter() - started) * 1000)
        recall.append(len(want & {r[0] for r in rows}) / K)
    took.sort()
    return {"ms_p50": round(took[len(took) // 2], 1), "ms_p95": round(took[int(len(took) * 0.95)], 1),
            "recall": round(float(np.mean(recall)), 3)}


def insert_ms(con: psycopg.Connection, dim: int, rng: np.random.Generator, tag: str, n: int = 200) -> float:
    con.execute("INSERT INTO users VALUES (%s, %s, now())", (tag, tag))
    rows = [(f"{tag}{i}", v) for i, v in enumerate(unit(rng, n, dim))]
    started = time.perf_counter()
    with con.transaction(), con.cursor() as cur:
        cur.executemany("INSERT INTO memory_items (id, user_id, kind, text, search_text, occurred_at, created_at) "
                        "VALUES (%s, %s, 'episode', 'x', 'x', now(), now())", [(i, tag) for i, _ in rows])
        cur.executemany("INSERT INTO memory_vectors (item_id, user_id, model, vector, embedding) "
                        "VALUES (%s, %s, 'm', %s, %s::float4[]::vector)",
                        [(i, tag, v.tobytes(), v.tolist()) for i, v in rows])
    return round((time.perf_counter() - started) / n * 1000, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=20000, help="vectors per user")
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--users", type=int, default=1)
    parser.add_argument("--queries", type=int, default=20)
    args = parser.parse_args()
    import pgserver

    server = pgserver.get_server(tempfile.mkdtemp(prefix="os1-bench-pg-", dir="/tmp"), cleanup_mode="stop")
    try:
        url = server.get_uri()
        open_store(url)  # migrates: memory_vectors with its pgvector column
        rng = np.random.default_rng(0)
        out: dict[str, Any] = {"items_per_user": args.items, "users": args.users, "dim": args.dim, "k": K}
        with psycopg.connect(url, autocommit=True) as con:
            started = time.perf_counter()
            mine = fill(con, args.users, args.items, args.dim, rng)
            out["fill_s"] = round(time.perf_counter() - started, 1)
            queries = unit(rng, args.queries, args.dim)
            truth = [{f"m0_{i}" for i in np.argsort(-(mine @ q))[:K]} for q in queries]
            out["exact"] = timed(con, "SELECT item_id, -(embedding <#> %s::float4[]::vector) AS score "
                                 "FROM memory_vectors WHERE user_id = 'u0' AND model = 'm' ORDER BY score DESC "
                                 f"LIMIT {K}", queries, truth)
            out["insert_ms_per_row"] = insert_ms(con, args.dim, rng, "plain")
            started = time.perf_counter()
            con.execute("SET maintenance_work_mem = '512MB'")
            con.execute(f"CREATE INDEX hnsw ON memory_vectors USING hnsw ((embedding::vector({args.dim})) "
                        "vector_ip_ops) WHERE model = 'm'")
            out["hnsw_build_s"] = round(time.perf_counter() - started, 1)
            for ef in (100, 400, 1000):
                con.execute(f"SET hnsw.ef_search = {ef}")
                out[f"hnsw_ef{ef}"] = timed(
                    con, f"SELECT item_id FROM memory_vectors WHERE user_id = 'u0' AND model = 'm' ORDER BY "
                    f"embedding::vector({args.dim}) <#> %s::float4[]::vector({args.dim}) LIMIT {K}", queries, truth)
            out["insert_ms_per_row_with_hnsw"] = insert_ms(con, args.dim, rng, "indexed")
        print(json.dumps(out))
    finally:
        server.cleanup()


if __name__ == "__main__":
    main()
