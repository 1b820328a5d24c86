"""The embeddings interface: text in, L2-normalised float32 rows out.

Embedding calls are short CPU-bound work, so the interface is synchronous; async callers wrap a call in
``asyncio.to_thread``. Implementations must be safe to call from several threads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """A text embedder. Rows of the returned matrix are L2-normalised, so a dot product is a cosine."""

    name: str
    dim: int

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        """Embed short texts to be compared (search queries, chat messages): shape ``(len(texts), dim)``."""
        ...

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        """Embed documents to be searched: shape ``(len(texts), dim)``."""
        ...


def normalise_rows(matrix: npt.ArrayLike) -> Vectors:
    """Return ``matrix`` as 2-D float32 with unit-length rows (zero rows stay zero)."""
    m = np.asarray(matrix, dtype=np.float32)
    if m.ndim == 1:
        m = m.reshape(1, -1)
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(m / norms, dtype=np.float32)
