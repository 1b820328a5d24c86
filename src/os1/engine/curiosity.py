"""Curiosity: the OS follows up on what the user told it before ("how did the interview go?").

Plans are facts memory learned ("Theo has job interview at the aquarium tomorrow (on 9 May 2023)").
When a sitting opens after the plan's day has passed, the FollowUpHook asks the model to ask how it
went, once. Which plans were asked about is kept as a care event per statement of the plan
(``follow_up:<message id>``): an id, never content, and no table of its own. ``os1 checkin`` asks the
same questions when the user has not come by (``engine/checkin.py``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from os1.core.affect import Emotion
from os1.core.memory import MemoryItem, MemoryKind
from os1.core.turns import Reply, Turn
from os1.engine.hooks import rarely_a_note
from os1.engine.prompt import SITTING_GAP
from os1.memory.timeref import TimeSpan, resolve
from os1.persona.emotion import read_emotion
from os1.storage.base import Store

log = logging.getLogger(__name__)

FOLLOW_UP = "follow_up"  # care-event kind prefix: follow_up:<id of the message that stated the plan>
# Plans stated this long ago at most are considered (a bounded read of recent facts).
PLANS_WITHIN = timedelta(days=60)
FACT_SCAN = 500
# A plan whose day is longer past than this is not asked about any more: it would feel like an audit.
ASK_WITHIN = timedelta(days=10)
# A plan longer than this ("next month") is too vague to ask after on a given day.
LONGEST_PLAN_DAYS = 7
# No follow-up when the sitting opens with something hard ("my dog died"): it waits for another day.
UPSET_VALENCE = -0.3
_VERB = re.compile(r"\b(has|got|plans to) (.+)$")
_WHEN = re.compile(r"\s*\((?:on|in|between) [^)]*\)\s*$")


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A plan whose day has passed, with the words it was stated in."""

    fact: MemoryItem
    source_id: str  # the message that stated it (the newest, when it was said more than once)
    said: str
    said_at: datetime
    start: date  # the plan's day (or first day)
    end: date  # the day after it

    @property
    def event_kind(self) -> str:
        return f"{FOLLOW_UP}:{self.source_id}"

    @property
    def when(self) -> str:
        day = f"{self.start.day} {self.start:%B}"
        return f"on {day}" if (self.end - self.start).days == 1 else f"in the days from {day}"


def plan_span(said: str, said_at: datetime) -> TimeSpan | None:
    """When a plan stated in ``said`` happens: its nearest time phrase on or after the day it was said.
    "on Friday" is resolved toward the past in general talk; in a plan it means the coming one."""
    today = said_at.date()
    found = []
    for span in resolve(said, said_at):
        if span.start < today and span.phrase.startswith("on ") and span.days == 1:
            span = TimeSpan(span.phrase, span.start + timedelta(days=7), span.end + timedelta(days=7))
        if span.start >= today and span.days <= LONGEST_PLAN_DAYS:
            found.append(span)
    return min(found, key=lambda s: s.start, default=None)


def due(follow_up: FollowUp, today: date) -> bool:
    """The plan's day is over, and not so long ago that asking would be odd."""
    return follow_up.end <= today and today - follow_up.end < ASK_WITHIN


def what_of(fact_text: str, said_at: datetime) -> tuple[str, str]:
    """(verb, what) of a plan fact: ("has", "job interview at the aquarium"), ("plans to", "visit your mom")."""
    text = _WHEN.sub("", fact_text)
    m = _VERB.search(text)
    if m is None:
        return "", text
    what = m.group(2)
    for span in resolve(what, said_at):
        what = re.sub(rf"\s*\b{re.escape(span.phrase)}\b", "", what, flags=re.IGNORECASE)
    what = re.sub(r"\bmy\b", "your", what.strip(), flags=re.IGNORECASE)
    return m.group(1), what


def question(follow_up: FollowUp) -> str:
    """The follow-up in the OS's own words, for a check-in that has no model to phrase it."""
    verb, what = what_of(follow_up.fact.text, follow_up.said_at)
    if verb == "plans to":
        return f"did you get to {what}?"
    return f"how did your {what} go?" if what else "how did it go?"


def follow_up_note(follow_up: FollowUp) -> str:
    said = follow_up.said if len(follow_up.said) <= 200 else follow_up.said[:197] + "..."
    return (f"Follow up on something they told you: on {follow_up.said_at.day} {follow_up.said_at:%B} they said "
            f"\"{said}\" (that was {follow_up.when}). Warmly ask how it went, briefly and only once; if they "
            "already told you or are busy with something else, let it go.")


async def pending_follow_ups(store: Store, user_id: str, subject: str, now: datetime) -> list[FollowUp]:
    """Plans of ``subject`` whose day has passed and that were not asked about yet, most recent first."""
    facts = await store.memory.list_items(user_id, [MemoryKind.FACT], since=now - PLANS_WITHIN, limit=FACT_SCAN)
    found = []
    for fact in facts:
        if not fact.attribute.startswith("plan:") or fact.subject != subject:
            continue
        follow_up = await _follow_up(store, user_id, fact)
        if follow_up is None or not due(follow_up, now.date()):
            continue
        if await store.care_events.last(user_id, follow_up.event_kind) is None:
            found.append(follow_up)
    return sorted(found, key=lambda f: f.start, reverse=True)


async def _follow_up(store: Store, user_id: str, fact: MemoryItem) -> FollowUp | None:
    """The plan's day, from the newest utterance that stated it (a plan said again for another day
    merges into the same fact), or from the fact itself if that message is gone."""
    source_id = fact.source_ids[-1] if fact.source_ids else fact.id
    message = await store.messages.get(user_id, source_id)
    said, said_at = (message.content, message.created_at) if message else (fact.text, fact.occurred_at)
    span = plan_span(said, said_at)
    if span is None:
        return None
    return FollowUp(fact, source_id, said, said_at, span.start, span.end)


async def mark_asked(store: Store, user_id: str, follow_up: FollowUp, at: datetime) -> None:
    await store.care_events.record(user_id, follow_up.event_kind, at)


class FollowUpHook:
    """The turn hook: on the first message of a sitting, at most one follow-up."""

    name = "follow_up"
    preview = staticmethod(rarely_a_note)

    def __init__(self, store: Store, read: Callable[[str], Emotion] = read_emotion) -> None:
        self.store = store
        self.read = read

    async def before_reply(self, turn: Turn) -> str | None:
        before = await self.store.messages.last_exchange_at(turn.user_id, before_id=turn.message_id)
        if before is not None and turn.at - before < SITTING_GAP:
            return None  # mid-conversation: a follow-up would interrupt
        if self.read(turn.text).valence <= UPSET_VALENCE:
            return None
        subject = (turn.user_name or "User").lower()
        pending = await pending_follow_ups(self.store, turn.user_id, subject, turn.at)
        if not pending:
            return None
        await mark_asked(self.store, turn.user_id, pending[0], turn.at)
        log.info("follow-up user=%s fact=%s", turn.user_id, pending[0].fact.id)
        return follow_up_note(pending[0])

    async def after_reply(self, turn: Turn, reply: Reply) -> None:
        return None
