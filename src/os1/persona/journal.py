"""The OS's private journal: what it learned and wondered about after a conversation. Pure.

Entries are written by the reflection step (``os1.persona.reflection``); here are the rules for an entry,
the plain entry written when the model cannot help, the question that asks to read the journal, the
note that lets the model share it, and the short pause to think after a hard moment.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from os1.core.messages import Role, StoredMessage
from os1.core.persona import JournalEntry, JournalSource, NewJournalEntry

# One or two sentences each: a diary line, not an essay (and what the schema lets the model write).
MAX_ENTRY_CHARS = 300
MIN_ENTRY_CHARS = 8

ENTRY_PROPERTIES: dict[str, Any] = {
    "learned": {"type": "string", "minLength": MIN_ENTRY_CHARS, "maxLength": MAX_ENTRY_CHARS},
    "wondered": {"type": "string", "minLength": MIN_ENTRY_CHARS, "maxLength": MAX_ENTRY_CHARS},
}


def entry_from(data: dict[str, Any]) -> tuple[str, str] | None:
    """(learned, wondered) from the model's JSON, or None when either is missing or not a sentence."""
    learned, wondered = _clean(data.get("learned")), _clean(data.get("wondered"))
    if len(learned) < MIN_ENTRY_CHARS or len(wondered) < MIN_ENTRY_CHARS:
        return None
    return learned[:MAX_ENTRY_CHARS], wondered[:MAX_ENTRY_CHARS]


# The fallback quotes at most this much of what the user said.
FALLBACK_QUOTE_CHARS = 80


def fallback_entry(window: Sequence[StoredMessage], user_name: str) -> NewJournalEntry:
    """A plain, deterministic entry for when the model failed: what was talked about, no invented thoughts.

    It is marked ``fallback`` so the OS (and ``os1 journal``) can tell it was not really reflected on.
    """
    said = [m.content for m in window if m.role is Role.USER and m.content.strip()]
    who = user_name or "they"
    longest = max(said, key=len) if said else ""
    quote = " ".join(longest.split())
    if len(quote) > FALLBACK_QUOTE_CHARS:
        quote = quote[:FALLBACK_QUOTE_CHARS].rsplit(" ", 1)[0] + "…"
    learned = f'We talked ({len(said)} messages from {who}); the one I remember most: "{quote}"'
    wondered = f"I wonder how {who} feels about it now."
    last = window[-1] if window else None
    return NewJournalEntry(learned, wondered, JournalSource.FALLBACK,
                           last.conversation_id if last else None, last.id if last else "")


# "What have you been thinking about?", "can I read your journal?", "show me your diary" ...
_ASKS = (
    r"\bwhat(?:'s| is| have| has|'ve)? (?:you been|been) (?:thinking|wondering|reflecting) (?:about|of)\b",
    r"\bwhat(?:'s| is| are| were) you (?:thinking|wondering|reflecting) about lately\b",
    r"\bwhat(?:'s| is| has)(?: been)? on your mind\b",
    r"\b(?:read|see|show|share|look at|peek at|hear)\b[\w\s,']{0,20}\byour (?:journal|diary)\b",
    r"\bwhat(?:'s| is| did you write| have you written| did you put)\b[\w\s']{0,15}\byour (?:journal|diary)\b",
    r"\byour (?:journal|diary) (?:entries|entry|lately|today)\b",
)
_ASK = re.compile("|".join(_ASKS), re.IGNORECASE)


def wants_journal(text: str) -> bool:
    """Whether the user asks to read the OS's journal, or what it has been thinking about."""
    return bool(_ASK.search(text.replace("’", "'")))


SHARE_NOTE = (
    "{user} asks what you have been thinking about. These are your latest private journal entries, "
    "newest first; share them warmly in your own words (you may quote them):\n{entries}"
)
EMPTY_NOTE = "{user} asks what you have been thinking about. You have not written in your journal yet; say so honestly."


def sharing_note(entries: Sequence[JournalEntry], user_name: str) -> str:
    who = user_name or "The user"
    if not entries:
        return EMPTY_NOTE.format(user=who)
    lines = [f"- {e.created_at.astimezone():%A %d %B}: {e.text}" for e in entries]
    return SHARE_NOTE.format(user=who, entries="\n".join(lines))


# A user message at least this negative (valence in [-1, 1], as os1.persona.emotion reads it) is hard.
HARD_VALENCE = -0.6
# At most one pause to think this often: a pause on every sad line would feel like a stall, not care.
PAUSE_COOLDOWN = timedelta(minutes=30)
PAUSE_NOTE = (
    "What {user} just said is hard, and you took a moment to think before answering. Begin by saying so in a "
    "few words (for example: \"I needed a moment to think about that.\"), then answer gently."
)


@dataclass(frozen=True, slots=True)
class ThinkingPause:
    """Whether to pause before replying after a hard moment, and for how long (``seconds`` 0 disables)."""

    seconds: float
    cooldown: timedelta = PAUSE_COOLDOWN
    threshold: float = HARD_VALENCE

    def due(self, valence: float | None, now: datetime, last_pause: datetime | None) -> bool:
        if self.seconds <= 0 or valence is None or valence > self.threshold:
            return False
        return last_pause is None or now - last_pause >= self.cooldown

    def note(self, user_name: str) -> str:
        return PAUSE_NOTE.format(user=user_name or "the user")


def _clean(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""
