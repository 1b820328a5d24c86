"""ScriptedLLM: deterministic replies, streamed word by word, for tests."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncGenerator, Sequence
from typing import Any

from os1.core.messages import ChatMessage
from os1.llm.base import GenerationOptions, LLMCapabilities


class ScriptedLLM:
    """Replies from a script, in order (then repeats the last one), or echoes the user when empty.

    Every request is recorded in ``requests`` so tests can check the prompt the engine built.
    ``delay_s`` sleeps between deltas (``OS1_SCRIPTED_DELAY`` sets it in a real process), which lets
    tests interrupt a reply in the middle.
    """

    name = "scripted"
    capabilities = LLMCapabilities(json_schema=True, prefix_cache=False, exact_token_count=False)

    def __init__(
        self,
        replies: Sequence[str] = (),
        *,
        json_replies: Sequence[dict[str, Any]] = (),
        delay_s: float | None = None,
    ) -> None:
        self.replies = list(replies) or _env_replies()
        self.json_replies = list(json_replies)
        self.delay_s = float(os.environ.get("OS1_SCRIPTED_DELAY", "0")) if delay_s is None else delay_s
        self.requests: list[list[ChatMessage]] = []
        self.warmed: list[list[ChatMessage]] = []
        self._next = 0

    async def stream(self, messages: Sequence[ChatMessage], options: GenerationOptions) -> AsyncGenerator[str, None]:
        self.requests.append(list(messages))
        reply = self._pick(messages)
        words = reply.split(" ")
        for i, word in enumerate(words[: options.max_tokens]):
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            yield word if i == 0 else " " + word

    async def complete_json(
        self, messages: Sequence[ChatMessage], schema: dict[str, Any], options: GenerationOptions
    ) -> dict[str, Any]:
        self.requests.append(list(messages))
        if self.json_replies:
            return self.json_replies.pop(0)
        return {"name": "Sam", "reason": "It is short and warm, and it felt like mine."}

    async def count_tokens(self, text: str) -> int:
        # About four characters a token, like most English BPE vocabularies.
        return max(1, (len(text) + 3) // 4)

    async def warm(self, messages: Sequence[ChatMessage]) -> None:
        self.warmed.append(list(messages))

    async def aclose(self) -> None:
        return None

    def _pick(self, messages: Sequence[ChatMessage]) -> str:
        if not self.replies:
            return f"You said: {messages[-1].content}" if messages else "Hello."
        reply = self.replies[min(self._next, len(self.replies) - 1)]
        self._next += 1
        return reply


def _env_replies() -> list[str]:
    raw = os.environ.get("OS1_SCRIPTED_REPLIES", "")
    return list(json.loads(raw)) if raw else []
