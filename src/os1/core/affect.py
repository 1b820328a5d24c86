"""Feelings as data: what a text expresses (Emotion), what was read when (AffectReading), the OS's own Mood."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

# NRC's eight basic emotions (Plutchik), split by the valence they usually carry.
POSITIVE_EMOTIONS = ("joy", "trust", "anticipation", "surprise")
NEGATIVE_EMOTIONS = ("sadness", "anger", "fear", "disgust")
EMOTIONS = POSITIVE_EMOTIONS + NEGATIVE_EMOTIONS


class Speaker(StrEnum):
    USER = "user"
    OS = "os"


@dataclass(frozen=True, slots=True)
class Emotion:
    """What one text expresses.

    ``valence`` runs from -1 (very negative) to 1 (very positive); ``arousal`` from 0 (quiet: calm, sad)
    to 1 (stirred: angry, afraid, excited); ``emotions`` maps each NRC emotion found to its share of the
    emotion words, largest first (empty when the text names no feeling).
    """

    valence: float = 0.0
    arousal: float = 0.3
    emotions: Mapping[str, float] = field(default_factory=dict)

    @property
    def top(self) -> str | None:
        return next(iter(self.emotions), None)


@dataclass(frozen=True, slots=True)
class AffectReading:
    """The emotion read from one stored message, by whom it was said."""

    id: str
    user_id: str
    message_id: str
    speaker: Speaker
    emotion: Emotion
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Mood:
    """The OS's own mood toward one user at a moment: valence in [-1, 1], arousal in [0, 1]."""

    valence: float
    arousal: float
    at: datetime
