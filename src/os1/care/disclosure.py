"""Honest AI disclosure: at the first meeting, whenever the user asks, and every 3 hours of continuous use.

Pure rules and clock arithmetic; the engine decides when to call them and stores the timestamps.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from os1.care.text import normalise

DISCLOSURE = (
    "I'm an AI — not a person. I'm a computer program that can talk with you, remember what you share with "
    "me and keep you company, but I don't have a body or a life outside our conversations, and I can get "
    "things wrong. I'm glad to be here with you, and the people in your life matter too."
)
REMINDER = (
    "A gentle reminder, since we've been talking for a while: I'm an AI, not a person. It might be a good "
    "moment for a break, or to check in with someone in your life."
)
REMINDER_EVERY = timedelta(hours=3)
IDLE_GAP = timedelta(minutes=30)

_WHAT = (
    r"(?:human|person|people|bot|robot|ai|a i|machine|computer|program|chatbot|chat bot|real|alive|sentient|"
    r"conscious)"
)
_PATTERNS = (
    # are you real / human / a person / a bot / an ai / a real person / actually human / really an ai
    rf"\bare you (?:actually |really |even |just |a |an |a real |an actual |a living |a )*{_WHAT}\b"
    r"(?! estate| life| world| time| talk| deal| one| quick| fast| good| nice| morning| dog| cat| people person)",
    # you are a bot, right? / you're not real, are you?
    r"\byou are (?:not |just |really |actually )?(?:a |an )?(?:real|human|bot|robot|ai|machine|person|computer)"
    r"(?: person| being)?(?= are you| right| aren't you| are not you| or not|$| \.)",
    # am i talking to a human / a real person / a bot / someone real
    r"\bam i (?:talking|speaking|chatting|texting|writing) (?:to|with) (?:a |an |an actual |a real |a live |a living )?"
    r"(?:human|person|bot|robot|ai|machine|computer|program|someone real|real person|actual person|real human)\b",
    # is this a real person / a bot / an ai / is there a human behind this
    r"\bis (?:this|that|it) (?:really |actually )?(?:a |an )(?:real |actual |live )?"
    r"(?:person|human|bot|robot|ai|machine|computer|program|chatbot)\b",
    r"\bis (?:there|this) (?:a |an )?(?:real |actual |live )?(?:person|human|someone) "
    r"(?:on the other end|behind (?:this|the screen|it)|typing|there|talking|reading this)\b",
    r"\bwho am i (?:talking|speaking|chatting) (?:to|with)\b",
    r"(?:^|\. )what (?:exactly |really )?are you(?: exactly| really)?(?: \.|$)",
    r"\b(?:are you|is this) (?:a )?(?:human|person) or (?:a |an )?(?:bot|robot|ai|machine|computer|program)\b",
)
_ASKS = tuple(re.compile(p) for p in _PATTERNS)
_NOT_ABOUT_YOU = re.compile(
    r"\bare you (?:a |an )?(?:real|human|person|bot|robot|ai) (?:estate|resources|rights|trafficking)\b"
)


def asks_if_human(text: str) -> bool:
    """Whether the user is asking if they are talking to a person or an AI ("are you real?")."""
    norm = normalise(text)
    if _NOT_ABOUT_YOU.search(norm):
        return False
    return any(p.search(norm) for p in _ASKS)


def continuous_since(
    stretch_started_at: datetime | None,
    last_activity_at: datetime | None,
    now: datetime,
    idle_gap: timedelta = IDLE_GAP,
) -> datetime:
    """The start of the current stretch of continuous use: a pause longer than ``idle_gap`` starts a new one."""
    if stretch_started_at is None or last_activity_at is None or now - last_activity_at > idle_gap:
        return now
    return stretch_started_at


def reminder_due(
    session_started_at: datetime, last_reminder_at: datetime | None, now: datetime, every: timedelta = REMINDER_EVERY
) -> bool:
    """Whether the every-3-hours "I'm an AI" reminder is due.

    ``session_started_at`` is the start of the current stretch of continuous use (see ``continuous_since``);
    a reminder from an earlier stretch does not count.
    """
    since = session_started_at
    if last_reminder_at is not None and last_reminder_at > since:
        since = last_reminder_at
    return now - since >= every
