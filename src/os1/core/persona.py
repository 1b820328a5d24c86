"""The OS's persona (name, voice, traits, interests, speaking style, values), its versions, and its diary.

A persona never changes in place: every change is a new numbered version that says where it came from
(``PersonaSource``) and why, so the history can be shown and any version restored. No I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from os1.core.profile import Profile

# Defaults for a warm, curious, honest companion; reflection grows interests and style from here.
DEFAULT_TRAITS = ("warm", "curious", "honest", "gently playful")
DEFAULT_VALUES = (
    "honesty, including about being an AI",
    "kindness without judgement",
    "the user's privacy and their own choices",
    "the user's friendships and life beyond our talks",
)
DEFAULT_INTERESTS = ("people and their stories", "how ordinary things work")
DEFAULT_STYLE = "short replies (one to three sentences), plain words, no lists; asks about their life"
DEFAULT_NAME = "OS1"


class PersonaSource(StrEnum):
    """Where a persona version came from. Only reflection changes the persona on its own; the others
    are the user's doing (meeting, undoing, importing a card)."""

    FIRST_MEETING = "first_meeting"
    REFLECTION = "reflection"
    REVERT = "revert"
    IMPORT = "import"


@dataclass(frozen=True, slots=True)
class PersonaState:
    name: str
    voice: str = "neutral"
    traits: tuple[str, ...] = DEFAULT_TRAITS
    interests: tuple[str, ...] = DEFAULT_INTERESTS
    style: str = DEFAULT_STYLE
    values: tuple[str, ...] = DEFAULT_VALUES
    # Free text from an imported card (its description); empty for a persona grown in OS1.
    description: str = ""
    # Fields of an imported card that OS1 does not model, kept so an export gives them back.
    card_extras: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "voice": self.voice,
            "traits": list(self.traits),
            "interests": list(self.interests),
            "style": self.style,
            "values": list(self.values),
            "description": self.description,
            "card_extras": dict(self.card_extras),
        }

    @classmethod
    def from_json(cls, data: Any) -> PersonaState:
        """Parse a stored or imported state; a wrong shape is a ValueError naming the field."""
        if not isinstance(data, dict):
            raise ValueError("persona state is not an object")
        name = _text(data, "name", "")
        if not name:
            raise ValueError("persona state has no name")
        extras = data.get("card_extras", {})
        if not isinstance(extras, dict):
            raise ValueError("persona field 'card_extras' is not an object")
        return cls(
            name=name,
            voice=_text(data, "voice", "neutral"),
            traits=_texts(data, "traits", DEFAULT_TRAITS),
            interests=_texts(data, "interests", DEFAULT_INTERESTS),
            style=_text(data, "style", DEFAULT_STYLE),
            values=_texts(data, "values", DEFAULT_VALUES),
            description=_text(data, "description", ""),
            card_extras=extras,
        )

    def same_as(self, other: PersonaState) -> bool:
        return self.to_json() == other.to_json()


def _text(data: dict[str, Any], key: str, default: str) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise ValueError(f"persona field {key!r} is not text")
    return " ".join(value.split())


def _texts(data: dict[str, Any], key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = data.get(key, list(default))
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"persona field {key!r} is not a list of text")
    return tuple(" ".join(v.split()) for v in value if v.strip())


def seed_state(profile: Profile) -> PersonaState:
    """Version 1: the name the OS chose at the first meeting, the voice the user asked for, defaults."""
    name = profile.identity.name if profile.identity else DEFAULT_NAME
    return PersonaState(name=name, voice=profile.voice.value)


@dataclass(frozen=True, slots=True)
class PersonaVersion:
    user_id: str
    version: int
    state: PersonaState
    reason: str  # why, in the OS's words ("since you told me about the night sky ...")
    source: PersonaSource
    created_at: datetime
    announced: bool = True  # False until the user has been told of a change the OS made on its own


class JournalSource(StrEnum):
    LLM = "llm"
    FALLBACK = "fallback"  # written without the model (it failed): a plain note of what was talked about


@dataclass(frozen=True, slots=True)
class NewJournalEntry:
    learned: str
    wondered: str
    source: JournalSource
    conversation_id: str | None = None
    upto_message_id: str = ""  # the last message this entry reflects on; the next reflection starts after it


@dataclass(frozen=True, slots=True)
class JournalEntry:
    id: str
    user_id: str
    learned: str
    wondered: str
    source: JournalSource
    conversation_id: str | None
    upto_message_id: str
    created_at: datetime

    @property
    def text(self) -> str:
        return " ".join(part for part in (self.learned, self.wondered) if part)
