"""The LLM interface every backend implements, and the registry that builds one from settings.

A backend streams a chat reply (cancellable: closing the stream stops generation), produces output that
follows a JSON schema, and counts tokens. Backends register by name; heavy ones import lazily.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from os1.core.errors import BackendError, ConfigError
from os1.core.messages import ChatMessage

if TYPE_CHECKING:
    from os1.config import Settings


@dataclass(frozen=True, slots=True)
class LLMCapabilities:
    json_schema: bool = True  # output constrained by a grammar/schema, not just asked for
    prefix_cache: bool = False  # a stable prompt prefix is evaluated once and reused between turns
    exact_token_count: bool = True  # count_tokens uses the model's own tokenizer


@dataclass(frozen=True, slots=True)
class GenerationOptions:
    max_tokens: int = 256
    temperature: float = 0.7
    cache_prompt: bool = True  # reuse the evaluated prompt prefix from the previous request
    stop: tuple[str, ...] = ()


@runtime_checkable
class LLM(Protocol):
    name: str
    capabilities: LLMCapabilities

    def stream(self, messages: Sequence[ChatMessage], options: GenerationOptions) -> AsyncGenerator[str, None]:
        """Yield reply text deltas. Closing the iterator (or cancelling its task) stops generation."""
        ...

    async def complete_json(
        self, messages: Sequence[ChatMessage], schema: dict[str, Any], options: GenerationOptions
    ) -> dict[str, Any]:
        """A reply that is a JSON object valid under ``schema``."""
        ...

    async def count_tokens(self, text: str) -> int: ...

    async def warm(self, messages: Sequence[ChatMessage]) -> None:
        """Evaluate a prompt prefix ahead of time (while the user types); a no-op without prefix caching."""
        ...

    async def aclose(self) -> None: ...


async def collect(llm: LLM, messages: Sequence[ChatMessage], options: GenerationOptions) -> str:
    """The whole streamed reply as one string."""
    parts = [delta async for delta in llm.stream(messages, options)]
    return "".join(parts)


def parse_json_object(text: str, backend: str) -> dict[str, Any]:
    """Parse a model's JSON reply; a non-object or invalid JSON is a BackendError."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BackendError(f"{backend} returned invalid JSON: {text[:80]!r}", "try a more capable model") from exc
    if not isinstance(value, dict):
        raise BackendError(f"{backend} returned JSON that is not an object", "try a more capable model")
    return value


Factory = Callable[["Settings", int], LLM]  # (settings, n_parallel)
_REGISTRY: dict[str, Factory] = {}


def register_backend(name: str, factory: Factory) -> None:
    _REGISTRY[name] = factory


def create_llm(settings: Settings, *, n_parallel: int = 1) -> LLM:
    """Build the backend named by ``settings.llm_backend``; ``n_parallel`` replies at once where the backend
    runs the model itself (the server's slots; one for a single user)."""
    _register_builtins()
    try:
        factory = _REGISTRY[settings.llm_backend]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise ConfigError(f"unknown LLM backend {settings.llm_backend!r}", f"use one of: {known}") from None
    llm: LLM = factory(settings, n_parallel)
    return llm


def _register_builtins() -> None:
    if _REGISTRY:
        return

    def local(settings: Settings, n_parallel: int) -> LLM:
        from os1.llm.catalog import resolve_model_path
        from os1.llm.local import LocalLLM

        return LocalLLM(
            resolve_model_path(settings),
            n_threads=settings.n_threads,
            n_threads_batch=settings.n_threads_batch,
            n_ctx=settings.n_ctx,
            n_parallel=n_parallel,
        )

    def openai(settings: Settings, n_parallel: int) -> LLM:  # the remote server has its own slots
        from os1.llm.openai_compat import OpenAICompatLLM

        return OpenAICompatLLM.from_settings(settings)

    def scripted(settings: Settings, n_parallel: int) -> LLM:
        from os1.testing.llm import ScriptedLLM

        return ScriptedLLM()

    register_backend("local", local)
    register_backend("openai", openai)
    register_backend("scripted", scripted)
