"""Long-term memory as plain data: items (what was said, what was learned), recall hits, audit entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class MemoryKind(StrEnum):
    EPISODE = "episode"  # one utterance, either side, as it was said
    FACT = "fact"  # something learned about the user or their world, citing the utterances it came from
    SUMMARY = "summary"  # what one conversation (or session) was about
    DIGEST = "digest"  # "what I have learned about you", rebuilt from facts


class MemoryAction(StrEnum):
    ADD = "add"
    SUPERSEDE = "supersede"
    MERGE = "merge"
    EDIT = "edit"
    FORGET = "forget"


@dataclass(frozen=True, slots=True)
class MemoryItem:
    """One memory. ``source_ids`` are the ids of the utterances it came from (an episode cites itself).

    A fact that a newer fact replaced keeps its row with ``superseded_by`` set, so history stays.
    ``subject``/``attribute`` key a fact ("user", "likes:coffee") for supersession and merging.
    """

    id: str
    user_id: str
    kind: MemoryKind
    text: str
    occurred_at: datetime
    created_at: datetime
    speaker: str = ""
    conversation_id: str | None = None
    source_ids: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    confidence: float = 1.0
    importance: float = 0.5
    subject: str = ""
    attribute: str = ""
    superseded_by: str | None = None

    @property
    def current(self) -> bool:
        return self.superseded_by is None


@dataclass(frozen=True, slots=True)
class NewMemory:
    """A memory to store (the store assigns the id and creation time)."""

    kind: MemoryKind
    text: str
    occurred_at: datetime
    speaker: str = ""
    conversation_id: str | None = None
    source_ids: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    confidence: float = 1.0
    importance: float = 0.5
    subject: str = ""
    attribute: str = ""
    # Text indexed for keyword search when it should differ from ``text`` (speaker names, image captions).
    search_text: str = ""
    # What was said just before (searched at a lower weight: an answer often lacks the question's words),
    # and the source id it came from, so forgetting that utterance also clears it here. What is said next
    # joins it, with its source in ``context_next_of``: at once when it is known (a user message and the reply
    # remembered together), or later (``MemoryRepo.add_context``).
    context: str = ""
    context_of: str | None = None
    context_next_of: str | None = None


@dataclass(frozen=True, slots=True)
class Recalled:
    """A memory that retrieval found relevant, with its score and the signals that found it."""

    item: MemoryItem
    score: float
    signals: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class MemoryChange:
    """One line of the audit history. It names the item and the action, never the content, so that
    forgetting something leaves no copy of it here."""

    id: str
    user_id: str
    item_id: str
    action: MemoryAction
    kind: MemoryKind
    created_at: datetime
    note: str = ""
