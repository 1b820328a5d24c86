"""Time as the OS tells it: the current local time and how long since you last talked."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def describe_gap(seconds: float) -> str:
    """A human phrase for an elapsed time: 'a few minutes', '3 hours', '2 days'."""
    minutes = seconds / 60
    if minutes < 2:
        return "a moment"
    if minutes < 15:
        return "a few minutes"
    if minutes < 60:
        return f"{round(minutes)} minutes"
    hours = minutes / 60
    if hours < 1.5:
        return "an hour"
    if hours < 36:
        return f"{round(hours)} hours"
    days = hours / 24
    if days < 14:
        return f"{round(days)} days"
    if days < 60:
        return f"{round(days / 7)} weeks"
    if days < 730:
        return f"{round(days / 30)} months"
    return f"{round(days / 365)} years"


def time_note(now: datetime, last_talked: datetime | None) -> str:
    """One line for the prompt: the local date and time, and the gap since the user last spoke."""
    local = now.astimezone()
    when = local.strftime("%A, %d %B %Y, %H:%M").replace(" 0", " ", 1)
    if last_talked is None:
        gap = "This is the first time you two are talking."
    else:
        gap = f"You last talked {describe_gap((now - last_talked).total_seconds())} ago."
    return f"Now: {when}. {gap}"
