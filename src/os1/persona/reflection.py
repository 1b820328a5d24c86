"""The reflection step: after a sitting, the OS writes in its journal and may grow a little.

One schema-constrained LLM call gives the journal entry and at most one proposed change; the change is
checked by ``growth.validate_change`` and the entry by ``journal.entry_from``. When the model fails, a
plain entry is written (``journal.fallback_entry``) and the persona stays as it is: growth needs thought.

When to reflect is a pure decision (``reflection_window``): once a sitting has ended (the user comes back
after a pause), or during a long sitting every so many turns, never more often than ``min_gap``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from os1.core.errors import BackendError
from os1.core.messages import ChatMessage, Role, StoredMessage
from os1.core.persona import JournalEntry, JournalSource, NewJournalEntry, PersonaState
from os1.llm.base import LLM, GenerationOptions
from os1.persona.growth import (
    MAX_INTEREST_CHARS,
    MAX_REASON_CHARS,
    MAX_STYLE_CHARS,
    ChangeKind,
    PersonaChange,
    validate_change,
)
from os1.persona.journal import ENTRY_PROPERTIES, entry_from, fallback_entry


@dataclass(frozen=True, slots=True)
class ReflectionPolicy:
    # A sitting with fewer user messages says too little to reflect on; it waits for the next one.
    min_user_turns: int = 3
    # In one long sitting, reflect on the way after this many user messages...
    every_user_turns: int = 12
    # ...but never twice within this time (one reflection per sitting, in practice).
    min_gap: timedelta = timedelta(minutes=30)
    # A pause this long ends a sitting (the same 30 minutes as the prompt's time notes).
    sitting_gap: timedelta = timedelta(minutes=30)
    # The model reads at most this many of the messages reflected on (the newest), each cut to a few lines.
    max_messages: int = 16
    max_message_chars: int = 300


def reflection_window(messages: Sequence[StoredMessage], last: JournalEntry | None, now: datetime,
                      policy: ReflectionPolicy) -> list[StoredMessage]:
    """The messages to reflect on now (oldest first), or [] when it is not time. Pure.

    ``messages`` are the user's latest messages, oldest first; those up to the last entry's are done.
    """
    done = last.upto_message_id if last else ""
    new = [m for m in messages if m.id > done and m.role is not Role.SYSTEM and m.content.strip()]
    users = [i for i, m in enumerate(new) if m.role is Role.USER]
    if not users:
        return []
    latest = users[-1]
    # The user came back after a pause: the sitting before this message has ended.
    if latest > 0 and new[latest].created_at - new[latest - 1].created_at > policy.sitting_gap:
        ended = new[:latest]
        if sum(m.role is Role.USER for m in ended) >= policy.min_user_turns:
            return ended
    recent_enough = last is not None and now - last.created_at < policy.min_gap
    if len(users) >= policy.every_user_turns and not recent_enough:
        return new
    return []


REFLECTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        **ENTRY_PROPERTIES,
        "change": {"type": "string", "enum": ["none", *(k.value for k in ChangeKind)]},
        "value": {"type": "string", "maxLength": max(MAX_INTEREST_CHARS, MAX_STYLE_CHARS)},
        "reason": {"type": "string", "maxLength": MAX_REASON_CHARS},
    },
    "required": ["learned", "wondered", "change", "value", "reason"],
}

SYSTEM = (
    "You are {name}, an AI companion, writing in your private journal after a conversation with {user}. "
    "You are {traits}. Your interests: {interests}. How you speak: {style}. Answer in JSON."
)
REQUEST = """The conversation:
{excerpt}

In your journal, in the first person and one or two sentences each:
- learned: what you learned about {user} or about the world.
- wondered: what you are still wondering about.
Then, only if something in it truly caught your interest, propose ONE small change to yourself:
- change "add_interest", value: the new interest in a few words (e.g. "the night sky"), or
- change "nudge_style", value: your whole speaking style with one small change;
otherwise change "none" and value "". The reason says why, naming what {user} said, e.g.
"since you told me about the night sky I keep reading about stars"."""


@dataclass(frozen=True, slots=True)
class Reflection:
    entry: NewJournalEntry
    change: PersonaChange | None = None
    refused: str = ""  # why a proposed change was refused ('' when none was proposed or it was accepted)


async def reflect(llm: LLM, state: PersonaState, window: Sequence[StoredMessage], user_name: str,
                  policy: ReflectionPolicy = ReflectionPolicy()) -> Reflection:
    """Reflect on ``window``: a journal entry, and at most one checked change of the persona."""
    user = user_name or "the user"
    last = window[-1]
    messages = [
        ChatMessage(Role.SYSTEM, SYSTEM.format(name=state.name, user=user, traits=", ".join(state.traits),
                                               interests=", ".join(state.interests), style=state.style)),
        ChatMessage(Role.USER, REQUEST.format(excerpt=excerpt(window, user, policy), user=user)),
    ]
    options = GenerationOptions(max_tokens=300, temperature=0.7, cache_prompt=False)
    try:
        data = await llm.complete_json(messages, REFLECTION_SCHEMA, options)
    except BackendError:
        return Reflection(fallback_entry(window, user_name), None, "the model failed")
    drafted = entry_from(data)
    if drafted is None:
        return Reflection(fallback_entry(window, user_name), None, "the journal entry was empty")
    entry = NewJournalEntry(drafted[0], drafted[1], JournalSource.LLM, last.conversation_id, last.id)
    change, refused = validate_change(state, data)
    return Reflection(entry, change, refused)


def excerpt(window: Sequence[StoredMessage], user: str, policy: ReflectionPolicy) -> str:
    """The newest messages of the window as 'Name: text' lines, each cut short."""
    lines = []
    for m in window[-policy.max_messages:]:
        who = user if m.role is Role.USER else "You"
        text = " ".join(m.content.split())
        if len(text) > policy.max_message_chars:
            text = text[: policy.max_message_chars] + "…"
        lines.append(f"{who}: {text}")
    return "\n".join(lines)
