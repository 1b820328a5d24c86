"""One model for a user's turns and for the learning after them: a turn's reply goes first.

A single user's local model has one slot (`os1 chat`, `os1 talk`). A background request (the persona's
reflection, LLM fact extraction, the LLM's emotion reading) that is being answered when the user's next turn
needs the model held that turn up for as long as it took: ~11 s for a reflection of the 0.5B default here
(bench/RESULTS.md, voice latency with hooks). So a turn's reply stops the background requests in flight: they
fail with ``Preempted``, and their owners learn later (a reflection is retried after a later reply, once the
user leaves the model time; an extraction or emotion reading of that one message is skipped).

Not for `os1 serve`: there another user's turn comes every few milliseconds and learning would never finish;
its fair queue with several slots (llm/queue.py) does that job.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Sequence
from typing import Any

from os1.core.errors import BackendError
from os1.core.messages import ChatMessage
from os1.llm.base import LLM, GenerationOptions, LLMCapabilities


class Preempted(BackendError):
    """A background request stopped because a turn needed the model."""

    def __init__(self) -> None:
        super().__init__("the model was needed for a reply", "it is tried again when the model is free")


class TurnsFirst:
    """``turns``: the model as the Session uses it; ``learning``: as the hooks' background work uses it."""

    def __init__(self, llm: LLM) -> None:
        self.llm = llm
        self.turns = TurnView(self)
        self.learning = LearningView(self)
        self._learning: set[asyncio.Task[Any]] = set()

    def preempt(self) -> None:
        """Stop every background request in flight (llama.cpp stops at its next token)."""
        for task in self._learning:
            task.cancel()


class _View:
    """The shared model, as is; subclasses change who waits for whom."""

    def __init__(self, owner: TurnsFirst) -> None:
        self.owner = owner
        self.name: str = owner.llm.name
        self.capabilities: LLMCapabilities = owner.llm.capabilities

    def stream(self, messages: Sequence[ChatMessage], options: GenerationOptions) -> AsyncGenerator[str, None]:
        return self.owner.llm.stream(messages, options)

    async def complete_json(
        self, messages: Sequence[ChatMessage], schema: dict[str, Any], options: GenerationOptions
    ) -> dict[str, Any]:
        return await self.owner.llm.complete_json(messages, schema, options)

    async def count_tokens(self, text: str) -> int:
        return await self.owner.llm.count_tokens(text)

    async def warm(self, messages: Sequence[ChatMessage]) -> None:
        # Not a reason to stop learning: warming is a head start the next turn may not need.
        await self.owner.llm.warm(messages)

    async def aclose(self) -> None:
        await self.owner.llm.aclose()


class TurnView(_View):
    async def stream(self, messages: Sequence[ChatMessage], options: GenerationOptions) -> AsyncGenerator[str, None]:
        self.owner.preempt()
        async with contextlib.aclosing(self.owner.llm.stream(messages, options)) as deltas:
            async for delta in deltas:
                yield delta


class LearningView(_View):
    async def complete_json(
        self, messages: Sequence[ChatMessage], schema: dict[str, Any], options: GenerationOptions
    ) -> dict[str, Any]:
        task = asyncio.ensure_future(self.owner.llm.complete_json(messages, schema, options))
        self.owner._learning.add(task)
        try:
            return await task
        except asyncio.CancelledError:
            me = asyncio.current_task()
            if me is not None and me.cancelling():
                raise  # the caller itself was cancelled
            raise Preempted() from None
        finally:
            self.owner._learning.discard(task)
