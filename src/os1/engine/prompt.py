"""Prompt assembly: persona first (never dropped), then as much recent dialogue as the budget allows.

Order: [persona] [older dialogue ...] [time note] [the new user message]. The persona and the older
dialogue form a prefix that stays the same from one turn to the next, so a backend with prefix caching
evaluates only the tail. The time note changes every turn, so it sits just before the new message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from os1.core.errors import InputError
from os1.core.messages import ChatMessage, Role, StoredMessage

TokenCounter = Callable[[str], Awaitable[int]]

# Chat templates add a few tokens of framing around every message.
MESSAGE_OVERHEAD_TOKENS = 4


def keep_from(costs: Sequence[int], budget: int) -> int:
    """Index of the oldest message to keep so that costs[index:] fits in ``budget`` (newest kept first)."""
    total = 0
    for index in range(len(costs) - 1, -1, -1):
        total += costs[index]
        if total > budget:
            return index + 1
    return 0


async def build_prompt(
    persona: str,
    dialogue: Sequence[StoredMessage],
    note: str,
    budget_tokens: int,
    count: TokenCounter,
) -> list[ChatMessage]:
    """The messages for one turn. ``dialogue`` ends with the new user message, which is always kept."""
    if not dialogue or dialogue[-1].role is not Role.USER:
        raise ValueError("dialogue must end with the user's new message")
    *older, latest = dialogue
    fixed = [ChatMessage(Role.SYSTEM, persona), ChatMessage(Role.SYSTEM, note), latest.as_chat()]
    fixed_cost = sum([await count(m.content) + MESSAGE_OVERHEAD_TOKENS for m in fixed])
    room = budget_tokens - fixed_cost
    if room < 0:
        raise InputError("that message is too long for the model's context window",
                         "send a shorter message, or raise n_ctx with `os1 config set n_ctx 8192`")
    costs = [await count(m.content) + MESSAGE_OVERHEAD_TOKENS for m in older]
    kept = [m.as_chat() for m in older[keep_from(costs, room):]]
    return [fixed[0], *kept, fixed[1], fixed[2]]


async def build_prefix(
    persona: str, dialogue: Sequence[StoredMessage], budget_tokens: int, count: TokenCounter
) -> list[ChatMessage]:
    """The part of the next turn's prompt that is already known: persona and the dialogue so far."""
    room = budget_tokens - (await count(persona) + MESSAGE_OVERHEAD_TOKENS)
    costs = [await count(m.content) + MESSAGE_OVERHEAD_TOKENS for m in dialogue]
    return [ChatMessage(Role.SYSTEM, persona), *(m.as_chat() for m in dialogue[keep_from(costs, room) :])]
