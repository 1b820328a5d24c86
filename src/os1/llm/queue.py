"""A fair queue in front of one model shared by many users (`os1 serve`).

The model has a few slots (llama.cpp's ``n_parallel``; 1 means one reply at a time). Without a queue the
first user to ask would keep asking: a user with many requests, or background learning, could hold every
slot. Here each user waits in their own FIFO, users are served round-robin, and a user has at most one
request in flight, so with two or more slots one user's long reply never blocks another user's first token.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict, deque
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from typing import Any

from os1.core.messages import ChatMessage
from os1.llm.base import LLM, GenerationOptions, LLMCapabilities

BACKGROUND = ""  # the lane of requests made for no one user in particular (hooks built with the shared model)


class FairQueue:
    """Admits at most ``slots`` requests at once: round-robin over users, one in flight per user."""

    def __init__(self, slots: int = 1) -> None:
        if slots < 1:
            raise ValueError("a fair queue needs at least one slot")
        self.slots = slots
        self._running: set[str] = set()
        # Users with waiting requests, in the order they will be served; a served user moves to the back.
        self._waiting: OrderedDict[str, deque[asyncio.Future[None]]] = OrderedDict()

    @property
    def in_flight(self) -> int:
        return len(self._running)

    @contextlib.asynccontextmanager
    async def turn(self, user: str) -> AsyncIterator[None]:
        """Hold one slot for ``user`` while the block runs."""
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(user, deque()).append(granted)
        self._admit()
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():  # admitted just as the caller gave up
                self._release(user)
            else:
                self._forget(user, granted)
            raise
        try:
            yield
        finally:
            self._release(user)

    def _admit(self) -> None:
        while len(self._running) < self.slots:
            user = next((u for u in self._waiting if u not in self._running), None)
            if user is None:
                return
            waiting = self._waiting.pop(user)
            granted = waiting.popleft()
            if waiting:
                self._waiting[user] = waiting  # their next request waits behind everyone else's
            self._running.add(user)
            granted.set_result(None)

    def _release(self, user: str) -> None:
        self._running.discard(user)
        if user in self._waiting:  # just served: whoever else waits goes first
            self._waiting.move_to_end(user)
        self._admit()

    def _forget(self, user: str, granted: asyncio.Future[None]) -> None:
        waiting = self._waiting.get(user)
        if waiting is not None and granted in waiting:
            waiting.remove(granted)
            if not waiting:
                del self._waiting[user]


class FairLLM:
    """An LLM whose requests go through a FairQueue. ``for_user`` gives the view a user's Session uses;
    the object itself asks in the background lane."""

    def __init__(self, inner: LLM, slots: int = 1, *, queue: FairQueue | None = None,
                 user: str = BACKGROUND) -> None:
        self.inner = inner
        self.queue = queue or FairQueue(slots)
        self.user = user
        self.name: str = inner.name
        self.capabilities: LLMCapabilities = inner.capabilities

    def for_user(self, user_id: str) -> FairLLM:
        return FairLLM(self.inner, queue=self.queue, user=user_id)

    async def stream(self, messages: Sequence[ChatMessage], options: GenerationOptions) -> AsyncGenerator[str, None]:
        async with self.queue.turn(self.user), contextlib.aclosing(self.inner.stream(messages, options)) as deltas:
            async for delta in deltas:
                yield delta

    async def complete_json(
        self, messages: Sequence[ChatMessage], schema: dict[str, Any], options: GenerationOptions
    ) -> dict[str, Any]:
        async with self.queue.turn(self.user):
            return await self.inner.complete_json(messages, schema, options)

    async def count_tokens(self, text: str) -> int:
        return await self.inner.count_tokens(text)  # the tokenizer is not a slot: no need to wait

    async def warm(self, messages: Sequence[ChatMessage]) -> None:
        async with self.queue.turn(self.user):
            await self.inner.warm(messages)

    async def aclose(self) -> None:
        if self.user == BACKGROUND:  # the shared object owns the model; user views only borrow it
            await self.inner.aclose()


def for_user(llm: LLM, user_id: str) -> LLM:
    """The user's view of a fair model, or the model itself when it has no queue."""
    return llm.for_user(user_id) if isinstance(llm, FairLLM) else llm
