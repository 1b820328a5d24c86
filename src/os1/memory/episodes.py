"""Episodes: every utterance, both sides, kept as said, with who said it, when, and where it came from."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from os1.core.memory import MemoryKind, NewMemory
from os1.memory.text import entity_mentions
from os1.memory.timeref import annotate


@dataclass(frozen=True, slots=True)
class Utterance:
    """Something said, to remember. ``source_id`` is its message id (or an imported turn's id)."""

    text: str
    speaker: str
    at: datetime
    source_id: str
    conversation_id: str | None = None
    # Extra text that describes it but was not said (an image's caption); searched, and shown with it.
    caption: str = ""
    # Whether what the speaker says about themselves is learned as facts (people yes, the OS itself no).
    learn_facts: bool = True


def episode(utt: Utterance, known_entities: Iterable[str] = (), before: Utterance | None = None) -> NewMemory:
    """The memory item for one utterance. Relative dates are resolved into the text so a recalled
    "I went yesterday" also says which day that was."""
    at = aware(utt.at)
    text = annotate(utt.text, at)
    if utt.caption:
        text += f" [shared an image: {utt.caption}]"
    entities = entity_mentions(f"{utt.text} {utt.caption}", known_entities)
    speaker = utt.speaker.lower()
    if speaker and speaker not in entities:
        entities.append(speaker)
    return NewMemory(
        kind=MemoryKind.EPISODE, text=text, occurred_at=at, speaker=utt.speaker,
        conversation_id=utt.conversation_id, source_ids=(utt.source_id,), entities=tuple(entities),
        importance=importance(utt.text, bool(utt.caption)),
        # The speaker's name is searchable: questions name people ("what did Ana say about ...").
        search_text=f"{utt.speaker}: {text}" if utt.speaker else text,
        context=before.text if before else "", context_of=before.source_id if before else None,
    )


_SELF = re.compile(r"\b(i|i'm|i've|i'd|my|me|we|we're|our|us)\b", re.IGNORECASE)
_SENTENCES = re.compile(r"[^.!?]+[.!?]*")


def importance(text: str, shared_image: bool = False) -> float:
    """How likely an utterance is to be worth recalling, from its shape alone: people telling about
    their lives ("I signed up for a pottery class") matter more than reactions ("Wow, cool!") and
    questions back ("What inspired you?"), which are most of chat."""
    words = text.split()
    if len(words) < 5:
        return 0.2
    statements = [s for s in _SENTENCES.findall(text) if s.strip() and not s.strip().endswith("?")]
    telling = any(_SELF.search(s) for s in statements)
    score = 0.7 if telling else (0.25 if not statements else 0.45)
    return min(1.0, score + (0.1 if shared_image else 0.0))


def aware(at: datetime) -> datetime:
    """Times without a zone are taken as UTC, so stored times always compare."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
