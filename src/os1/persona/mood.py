"""The OS's own mood: pure functions over ``Mood`` (valence in [-1, 1], arousal in [0, 1]).

It moves toward what the user feels (empathy) and toward events (a crisis worries it; the user coming
back after a while gladdens it), and without news it drifts back to a resting mood exponentially.
Deterministic and clock-free: every function is told the time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from os1.core.affect import Emotion, Mood

# At rest the OS is mildly warm and calm.
RESTING_VALENCE = 0.2
RESTING_AROUSAL = 0.3
# Half of any mood is gone after this long: it lasts through an evening's talk, and by the next day
# (six half-lives) less than 2% of it is left.
HALF_LIFE = timedelta(hours=4)
# How far one message moves the mood toward the user's feeling: halfway at full strength (|valence| = 1).
EMPATHY = 0.5
# Its own words move it a little too: what it has said, it feels a bit more.
SELF_WEIGHT = 0.1
# The user talking again after this long is a reunion.
REUNION_AFTER = timedelta(days=1)


class MoodEvent(StrEnum):
    CRISIS = "crisis"
    REUNION = "reunion"


# Each event pulls the mood toward (valence, arousal) by a fraction of the distance.
EVENT_PULL: dict[MoodEvent, tuple[float, float, float]] = {
    MoodEvent.CRISIS: (-0.5, 0.8, 0.6),  # worried and alert
    MoodEvent.REUNION: (0.6, 0.55, 0.4),  # glad to hear from them
}


def resting(at: datetime) -> Mood:
    return Mood(RESTING_VALENCE, RESTING_AROUSAL, at)


def decay(mood: Mood, now: datetime, half_life: timedelta = HALF_LIFE) -> Mood:
    """The mood at ``now``, drifted back toward rest since ``mood.at``."""
    elapsed = (now - mood.at).total_seconds()
    if elapsed <= 0:
        return mood
    keep = 0.5 ** (elapsed / half_life.total_seconds())
    return Mood(
        RESTING_VALENCE + (mood.valence - RESTING_VALENCE) * keep,
        RESTING_AROUSAL + (mood.arousal - RESTING_AROUSAL) * keep,
        now,
    )


def mood_at(stored: Mood | None, now: datetime) -> Mood:
    """The current mood from the last stored one (resting when there is none)."""
    return resting(now) if stored is None else decay(stored, now)


def attune(mood: Mood, emotion: Emotion, weight: float = EMPATHY) -> Mood:
    """Move toward a felt emotion, the more the stronger it is; a flat text leaves the mood as it is."""
    step = weight * min(1.0, abs(emotion.valence))
    return _toward(mood, emotion.valence, emotion.arousal, step)


def react(mood: Mood, event: MoodEvent) -> Mood:
    valence, arousal, step = EVENT_PULL[event]
    return _toward(mood, valence, arousal, step)


def _toward(mood: Mood, valence: float, arousal: float, step: float) -> Mood:
    return Mood(
        _clamp(mood.valence + (valence - mood.valence) * step, -1.0, 1.0),
        _clamp(mood.arousal + (arousal - mood.arousal) * step, 0.0, 1.0),
        mood.at,
    )


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def feeling(mood: Mood) -> str:
    """One word for the mood, for the prompt."""
    stirred = mood.arousal >= 0.55
    if mood.valence >= 0.35:
        return "cheerful" if stirred else "warm"
    if mood.valence <= -0.15:
        return "worried" if stirred else "subdued"
    return "alert" if mood.arousal >= 0.6 else "calm"


def curve(moods: Sequence[Mood], until: datetime, steps: int = 12) -> list[Mood]:
    """The mood at every moment, for a chart: each stored mood, then its decay until the next one."""
    points: list[Mood] = []
    ends = [m.at for m in moods[1:]] + [until]
    for mood, end in zip(moods, ends, strict=True):
        points.append(mood)
        gap = end - mood.at
        if gap.total_seconds() > 0:
            points.extend(decay(mood, mood.at + gap * (i / steps)) for i in range(1, steps + 1))
    return points
