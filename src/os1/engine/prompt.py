"""Prompt assembly: persona first (never dropped), then as much recent dialogue as the budget allows.

Every message is rendered the same way on every turn, so the prompt of one turn starts with the whole
prompt of the turn before and a backend with prefix caching evaluates only the new tail. That is why the
date and time are not a line that changes each turn: a time note goes before the user messages that open
a sitting (the first, one after a pause, and one an hour after the last note), all derived from the
stored timestamps, so the OS knows when each part of the conversation happened and how long it has been.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from os1.core.errors import InputError
from os1.core.messages import ChatMessage, Role, StoredMessage
from os1.engine.clock import time_note

TokenCounter = Callable[[str], Awaitable[int]]

# Chat templates add a few tokens of framing around every message.
MESSAGE_OVERHEAD_TOKENS = 4
# A pause this long starts a new sitting, which gets a time note.
SITTING_GAP = timedelta(minutes=30)
# Within a long sitting, the time is told again this often.
NOTE_EVERY = timedelta(hours=1)


def keep_from(costs: Sequence[int], budget: int) -> int:
    """Index of the oldest message to keep so that costs[index:] fits in ``budget`` (newest kept first)."""
    total = 0
    for index in range(len(costs) - 1, -1, -1):
        total += costs[index]
        if total > budget:
            return index + 1
    return 0


def time_notes(dialogue: Sequence[StoredMessage], talked_before: datetime | None) -> dict[int, str]:
    """Index of each user message that opens a sitting -> its time note. Pure and deterministic."""
    notes: dict[int, str] = {}
    last_user, last_note, previous = talked_before, None, talked_before
    for index, message in enumerate(dialogue):
        if message.role is Role.USER:
            at = message.created_at
            pause = previous is None or at - previous > SITTING_GAP
            if last_note is None or pause or at - last_note > NOTE_EVERY:
                notes[index] = time_note(at, last_user)
                last_note = at
            last_user = at
        previous = message.created_at
    return notes


def _render(dialogue: Sequence[StoredMessage], notes: dict[int, str]) -> list[list[ChatMessage]]:
    """Each stored message as the prompt messages it becomes (its time note first, if it has one)."""
    rendered = []
    for index, message in enumerate(dialogue):
        group = [ChatMessage(Role.SYSTEM, notes[index])] if index in notes else []
        rendered.append([*group, message.as_chat()])
    return rendered


async def _cost(group: Sequence[ChatMessage], count: TokenCounter) -> int:
    return sum([await count(m.content) + MESSAGE_OVERHEAD_TOKENS for m in group])


async def build_prompt(
    persona: str,
    dialogue: Sequence[StoredMessage],
    budget_tokens: int,
    count: TokenCounter,
    talked_before: datetime | None = None,
    turn_note: str = "",
) -> list[ChatMessage]:
    """The messages for one turn. ``dialogue`` ends with the new user message, which is always kept.

    ``talked_before`` is when the user last spoke before ``dialogue`` starts (another conversation).
    ``turn_note`` (recalled memories, mood) goes just before the new message, after the stable prefix.
    """
    if not dialogue or dialogue[-1].role is not Role.USER:
        raise ValueError("dialogue must end with the user's new message")
    groups = _render(dialogue, time_notes(dialogue, talked_before))
    *older, latest = groups
    if turn_note:
        latest = [*latest[:-1], ChatMessage(Role.SYSTEM, turn_note), latest[-1]]
    room = budget_tokens - await _cost([ChatMessage(Role.SYSTEM, persona), *latest], count)
    if room < 0:
        raise InputError("that message is too long for the model's context window",
                         "send a shorter message, or raise n_ctx with `os1 config set n_ctx 8192`")
    costs = [await _cost(g, count) for g in older]
    kept = [m for g in older[keep_from(costs, room) :] for m in g]
    return [ChatMessage(Role.SYSTEM, persona), *kept, *latest]


async def build_prefix(
    persona: str,
    dialogue: Sequence[StoredMessage],
    budget_tokens: int,
    count: TokenCounter,
    talked_before: datetime | None = None,
) -> list[ChatMessage]:
    """The part of the next turn's prompt that is already known: persona and the dialogue so far."""
    groups = _render(dialogue, time_notes(dialogue, talked_before))
    room = budget_tokens - await _cost([ChatMessage(Role.SYSTEM, persona)], count)
    costs = [await _cost(g, count) for g in groups]
    kept = [m for g in groups[keep_from(costs, room) :] for m in g]
    return [ChatMessage(Role.SYSTEM, persona), *kept]
