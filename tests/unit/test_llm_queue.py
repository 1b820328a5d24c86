"""The fair LLM queue: round-robin by user, one request in flight per user, no user blocked by a long reply."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Sequence
from typing import Any

import pytest

from os1.core.messages import ChatMessage
from os1.llm.base import GenerationOptions, LLMCapabilities
from os1.llm.queue import FairLLM, FairQueue, for_user
from os1.testing import ScriptedLLM


class SlowLLM:
    """Each delta takes ``delay_s``; a reply is as many deltas as the last message has words."""

    name = "slow"
    capabilities = LLMCapabilities()

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.running = 0
        self.most_running = 0

    async def stream(self, messages: Sequence[ChatMessage], options: GenerationOptions) -> AsyncGenerator[str, None]:
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            for word in messages[-1].content.split():
                await asyncio.sleep(self.delay_s)
                yield word
        finally:
            self.running -= 1

    async def complete_json(self, messages: Sequence[ChatMessage], schema: dict[str, Any],
                            options: GenerationOptions) -> dict[str, Any]:
        return {}

    async def count_tokens(self, text: str) -> int:
        return len(text.split())

    async def warm(self, messages: Sequence[ChatMessage]) -> None:
        return None

    async def aclose(self) -> None:
        return None


def user_says(text: str) -> list[ChatMessage]:
    return [ChatMessage("user", text)]


async def drain(llm: FairLLM, text: str, log: list[tuple[str, float]]) -> None:
    loop = asyncio.get_running_loop()
    async for delta in llm.stream(user_says(text), GenerationOptions()):
        log.append((delta, loop.time()))


async def test_a_long_reply_does_not_hold_back_another_users_first_token() -> None:
    fair = FairLLM(SlowLLM(delay_s=0.01), slots=2)
    long_log: list[tuple[str, float]] = []
    short_log: list[tuple[str, float]] = []
    long_reply = asyncio.create_task(drain(fair.for_user("ann"), " ".join(["word"] * 40), long_log))
    await asyncio.sleep(0.03)  # Ann's reply is well under way
    await drain(fair.for_user("bob"), "hi there", short_log)
    await long_reply
    assert short_log[0][1] < long_log[-1][1]


async def test_one_request_in_flight_per_user_even_with_free_slots() -> None:
    slow = SlowLLM(delay_s=0.005)
    fair = FairLLM(slow, slots=4)
    ann = fair.for_user("ann")
    await asyncio.gather(*(drain(ann, "a b c", []) for _ in range(3)))
    assert slow.most_running == 1


async def test_users_are_served_round_robin() -> None:
    queue = FairQueue(slots=1)
    order: list[str] = []
    gate = asyncio.Event()

    async def ask(user: str) -> None:
        async with queue.turn(user):
            order.append(user)
            await gate.wait()

    first = asyncio.create_task(ask("ann"))
    await asyncio.sleep(0)
    waiting = [asyncio.create_task(ask(u)) for u in ["ann", "ann", "bob", "cat"]]
    await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(first, *waiting)
    assert order == ["ann", "bob", "cat", "ann", "ann"]


async def test_a_cancelled_waiter_leaves_the_queue_usable() -> None:
    queue = FairQueue(slots=1)
    holding = asyncio.Event()
    release = asyncio.Event()

    async def hold() -> None:
        async with queue.turn("ann"):
            holding.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await holding.wait()
    given_up = asyncio.create_task(queue.turn("bob").__aenter__())
    await asyncio.sleep(0)
    given_up.cancel()
    with pytest.raises(asyncio.CancelledError):
        await given_up
    release.set()
    await holder
    async with queue.turn("cat"):
        assert queue.in_flight == 1
    assert queue.in_flight == 0


async def test_a_plain_model_has_no_user_view() -> None:
    llm = ScriptedLLM(["hello"])
    assert for_user(llm, "ann") is llm
    assert isinstance(for_user(FairLLM(llm), "ann"), FairLLM)
