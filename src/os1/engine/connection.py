"""ConnectionHook: the human-connection nudge in the turn (the rules are in ``os1.care.connection``).

It reads a bounded timeline (the user's own words in memory and the emotion read from their messages,
``LOOKBACK`` days back) only when a sitting opens or the user says they feel lonely, and not at all
while a nudge is still recent. Each nudge is recorded as a care event, without content.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, timedelta

from os1.care.connection import (
    NUDGE_EVERY,
    Day,
    Person,
    isolation_signs,
    nudge_due,
    nudge_note,
    pick_person,
    says_lonely,
    social_mentions,
)
from os1.core.affect import Speaker
from os1.core.memory import MemoryItem, MemoryKind
from os1.core.turns import Reply, Turn
from os1.engine.care import CareKind
from os1.engine.hooks import rarely_a_note
from os1.engine.prompt import SITTING_GAP
from os1.memory.service import Memory

log = logging.getLogger(__name__)

# How far back the timeline reaches, and how much of it is read at most (a very talkative month).
LOOKBACK = timedelta(days=30)
EPISODE_SCAN = 3000
FACT_SCAN = 1000
# A person first mentioned in a message this negative is not the one to suggest (a fight, a loss).
WARM_MIN = -0.3


class ConnectionHook:
    """The turn hook. ``enabled`` False turns nudges off (the setting ``connection_nudges``)."""

    name = "connection"
    preview = staticmethod(rarely_a_note)

    def __init__(self, memory: Memory, enabled: bool = True) -> None:
        self.memory = memory
        self.store = memory.store
        self.enabled = enabled

    async def before_reply(self, turn: Turn) -> str | None:
        events = self.store.care_events
        last_nudge = await events.last(turn.user_id, CareKind.CONNECTION_NUDGE.value)
        # Cheap checks first: most turns end here, before the timeline is read.
        if not self.enabled or (last_nudge is not None and turn.at - last_nudge < NUDGE_EVERY):
            return None
        if not (says_lonely(turn.text) or await self._opens_sitting(turn)):
            return None
        subject = (turn.user_name or "User").lower()
        facts = await self.memory.repo.list_items(turn.user_id, [MemoryKind.FACT], limit=FACT_SCAN)
        facts = [f for f in facts if f.subject == subject]
        people = await self._people(turn, facts)
        days = await self._timeline(turn, facts, [p.name.lower() for p in people])
        assessment = isolation_signs(days, turn.at.date())
        last_crisis = await events.last(turn.user_id, CareKind.CRISIS.value)
        if not nudge_due(assessment, turn.at, last_nudge, last_crisis):
            return None
        await events.record(turn.user_id, CareKind.CONNECTION_NUDGE.value, turn.at)
        log.info("connection nudge user=%s score=%.1f", turn.user_id, assessment.score)
        return nudge_note(assessment, pick_person(people))

    async def after_reply(self, turn: Turn, reply: Reply) -> None:
        return None

    async def _opens_sitting(self, turn: Turn) -> bool:
        before = await self.store.messages.last_exchange_at(turn.user_id, before_id=turn.message_id)
        return before is None or turn.at - before >= SITTING_GAP

    async def _people(self, turn: Turn, facts: list[MemoryItem]) -> list[Person]:
        """The people of the user's relation facts, how often memory mentions them, and whether they were
        first spoken of warmly."""
        counts = await self.memory.entity_counts(turn.user_id)
        people = []
        for fact in facts:
            parts = fact.attribute.split(":")
            if parts[0] != "relation" or len(fact.entities) < 2:
                continue
            name = fact.entities[-1]
            shown = fact.text.rsplit(" ", 1)[-1] if fact.text.lower().endswith(name) else name.title()
            warm = await self._warm(turn.user_id, fact)
            people.append(Person(shown, parts[1], counts.get(name, 0), fact.occurred_at, warm))
        return people

    async def _warm(self, user_id: str, fact: MemoryItem) -> bool:
        """Whether the message that told of this person did not read as distress (unknown counts as warm)."""
        if not fact.source_ids:
            return True
        first = await self.store.affect.reading(user_id, fact.source_ids[0], Speaker.USER)
        return first is None or first.emotion.valence > WARM_MIN

    async def _timeline(self, turn: Turn, facts: list[MemoryItem], names: list[str]) -> list[Day]:
        """One Day per calendar day the user talked in the lookback, this turn included."""
        since = turn.at - LOOKBACK
        speaker = (turn.user_name or "User").lower()
        episodes = await self.memory.repo.list_items(turn.user_id, [MemoryKind.EPISODE], since=since,
                                                     limit=EPISODE_SCAN)
        said: dict[date, list[str]] = defaultdict(list)
        for item in episodes:
            if item.speaker.lower() == speaker:
                said[item.occurred_at.date()].append(item.text)
        said[turn.at.date()].append(turn.text)
        valences: dict[date, list[float]] = defaultdict(list)
        for reading in await self.store.affect.readings(turn.user_id, since, Speaker.USER):
            valences[reading.created_at.date()].append(reading.emotion.valence)
        plans: dict[date, int] = defaultdict(int)
        for fact in facts:
            if fact.attribute.startswith("plan:") and fact.occurred_at >= since and social_mentions(fact.text, names):
                plans[fact.occurred_at.date()] += 1
        return [_day(d, said[d], valences.get(d, []), plans.get(d, 0), names) for d in sorted(said)]


def _day(day: date, texts: list[str], valences: list[float], plans: int, names: list[str]) -> Day:
    people = frozenset().union(*(social_mentions(t, names) for t in texts))
    valence = sum(valences) / len(valences) if valences else None
    return Day(day, True, people, any(says_lonely(t) for t in texts), valence, plans)

