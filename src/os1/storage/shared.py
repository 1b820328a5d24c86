"""Helpers that every store backend shares: logic over rows, no database of its own."""

from __future__ import annotations

from datetime import datetime

from os1.core.ids import new_id
from os1.core.memory import MemoryItem, NewMemory


def interleave_by_entity(pairs: list[tuple[str, str]], limit: int) -> list[tuple[str, str]]:
    """(item id, entity) pairs taken from each entity in turn, so one much-mentioned name does not crowd out
    the others; at most ``limit``."""
    by_entity: dict[str, list[tuple[str, str]]] = {}
    for pair in pairs:
        by_entity.setdefault(pair[1], []).append(pair)
    out: list[tuple[str, str]] = []
    queues = list(by_entity.values())
    while queues and len(out) < limit:
        queues = [q for q in queues if q]
        for q in queues:
            if len(out) < limit:
                out.append(q.pop(0))
    return out


def stored_item(user_id: str, new: NewMemory, now: datetime) -> MemoryItem:
    """The item a backend stores for ``new``: a fresh id, created ``now``."""
    return MemoryItem(
        id=new_id("mem"), user_id=user_id, kind=new.kind, text=new.text, occurred_at=new.occurred_at,
        created_at=now, speaker=new.speaker, conversation_id=new.conversation_id,
        source_ids=new.source_ids, entities=new.entities, confidence=new.confidence,
        importance=new.importance, subject=new.subject, attribute=new.attribute,
    )
