"""Learning waits for a quiet moment: the OS's own model work never holds up a spoken reply.

A local model has one slot: while it reads a reflection's ~1,500-token prompt (~11 s on two cores) the next
reply waits behind it, and once begun that reading cannot be interrupted (llama.cpp looks at its stop flag
between generated tokens only; bench/RESULTS.md, voice). So in a spoken conversation, where the user answers
as soon as the OS has finished, the learning's requests (reflection, and fact or emotion reading by the model
when those are on) wait until the conversation has left the model alone for ``quiet_s`` seconds: a lull,
the user thinking or away. A conversation that goes on without a lull keeps its learning for later; nothing
is lost, the persona's reflection is decided again after each reply.

``lanes(llm, quiet_s)`` gives the two views of one model: the conversation's (every request counted as
use) and the learning's (each request waits for the quiet moment first). With ``quiet_s`` 0 both are the
model itself, as a text chat wants: its event loop stops while the user types, so learning can only start
right after a reply, and the model then works through it while the user writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, Callable, Iterator, Sequence
from typing import Any

from os1.core.messages import ChatMessage
from os1.llm.base import LLM, GenerationOptions, LLMCapabilities

# How often a waiting learning request looks again (its wait is seconds long: a quarter second is precise enough).
POLL_S = 0.25


class QuietGate:
    """Counts the conversation's requests to the model and says when it has been quiet long enough."""

    def __init__(self, quiet_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.quiet_s = quiet_s
        self.clock = clock
        self._in_flight = 0
        self._last_used = clock()  # a conversation just opened is about to be used: not quiet yet

    @contextlib.contextmanager
    def using(self) -> Iterator[None]:
        """The conversation uses the model while the block runs."""
        self._in_flight += 1
        try:
            yield
        finally:
            self._in_flight -= 1
            self._last_used = self.clock()

    def quiet_in(self) -> float:
        """Seconds until it is quiet enough (0: now); ``POLL_S`` while the conversation uses the model."""
        if self._in_flight:
            return POLL_S
        return max(0.0, self._last_used + self.quiet_s - self.clock())

    async def wait(self) -> None:
        while (left := self.quiet_in()) > 0:
            await asyncio.sleep(min(left, POLL_S))


class _View:
    """One model seen through a QuietGate (the parts both lanes share)."""

    def __init__(self, inner: LLM, gate: QuietGate) -> None:
        self.inner = inner
        self.gate = gate
        self.name: str = inner.name
        self.capabilities: LLMCapabilities = inner.capabilities

    async def count_tokens(self, text: str) -> int:
        return await self.inner.count_tokens(text)  # the tokenizer does not hold the model's slot


class ConversingLLM(_View):
    """The conversation's view: its every request counts as use of the model. It owns the model."""

    async def stream(self, messages: Sequence[ChatMessage], options: GenerationOptions) -> AsyncGenerator[str, None]:
        with self.gate.using():
            async with contextlib.aclosing(self.inner.stream(messages, options)) as deltas:
                async for delta in deltas:
                    yield delta

    async def complete_json(
        self, messages: Sequence[ChatMessage], schema: dict[str, Any], options: GenerationOptions
    ) -> dict[str, Any]:
        with self.gate.using():
            return await self.inner.complete_json(messages, schema, options)

    async def warm(self, messages: Sequence[ChatMessage]) -> None:
        with self.gate.using():
            await self.inner.warm(messages)

    async def aclose(self) -> None:
        await self.inner.aclose()


class LearningLLM(_View):
    """The learning's view: each request waits for a quiet moment, then goes to the model as it is."""

    async def stream(self, messages: Sequence[ChatMessage], options: GenerationOptions) -> AsyncGenerator[str, None]:
        await self.gate.wait()
        async with contextlib.aclosing(self.inner.stream(messages, options)) as deltas:
            async for delta in deltas:
                yield delta

    async def complete_json(
        self, messages: Sequence[ChatMessage], schema: dict[str, Any], options: GenerationOptions
    ) -> dict[str, Any]:
        await self.gate.wait()
        return await self.inner.complete_json(messages, schema, options)

    async def warm(self, messages: Sequence[ChatMessage]) -> None:
        """Nothing: warming is for a reply about to be asked for, and learning asks when it is its turn."""

    async def aclose(self) -> None:
        """Nothing: the conversation's view owns the model."""


def lanes(llm: LLM, quiet_s: float) -> tuple[LLM, LLM]:
    """(the conversation's model, the learning's model): see the module's docstring."""
    if quiet_s <= 0:
        return llm, llm
    gate = QuietGate(quiet_s)
    return ConversingLLM(llm, gate), LearningLLM(llm, gate)
