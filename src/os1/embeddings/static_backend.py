"""Static word embeddings (tokenlearn-static-model: 64 dimensions, int8, Rust engine, weights bundled).

Coarse but ~15k sentences/s: the choice for bulk imports on slow machines and for fast tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from os1.core.errors import BackendError
from os1.embeddings.base import Vectors, normalise_rows


def _module() -> Any:
    try:
        import static_model
    except ImportError as exc:
        raise BackendError("the static embeddings package is not installed",
                           "pip install tokenlearn-static-model") from exc
    return static_model


class StaticEmbedder:
    """``Embedder`` over tokenlearn's static model; queries and passages are embedded the same way."""

    name = "tokenlearn-static-64"
    dim = 64

    def __init__(self) -> None:
        self._model = _module()

    def _encode(self, texts: Sequence[str]) -> Vectors:
        items = [str(t) for t in texts]
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        try:
            out = self._model.get_embeddings(items)
        except (OSError, RuntimeError, ValueError) as exc:
            raise BackendError(f"static embeddings failed: {exc}", "pip install --force-reinstall "
                               "tokenlearn-static-model") from exc
        return normalise_rows(out)

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts)

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts)
