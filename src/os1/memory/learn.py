"""Turning extracted facts into memory: a new value supersedes the old (history kept), a repeat merges.

Used by both extractors (patterns and LLM), so supersession and merging behave the same whichever
found the fact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from os1.core.memory import MemoryItem, MemoryKind, NewMemory
from os1.memory.facts import Fact
from os1.memory.text import content_words
from os1.storage.base import MemoryRepo

# Two statements of one key are the same fact when this share of their words overlaps.
SAME_FACT_OVERLAP = 0.6


@dataclass(frozen=True, slots=True)
class Learned:
    added: tuple[MemoryItem, ...] = ()
    superseded: tuple[str, ...] = ()
    merged: tuple[str, ...] = ()


# The frame of a fact sentence ("Ana likes ...", "Ana lives in ..."): shared by any two facts of one key,
# so it says nothing about whether they state the same thing.
_FRAME = frozenset(
    {"likes", "dislikes", "lives", "works", "has", "have", "felt", "habit", "plans", "went", "is", "was", "usually",
     "always", "often"}
)


def same_fact(a: str, b: str, subject: str = "") -> bool:
    """Near-duplicates: most of what the shorter statement says (its frame and subject aside) is in the
    longer one. "lives in Lyon" and "lives in Paris" differ; "dislikes coffee" and "dislikes coffee
    anymore" do not."""
    frame = _FRAME | set(content_words(subject))
    wa, wb = set(content_words(a)) - frame, set(content_words(b)) - frame
    if not wa or not wb:
        return a.strip().lower() == b.strip().lower()
    return len(wa & wb) / min(len(wa), len(wb)) >= SAME_FACT_OVERLAP


async def learn(
    repo: MemoryRepo, user_id: str, facts: Sequence[Fact], *, at: datetime, sources: tuple[str, ...],
    conversation_id: str | None = None,
) -> Learned:
    added: list[MemoryItem] = []
    superseded: list[str] = []
    merged: list[str] = []
    for fact in facts:
        current = await repo.by_key(user_id, fact.subject, fact.attribute)
        twin = next((c for c in current if same_fact(c.text, fact.text, fact.subject)), None)
        if twin is not None:
            await repo.cite(user_id, twin.id, sources)
            merged.append(twin.id)
            continue
        (item,) = await repo.add(user_id, [NewMemory(
            kind=MemoryKind.FACT, text=fact.text, occurred_at=at, speaker=fact.subject,
            conversation_id=conversation_id, source_ids=sources, entities=(fact.subject, *fact.entities),
            confidence=fact.confidence, importance=fact.importance, subject=fact.subject, attribute=fact.attribute,
        )])
        added.append(item)
        for old in current:
            await repo.supersede(user_id, old.id, item.id)
            superseded.append(old.id)
    return Learned(tuple(added), tuple(superseded), tuple(merged))
