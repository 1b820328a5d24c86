"""Reflection: a summary of each stretch of conversation and a "what I have learned about you" digest.

Both are memory items that cite the utterances they rest on, so recall finds them and forgetting an
utterance removes them. They are extractive (the most telling things said, in order), which works with
any model or none; the wording is plain on purpose, so a small model can use it in a prompt.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from os1.core.memory import MemoryItem, MemoryKind, NewMemory

# Utterances at least this telling (episodes.importance) are summary material.
SUMMARY_MIN_IMPORTANCE = 0.7
SUMMARY_POINTS = 4
POINT_CHARS = 140
DIGEST_FACTS = 15


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def summary_of(episodes: Sequence[MemoryItem]) -> NewMemory | None:
    """The summary of one conversation stretch (``episodes`` oldest first): its most telling utterances."""
    telling = [e for e in episodes if e.importance >= SUMMARY_MIN_IMPORTANCE]
    if not telling:
        return None
    chosen = sorted(sorted(telling, key=lambda e: -e.importance)[:SUMMARY_POINTS], key=lambda e: e.occurred_at)
    day = chosen[0].occurred_at.strftime("%-d %B %Y")
    points = "; ".join(f"{e.speaker or 'someone'} said: {_clip(e.text, POINT_CHARS)}" for e in chosen)
    return NewMemory(
        kind=MemoryKind.SUMMARY, text=f"Conversation on {day}. {points}", occurred_at=episodes[-1].occurred_at,
        conversation_id=chosen[0].conversation_id, source_ids=tuple(s for e in chosen for s in e.source_ids),
        entities=tuple(dict.fromkeys(n for e in chosen for n in e.entities)), importance=0.6,
        subject="summary", attribute=f"conversation:{chosen[0].conversation_id}:{chosen[0].id}",
    )


def digest_of(subject: str, facts: Sequence[MemoryItem], at: datetime) -> NewMemory | None:
    """What is known about ``subject``, from current facts; one per subject, replaced as it grows."""
    mine = [f for f in facts if f.subject == subject and f.current][:DIGEST_FACTS]
    if not mine:
        return None
    name = mine[0].text.split(" ")[0]
    listed = "; ".join(f.text for f in mine)
    return NewMemory(
        kind=MemoryKind.DIGEST, text=f"What I have learned about {name}: {listed}.", occurred_at=at,
        source_ids=tuple(dict.fromkeys(s for f in mine for s in f.source_ids)), entities=(subject,),
        importance=0.7, subject=subject, attribute="digest",
    )
