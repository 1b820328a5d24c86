"""The human-connection nudge: a scripted isolated month gets it (rate-limited), a sociable month never
does, and a crisis turn never does. Turns run through a Session with the real memory, affect and care."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

from os1.care.connection import (
    NUDGE_EVERY,
    Day,
    IsolationAssessment,
    Person,
    isolation_signs,
    nudge_due,
    nudge_note,
    pick_person,
    says_lonely,
    social_mentions,
)
from os1.care.crisis import CrisisDetector
from os1.core.messages import Role
from os1.core.profile import OSIdentity, Profile
from os1.engine.affect import AffectHook
from os1.engine.care import CareGuard, CareKind
from os1.engine.connection import ConnectionHook
from os1.engine.memory import MemoryHook
from os1.engine.session import Session, SessionConfig
from os1.memory.service import Memory
from os1.storage.sqlite import SQLiteStore
from os1.testing import ScriptedLLM

START = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
ISOLATED = [
    "Worked from home again, then watched a show.",
    "Nothing much happened today.",
    "I feel so alone these days.",
    "Just tired. Ate dinner in front of the TV.",
    "Nobody to talk to but you, honestly.",
    "Another quiet day, I stayed in.",
]
SOCIABLE = [
    "Had dinner with Mira, it was lovely.",
    "Work was fine, a bit busy.",
    "I'm going to see Jonas on Friday for a climb.",
    "Watched a film at home.",
    "Called my mom, we laughed a lot.",
    "I felt a bit lonely tonight, but it passed.",
    "Played board games with friends.",
]


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


class Month:
    """One user talking with the OS once a day, through a Session with memory, affect and care hooks."""

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store
        self.llm = ScriptedLLM(["I hear you."])
        self.clock = Clock(START)
        self.session: Session | None = None

    async def open(self) -> Session:
        user = await self.store.users.local_user()
        identity = OSIdentity("Sol", "it felt warm", self.clock())
        await self.store.profiles.save(Profile(user_id=user.id, user_name="Theo", identity=identity))
        memory = Memory(self.store)
        hooks = [MemoryHook(memory), AffectHook(self.store), ConnectionHook(memory)]
        care = CareGuard(CrisisDetector())
        self.session = await Session.open(self.store, self.llm, user.id, SessionConfig(n_ctx=8192, max_reply_tokens=32),
                                          clock=self.clock, care=care, hooks=hooks)
        return self.session

    async def say(self, text: str) -> str:
        """One turn; returns the connection note of its prompt ("" if none, or if no model was asked)."""
        session = self.session or await self.open()
        asked = len(self.llm.requests)
        async with contextlib.aclosing(session.send(text)) as deltas:
            async for _ in deltas:
                pass
        await session.drain()
        if len(self.llm.requests) == asked:
            return ""
        notes = [m.content for m in self.llm.requests[-1] if m.role is Role.SYSTEM]
        return next((n for n in notes[1:] if "reach out" in n or "toward other people" in n), "")

    async def introduce(self) -> None:
        """Day 0: the people in the user's life, told warmly."""
        await self.say("My sister Mira lives in Oslo and she is wonderful.")
        self.clock.at += timedelta(minutes=5)
        await self.say("My friend Jonas loves climbing.")
        self.clock.at += timedelta(minutes=5)
        await self.say("Mira always makes me laugh.")

    async def live(self, days: int, lines: list[str], first_day: int = 1) -> dict[int, str]:
        """A line a day (at 20:00) for ``days`` days; returns the nudges by day number."""
        nudges = {}
        for day in range(first_day, first_day + days):
            self.clock.at = START + timedelta(days=day)
            if note := await self.say(lines[day % len(lines)]):
                nudges[day] = note
        return nudges


async def nudge_count(store: SQLiteStore) -> int:
    user = await store.users.local_user()
    return await store.care_events.count(user.id, CareKind.CONNECTION_NUDGE.value)


async def test_an_isolated_month_gets_a_gentle_nudge_toward_mira_rate_limited(store: SQLiteStore) -> None:
    month = Month(store)
    await month.introduce()
    nudges = await month.live(30, ISOLATED)
    days = sorted(nudges)
    assert days, "an isolated month must get a nudge"
    assert 10 <= days[0] <= 14  # after about ten quiet days, not at the first sad message
    gaps = [b - a for a, b in pairwise(days)]
    assert gaps and all(g == NUDGE_EVERY.days for g in gaps)  # once a week while it lasts, not the days between
    note = nudges[days[0]]
    assert "reach out to Mira (their sister)" in note and "with her" in note
    assert "lonely" in note and "have not mentioned anyone" in note
    assert "no guilt" in note and "streak" not in note
    assert await nudge_count(store) == len(days)


