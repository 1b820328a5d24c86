"""The care check of every turn (DESIGN.md: input -> care check -> store -> ...).

A crisis gets a fixed, caring reply with the resources for the user's locale, never the LLM's words; a
question whether the OS is human gets an honest answer; after three hours of continuous use the reply
ends with a reminder that the OS is an AI. Each is counted per user, without content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from os1.care.crisis import CrisisDetector
from os1.care.disclosure import DISCLOSURE, REMINDER, continuous_since, reminder_due
from os1.care.disclosure import asks_if_human as _asks_if_human
from os1.care.resources import crisis_reply


class CareKind(StrEnum):
    CRISIS = "crisis"
    DISCLOSURE = "disclosure"
    AI_REMINDER = "ai_reminder"
    BREAK_REMINDER = "break_reminder"
    CONNECTION_NUDGE = "connection_nudge"
    CHECKIN = "checkin"


@dataclass(frozen=True, slots=True)
class CareReply:
    kind: CareKind
    text: str


class CareGuard:
    """Decides, before the LLM is asked, whether a turn needs a fixed caring or honest reply."""

    def __init__(self, detector: CrisisDetector, locale: str = "en_US") -> None:
        self.detector = detector
        self.locale = locale

    def fixed_reply(self, text: str, user_name: str = "") -> CareReply | None:
        crisis = self.detector.assess(text)
        if crisis.is_crisis:
            reply = crisis_reply(self.locale, user_name, about_someone_else=crisis.about_someone_else)
            return CareReply(CareKind.CRISIS, reply)
        if _asks_if_human(text):
            return CareReply(CareKind.DISCLOSURE, DISCLOSURE)
        return None


class ContinuousUse:
    """Tracks one stretch of continuous use (a pause of 30 minutes ends it) for the 3-hour reminder."""

    def __init__(self) -> None:
        self.started_at: datetime | None = None
        self.last_activity: datetime | None = None

    def touch(self, now: datetime) -> None:
        self.started_at = continuous_since(self.started_at, self.last_activity, now)
        self.last_activity = now

    def reminder(self, now: datetime, last_reminder: datetime | None) -> str | None:
        if self.started_at is not None and reminder_due(self.started_at, last_reminder, now):
            return REMINDER
        return None
