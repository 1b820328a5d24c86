"""Labelled example sentences for the crisis detector, embedded once and scored by nearest neighbours.

The sentences live in ``data/crisis_prototypes.json`` (``{"suicidal_ideation": [...], "self_harm": [...],
"harm_to_others": [...], "none": [...]}``) and must stay different from the evaluation sets in
``tests/data``. Embedding them takes a few seconds on two cores; pass ``cache_dir`` to keep the matrix on
disk (keyed by the embedder's name and a hash of the sentences, so editing the file invalidates it).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from os1.core.errors import ConfigError
from os1.embeddings.base import Embedder, Vectors

NONE = "none"
_FILE = "data/crisis_prototypes.json"


def load_prototypes() -> dict[str, list[str]]:
    """The packaged example sentences: ``{category or "none": [sentence, ...]}``."""
    try:
        raw = resources.files("os1.care").joinpath(_FILE).read_text("utf-8")
    except (FileNotFoundError, OSError) as exc:
        raise ConfigError(f"os1/care/{_FILE} is missing from the installed package", "reinstall os1") from exc
    data: dict[str, Any] = json.loads(raw)
    return {k: [str(s) for s in v] for k, v in data.items() if not k.startswith("_")}


def _cache_key(embedder: Embedder, sentences: Sequence[str]) -> str:
    h = hashlib.sha256(f"{embedder.name}\n{embedder.dim}\n".encode())
    h.update(json.dumps(list(sentences), ensure_ascii=False).encode())
    return h.hexdigest()[:20]


def _embed_cached(embedder: Embedder, sentences: Sequence[str], cache_dir: Path | None) -> Vectors:
    path = cache_dir / f"crisis-prototypes-{_cache_key(embedder, sentences)}.npy" if cache_dir else None
    if path is not None and path.exists():
        try:
            cached = np.load(path, allow_pickle=False)
            if cached.shape == (len(sentences), embedder.dim) and cached.dtype == np.float32:
                return np.ascontiguousarray(cached)
        except (OSError, ValueError):
            pass  # a damaged cache is recomputed and rewritten below
    vectors = embedder.embed_queries(sentences)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npy.tmp")
            with os.fdopen(fd, "wb") as f:
                np.save(f, vectors, allow_pickle=False)
            os.replace(tmp, path)
        except OSError:
            pass  # the cache is an optimisation only
    return vectors


class PrototypeIndex:
    """The example sentences as unit vectors; ``margin`` compares a message with its nearest of each side."""

    def __init__(self, embedder: Embedder, prototypes: Mapping[str, Sequence[str]], cache_dir: Path | None = None):
        self.embedder = embedder
        self.labels: list[str] = [label for label, sents in prototypes.items() for _ in sents]
        sentences = [s for sents in prototypes.values() for s in sents]
        self.vectors: Vectors = _embed_cached(embedder, sentences, cache_dir)
        self._crisis = np.array([label != NONE for label in self.labels])
        self._crisis_rows = np.flatnonzero(self._crisis)

    def margin(self, vector: Vectors, top_k: int) -> tuple[float, str | None]:
        """Mean cosine of the top-k crisis prototypes minus that of the top-k others; the nearest crisis category."""
        sims = (vector.reshape(1, -1) @ self.vectors.T)[0]
        pos, neg = sims[self._crisis], sims[~self._crisis]
        k = max(1, min(top_k, len(pos), len(neg)))
        margin = float(np.sort(pos)[-k:].mean() - np.sort(neg)[-k:].mean())
        return margin, self.labels[int(self._crisis_rows[int(np.argmax(pos))])]


_cache: dict[tuple[str, int], PrototypeIndex] = {}
_lock = threading.Lock()


def index_for(embedder: Embedder, cache_dir: Path | None = None) -> PrototypeIndex:
    """One index per embedder object in this process (building it embeds every prototype)."""
    key = (embedder.name, id(embedder))
    with _lock:
        index = _cache.get(key)
        if index is None or index.embedder is not embedder:
            index = _cache[key] = PrototypeIndex(embedder, load_prototypes(), cache_dir)
        return index
