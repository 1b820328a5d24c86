"""Proactive check-ins: the OS says hello first, only if the user asked for it (``checkins``).

No daemon: ``os1 checkin`` is run from cron or a systemd timer and decides here whether a check-in is
due. It never comes in quiet hours, never sooner than ``min_hours`` after the user last spoke or after
the last check-in, and never twice in a row: an unanswered check-in is not followed by another (no
nagging, no streaks). It asks about a plan whose day has passed, or just says hello; no model needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from os1.core.messages import Role
from os1.engine.care import CareKind
from os1.engine.curiosity import mark_asked, pending_follow_ups, question
from os1.storage.base import Store


@dataclass(frozen=True, slots=True)
class CheckinPolicy:
    enabled: bool = False
    quiet_hours: str = "22-8"
    min_hours: int = 24


@dataclass(frozen=True, slots=True)
class CheckinResult:
    message: str | None  # what was said (or would be, with dry_run)
    reason: str = ""  # why not, when nothing was said


def parse_hours(spec: str) -> tuple[int, int]:
    """ "22-8" -> (22, 8). Raises ValueError for anything else."""
    start, _, end = spec.partition("-")
    hours = int(start), int(end)
    if not all(0 <= h <= 23 for h in hours):
        raise ValueError(f"quiet hours {spec!r}: hours run from 0 to 23")
    return hours


def in_quiet_hours(hour: int, spec: str) -> bool:
    """Whether ``hour`` (local) is quiet; "22-8" spans midnight, "0-0" means no quiet hours."""
    start, end = parse_hours(spec)
    if start == end:
        return False
    return start <= hour < end if start < end else hour >= start or hour < end


def checkin_block(now: datetime, last_user_message_at: datetime | None, last_checkin_at: datetime | None,
                  quiet_hours: str, min_hours: int, enabled: bool) -> str | None:
    """Why no check-in now, or None when one is due. ``now`` is local time (quiet hours are local)."""
    if not enabled:
        return "check-ins are off (turn them on with `os1 config set checkins true`)"
    if last_user_message_at is None:
        return "you have not talked yet"
    if in_quiet_hours(now.hour, quiet_hours):
        return f"quiet hours ({quiet_hours})"
    if last_checkin_at is not None and last_checkin_at >= last_user_message_at:
        return "the last check-in has no answer yet; the OS does not ask twice"
    # The last check-in (if any) came before the user's last message, so this gap covers both.
    if now - last_user_message_at < timedelta(hours=min_hours):
        return f"too soon: you talked less than {min_hours} hours ago"
    return None


def checkin_due(now: datetime, last_user_message_at: datetime | None, last_checkin_at: datetime | None,
                quiet_hours: str, min_hours: int, enabled: bool) -> bool:
    return checkin_block(now, last_user_message_at, last_checkin_at, quiet_hours, min_hours, enabled) is None


def checkin_message(user_name: str, asked: str | None) -> str:
    """A short hello; with a follow-up question when there is one. It asks for nothing else."""
    hello = f"Hi {user_name}!" if user_name else "Hi!"
    if asked:
        return f"{hello} I was thinking of you: {asked}"
    return f"{hello} Just saying hello. No need to reply; I'm here whenever you feel like talking."


async def check_in(store: Store, user_id: str, now: datetime, policy: CheckinPolicy,
                   *, dry_run: bool = False) -> CheckinResult:
    """Decide, and unless ``dry_run`` store the check-in as the OS's message in the latest conversation."""
    last_user = await store.messages.last_exchange_at(user_id)
    last_checkin = await store.care_events.last(user_id, CareKind.CHECKIN.value)
    why_not = checkin_block(now, last_user, last_checkin, policy.quiet_hours, policy.min_hours, policy.enabled)
    conversation = await store.conversations.latest(user_id)
    if why_not is None and conversation is None:
        why_not = "there is no conversation yet"
    if why_not is not None or conversation is None:
        return CheckinResult(None, why_not or "")
    profile = await store.profiles.get(user_id)
    subject = (profile.user_name or "User").lower()
    follow_ups = await pending_follow_ups(store, user_id, subject, now)
    text = checkin_message(profile.user_name, question(follow_ups[0]) if follow_ups else None)
    if not dry_run:
        await store.messages.add(user_id, conversation.id, Role.ASSISTANT, text, created_at=now)
        await store.care_events.record(user_id, CareKind.CHECKIN.value, now)
        if follow_ups:
            await mark_asked(store, user_id, follow_ups[0], now)
    return CheckinResult(text)
