"""Break reminders: after long continuous use the OS suggests a pause, at most once per sitting.

A turn hook: its note asks the model to end the reply with a gentle suggestion, in its own voice. A
sitting is a stretch of use without a 30-minute pause (``ContinuousUse``, shared with the 3-hour "I'm an
AI" reminder); each reminder is recorded in care_events without content. Never guilt, never streaks.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from os1.core.turns import Reply, Turn
from os1.engine.care import CareKind, ContinuousUse
from os1.engine.hooks import rarely_a_note
from os1.storage.base import Store

BREAK_NOTE = (
    "You two have been talking for over {minutes} minutes without a pause. At the end of your reply, kindly "
    "suggest a short break (a stretch, some water, a look outside); no guilt, no pressure."
)


def break_due(sitting_started_at: datetime, last_reminder_at: datetime | None, now: datetime,
              after: timedelta) -> bool:
    """Whether to suggest a break: the sitting is long enough and has not had its reminder yet."""
    reminded_this_sitting = last_reminder_at is not None and last_reminder_at >= sitting_started_at
    return not reminded_this_sitting and now - sitting_started_at >= after


class BreakReminder:
    """The turn hook. ``after`` of zero turns reminders off."""

    name = "break_reminder"
    preview = staticmethod(rarely_a_note)

    def __init__(self, store: Store, after: timedelta) -> None:
        self.store = store
        self.after = after
        self._use: dict[str, ContinuousUse] = {}  # per user: one Companion may serve several sessions

    async def before_reply(self, turn: Turn) -> str | None:
        use = self._use.setdefault(turn.user_id, ContinuousUse())
        use.touch(turn.at)
        if self.after <= timedelta(0) or use.started_at is None:
            return None
        kind = CareKind.BREAK_REMINDER.value
        if not break_due(use.started_at, await self.store.care_events.last(turn.user_id, kind), turn.at, self.after):
            return None
        await self.store.care_events.record(turn.user_id, kind, turn.at)
        return BREAK_NOTE.format(minutes=int(self.after.total_seconds() // 60))

    async def after_reply(self, turn: Turn, reply: Reply) -> None:
        return None