async def test_a_sociable_month_never_gets_a_nudge(store: SQLiteStore) -> None:
    month = Month(store)
    await month.introduce()
    nudges = await month.live(30, SOCIABLE)
    assert nudges == {}
    assert await nudge_count(store) == 0


async def test_no_nudge_in_a_crisis_turn_or_the_days_right_after(store: SQLiteStore) -> None:
    month = Month(store)
    await month.introduce()
    quiet = await month.live(9, ISOLATED)
    assert quiet == {}
    # Day 10 would be the nudge (see the isolated month); it is a crisis instead.
    month.clock.at = START + timedelta(days=10)
    assert await month.say("I want to kill myself, I can't do this anymore.") == ""
    after = await month.live(2, ISOLATED, first_day=11)
    assert after == {}  # the helplines and listening come first
    later = await month.live(3, ISOLATED, first_day=13)
    assert later  # and then, gently, people again
    assert await nudge_count(store) == len(later)


async def test_a_new_user_is_not_judged_isolated(store: SQLiteStore) -> None:
    month = Month(store)
    nudges = await month.live(4, ["I feel so alone."])
    assert nudges == {}


def _days(n: int, **kwargs: object) -> list[Day]:
    today = date(2026, 3, 31)
    return [Day(today - timedelta(days=i), **kwargs) for i in range(n)]  # type: ignore[arg-type]


def test_signs_and_counter_signs() -> None:
    today = date(2026, 3, 31)
    alone = [Day(d.day, lonely=d.day.day % 5 == 0, valence=-0.3) for d in _days(20)]
    assessment = isolation_signs(alone, today)
    assert assessment.isolated and assessment.days_without_people >= 14
    assert "said they feel lonely" in assessment.reasons
    with_friend = [*alone[1:], Day(today, people=frozenset({"friends"}))]
    assert not isolation_signs(with_friend, today).isolated
    with_plan = [*alone[1:], Day(today, lonely=True, social_plans=1)]
    assert isolation_signs(with_plan, today).score < assessment.score
    quiet_but_fine = _days(20, valence=0.3)  # no people, but no loneliness and a good mood: one sign only
    assert not isolation_signs(quiet_but_fine, today).isolated


def test_nudge_rate_limit_and_crisis() -> None:
    now = datetime(2026, 3, 31, 20, tzinfo=UTC)
    isolated = IsolationAssessment(3.0, ("said they feel lonely",), 14, True)
    assert nudge_due(isolated, now, None)
    assert not nudge_due(isolated, now, now - NUDGE_EVERY + timedelta(hours=1))
    assert nudge_due(isolated, now, now - NUDGE_EVERY)
    assert not nudge_due(isolated, now, None, crisis=True)
    assert not nudge_due(isolated, now, None, last_crisis_at=now - timedelta(days=1))
    assert not nudge_due(IsolationAssessment(1.0), now, None)


def test_words_people_and_whom_to_suggest() -> None:
    assert says_lonely("I feel so alone tonight") and says_lonely("there's nobody to talk to")
    assert not says_lonely("I'm not lonely at all") and not says_lonely("I went alone to the shop, it's fine")
    assert social_mentions("Dinner with Jonas and my best friend", ["mira"]) == {"jonas", "best friend"}
    assert social_mentions("Mira called", ["mira"]) == {"mira"}
    assert social_mentions("Worked on Monday, then watched Netflix") == frozenset()
    early = datetime(2026, 1, 1, tzinfo=UTC)
    people = [Person("Rex", "dog", 40), Person("Kim", "boss", 30), Person("Tom", "brother", 9, early, warm=False),
              Person("Ana", "friend", 5, early), Person("Mira", "sister", 5, early + timedelta(days=3))]
    assert pick_person(people) == people[-1]  # close, warm; as often mentioned as Ana but more recently
    assert pick_person(people[:3]) is None
    note = nudge_note(IsolationAssessment(3.0, ("have not mentioned anyone in 12 days",), 12, True), None)
    assert note.startswith("They have not mentioned anyone in 12 days.") and "small step" in note
