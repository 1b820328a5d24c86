"""Curiosity and initiative: follow-ups on plans (once, after their day), and opt-in check-ins that
respect quiet hours and a minimum gap (the pure decision and `os1 checkin`)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from os1.cli.main import app
from os1.core.messages import Role
from os1.core.profile import OSIdentity, Profile
from os1.engine.checkin import checkin_block, checkin_due, in_quiet_hours
from os1.engine.curiosity import FollowUpHook, plan_span, what_of
from os1.engine.memory import MemoryHook
from os1.engine.session import Session, SessionConfig
from os1.memory.episodes import Utterance
from os1.memory.facts import extract
from os1.memory.service import Memory
from os1.storage.sqlite import SQLiteStore, open_store
from os1.testing import ScriptedLLM

runner = CliRunner()


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


class Talk:
    def __init__(self, store: SQLiteStore, at: datetime) -> None:
        self.store = store
        self.llm = ScriptedLLM(["Oh, tell me more."])
        self.clock = Clock(at)
        self.session: Session | None = None

    async def say(self, text: str) -> str:
        """One turn; returns the follow-up note of its prompt, or ""."""
        if self.session is None:
            user = await self.store.users.local_user()
            identity = OSIdentity("Sol", "it felt warm", self.clock())
            await self.store.profiles.save(Profile(user_id=user.id, user_name="Theo", identity=identity))
            hooks = [MemoryHook(Memory(self.store)), FollowUpHook(self.store)]
            self.session = await Session.open(self.store, self.llm, user.id, SessionConfig(n_ctx=4096),
                                              clock=self.clock, hooks=hooks)
        async with contextlib.aclosing(self.session.send(text)) as deltas:
            async for _ in deltas:
                pass
        await self.session.drain()
        notes = [m.content for m in self.llm.requests[-1] if m.role is Role.SYSTEM]
        return next((n for n in notes if "Follow up" in n), "")

    async def at(self, when: datetime, text: str) -> str:
        self.clock.at = when
        return await self.say(text)


def may(day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2023, 5, day, hour, minute, tzinfo=UTC)


async def test_a_plan_is_followed_up_once_after_its_day(store: SQLiteStore) -> None:
    talk = Talk(store, may(8, 19))
    assert await talk.say("I have a job interview at the aquarium tomorrow.") == ""
    assert await talk.at(may(9, 20), "Hi! Long day.") == ""  # the day itself: not over yet
    note = await talk.at(may(10), "Good morning")
    assert "job interview at the aquarium tomorrow" in note and "on 9 May" in note and "on 8 May" in note
    assert "ask how it went" in note
    assert await talk.at(may(10, 9, 5), "Anyway, what's new?") == ""  # mid-sitting: never
    assert await talk.at(may(11), "Hello again") == ""  # asked once, never again


async def test_an_upset_opener_defers_the_follow_up_and_old_plans_are_left_alone(store: SQLiteStore) -> None:
    talk = Talk(store, may(1, 19))
    await talk.say("I have a dentist appointment tomorrow.")
    await talk.at(may(1, 19, 5), "Also I'm going to visit my mom on Friday.")  # Friday 5 May
    assert await talk.at(may(6, 8), "My dog died this morning. I am devastated and heartbroken.") == ""
    note = await talk.at(may(7, 8), "Hi")
    assert "visit my mom on Friday" in note and "on 5 May" in note  # the most recent passed plan first
    assert "dentist" in await talk.at(may(8, 8), "Morning!")  # then the other, another day
    await talk.at(may(8, 8, 5), "I have a concert tomorrow.")
    assert await talk.at(may(25), "Hi there") == ""  # sixteen days later it would feel like an audit


def test_plan_days_and_what_to_ask() -> None:
    said = datetime(2023, 5, 8, 10, tzinfo=UTC)  # a Monday
    span = plan_span("I'm going to see Jonas on Friday.", said)
    assert span is not None and span.start.isoformat() == "2023-05-12"  # the coming Friday, not the last
    assert plan_span("I'm going to run a marathon", said) is None
    assert plan_span("Yesterday was rough but I have a date tonight", said).start.isoformat() == "2023-05-08"  # type: ignore[union-attr]
    fact = extract("I have a job interview at the aquarium tomorrow.", "Theo", said)[0]
    assert what_of(fact.text, said) == ("has", "job interview at the aquarium")
    fact = extract("I'm going to visit my mom next week.", "Theo", said)[0]
    assert what_of(fact.text, said) == ("plans to", "visit your mom")


def test_checkins_are_opt_in_quiet_at_night_and_never_too_soon() -> None:
    noon = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    two_days = noon - timedelta(days=2)
    assert checkin_due(noon, two_days, None, "22-8", 24, enabled=True)
    assert "off" in (checkin_block(noon, two_days, None, "22-8", 24, enabled=False) or "")
    assert not checkin_due(noon, None, None, "22-8", 24, True)  # never talked: no one to check in with
    assert not checkin_due(noon, noon - timedelta(hours=23), None, "22-8", 24, True)
    assert checkin_due(noon, noon - timedelta(hours=30), None, "22-8", 48, True) is False
    # An unanswered check-in is never followed by another.
    assert "no answer" in (checkin_block(noon, two_days, two_days + timedelta(days=1), "22-8", 24, True) or "")
    assert checkin_due(noon, two_days, two_days - timedelta(days=1), "22-8", 24, True)  # answered: fine
    for hour, quiet in ((21, False), (22, True), (23, True), (0, True), (3, True), (7, True), (8, False)):
        assert in_quiet_hours(hour, "22-8") is quiet, hour  # over midnight
        assert checkin_due(noon.replace(hour=hour), two_days, None, "22-8", 24, True) is not quiet
    assert in_quiet_hours(10, "9-17") and not in_quiet_hours(17, "9-17") and not in_quiet_hours(3, "9-17")
    assert not any(in_quiet_hours(h, "0-0") for h in range(24))


async def _plan_three_days_ago(home: Path) -> str:
    store = open_store(home / "os1.db")
    try:
        user = await store.users.local_user()
        await store.profiles.save(Profile(user_id=user.id, user_name="Theo"))
        conversation = await store.conversations.create(user.id)
        said_at = datetime.now(UTC) - timedelta(days=3)
        text = "I have a job interview at the aquarium tomorrow."
        message = await store.messages.add(user.id, conversation.id, Role.USER, text, created_at=said_at)
        await Memory(store).remember(user.id, [Utterance(text, "Theo", said_at, message.id, conversation.id)])
        return user.id
    finally:
        await store.close()


async def _assistant_messages(home: Path, user_id: str) -> list[str]:
    store = open_store(home / "os1.db")
    try:
        return [m.content for m in await store.messages.history(user_id) if m.role is Role.ASSISTANT]
    finally:
        await store.close()


def test_os1_checkin_asks_about_the_plan_once_and_only_when_on(os1_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user_id = asyncio.run(_plan_three_days_ago(os1_home))
    off = runner.invoke(app, ["checkin"])
    assert off.exit_code == 0 and "check-ins are off" in off.output
    monkeypatch.setenv("OS1_CHECKINS", "true")
    monkeypatch.setenv("OS1_QUIET_HOURS", "0-0")  # the test runs at any hour
    dry = runner.invoke(app, ["checkin", "--dry-run"])
    assert "would say: Hi Theo!" in dry.output and "how did your job interview at the aquarium go?" in dry.output
    assert asyncio.run(_assistant_messages(os1_home, user_id)) == []
    sent = runner.invoke(app, ["checkin"])
    assert sent.exit_code == 0 and "how did your job interview at the aquarium go?" in sent.output
    assert asyncio.run(_assistant_messages(os1_home, user_id)) == [sent.output.strip()]
    again = runner.invoke(app, ["checkin"])
    assert "no check-in" in again.output and "no answer" in again.output
