"""The journal: written after a sitting, when to reflect, asking to read it, and sharing it in the prompt."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from os1.core.errors import BackendError
from os1.core.messages import ChatMessage, Role, StoredMessage
from os1.core.persona import JournalEntry, JournalSource, NewJournalEntry
from os1.core.profile import OSIdentity
from os1.engine.persona import PersonaHook
from os1.engine.session import Session, SessionConfig
from os1.llm.base import GenerationOptions
from os1.persona.journal import ThinkingPause, entry_from, fallback_entry, sharing_note, wants_journal
from os1.persona.reflection import ReflectionPolicy, reflection_window
from os1.storage.sqlite import SQLiteStore
from os1.testing import ScriptedLLM

ENTRY = {
    "learned": "Theo found Orion last night, lying in the grass.",
    "wondered": "I wonder what the sky looks like from where Theo grew up.",
    "change": "none",
    "value": "",
    "reason": "",
}
T0 = datetime(2026, 5, 1, 20, 0, tzinfo=UTC)


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


class DeadJSON(ScriptedLLM):
    async def complete_json(self, messages: Sequence[ChatMessage], schema: dict[str, Any],
                            options: GenerationOptions) -> dict[str, Any]:
        raise BackendError("the server went away", "restart it")


async def open_met_session(store: SQLiteStore, llm: ScriptedLLM, clock: Clock, **hook: Any) -> Session:
    user = await store.users.local_user()
    identity = OSIdentity("Sam", "I chose it because it sounds warm", datetime.now(UTC) - timedelta(days=1))
    await store.profiles.save(replace(await store.profiles.get(user.id), user_name="Theo", identity=identity))
    return await Session.open(store, llm, user.id, SessionConfig(n_ctx=2048, max_reply_tokens=64), clock=clock,
                              hooks=[PersonaHook(store, llm, **hook)])


async def say(session: Session, text: str) -> None:
    async with contextlib.aclosing(session.send(text)) as deltas:
        async for _ in deltas:
            pass
    await session.drain()


def msg(n: int, role: Role, at: datetime, text: str = "something") -> StoredMessage:
    return StoredMessage(f"msg_{n:04d}", "conv_1", "usr_1", role, text, at)


def dialogue(starts: Sequence[datetime]) -> list[StoredMessage]:
    """A user message at each time, each answered a few seconds later."""
    out = []
    for i, at in enumerate(starts):
        out += [msg(2 * i, Role.USER, at), msg(2 * i + 1, Role.ASSISTANT, at + timedelta(seconds=5))]
    return out


POLICY = ReflectionPolicy()


def test_a_sitting_is_reflected_on_once_it_has_ended() -> None:
    sitting = [T0 + timedelta(minutes=i) for i in range(3)]
    assert reflection_window(dialogue(sitting), None, T0 + timedelta(minutes=3), POLICY) == []  # still going
    back = dialogue([*sitting, T0 + timedelta(hours=2)])
    window = reflection_window(back, None, T0 + timedelta(hours=2), POLICY)
    assert [m.id for m in window] == [m.id for m in back[:6]]  # the ended sitting, not the return
    short = dialogue([T0, T0 + timedelta(hours=2)])
    assert reflection_window(short, None, T0 + timedelta(hours=2), POLICY) == []  # one message is too little


def test_a_long_sitting_is_reflected_on_now_and_then() -> None:
    long = dialogue([T0 + timedelta(minutes=i) for i in range(POLICY.every_user_turns)])
    now = T0 + timedelta(minutes=POLICY.every_user_turns)
    assert len(reflection_window(long, None, now, POLICY)) == len(long)
    done = JournalEntry("jrn_1", "usr_1", "a", "b", JournalSource.LLM, "conv_1", long[3].id, now - timedelta(minutes=5))
    assert reflection_window(long, done, now, POLICY) == []  # too soon after the last entry
    later = replace(done, created_at=now - POLICY.min_gap)
    assert reflection_window(long, later, now, POLICY) == []  # only 8 new user messages since
    assert reflection_window(long, replace(later, upto_message_id=""), now, POLICY) == long


async def test_an_entry_is_written_after_a_conversation(store: SQLiteStore) -> None:
    llm = ScriptedLLM(["Mm."], json_replies=[ENTRY])
    clock = Clock(datetime.now(UTC) - timedelta(hours=1))
    session = await open_met_session(store, llm, clock)
    for text in ("I lay in the grass last night", "the sky was full of stars", "I found Orion"):
        await say(session, text)
        clock.at += timedelta(minutes=1)
    assert await store.journal.latest(session.user_id) == []
    clock.at = datetime.now(UTC) + timedelta(hours=2)
    await say(session, "I'm back")
    [entry] = await store.journal.latest(session.user_id)
    assert entry.source is JournalSource.LLM and entry.learned == ENTRY["learned"]
    assert entry.conversation_id == session.conversation.id
    history = await session.history()
    assert entry.upto_message_id == history[5].id  # the last reply of the ended sitting
    request = next(r for r in llm.requests if "private journal" in r[0].content)
    assert "Theo: I found Orion" in request[1].content


async def test_a_failing_model_leaves_a_plain_entry_and_no_growth(store: SQLiteStore) -> None:
    llm = DeadJSON(["Mm."])
    clock = Clock(datetime.now(UTC) - timedelta(hours=1))
    session = await open_met_session(store, llm, clock, policy=ReflectionPolicy(every_user_turns=2))
    await say(session, "my sister Ana plays the cello")
    clock.at += timedelta(minutes=1)
    await say(session, "she has a concert on Friday")
    [entry] = await store.journal.latest(session.user_id)
    assert entry.source is JournalSource.FALLBACK and "my sister Ana plays the cello" in entry.learned
    assert [v.source.value for v in await store.persona.history(session.user_id)] == ["first_meeting"]


def test_fallback_and_entry_checks() -> None:
    window = dialogue([T0])
    window[0] = replace(window[0], content="x " * 100)
    entry = fallback_entry(window, "Theo")
    assert entry.source is JournalSource.FALLBACK and entry.upto_message_id == window[-1].id
    assert entry.learned.endswith('…"') and len(entry.learned) < 160
    assert entry_from({"learned": "ok", "wondered": "I wonder about tides."}) is None
    assert entry_from({"learned": "Theo likes tea.", "wondered": "  I wonder\nwhich tea.  "}) == (
        "Theo likes tea.", "I wonder which tea.")


@pytest.mark.parametrize("text", [
    "What have you been thinking about?",
    "what've you been thinking about lately",
    "So, what's on your mind?",
    "Can I read your journal?",
    "could I see your diary",
    "show me your journal please",
    "What did you write in your diary today?",
    "What’s been on your mind?",
])
def test_asking_to_read_the_journal(text: str) -> None:
    assert wants_journal(text)


@pytest.mark.parametrize("text", [
    "I've been thinking about my journal",
    "I keep a diary",
    "What are you doing?",
    "I was thinking about you",
    "read my diary entry from yesterday",
])
def test_other_talk_is_not_a_request_for_the_journal(text: str) -> None:
    assert not wants_journal(text)


def test_sharing_note_holds_the_entries_or_admits_there_are_none() -> None:
    entry = JournalEntry("jrn_1", "usr_1", "Theo found Orion.", "I wonder about Rigel.", JournalSource.LLM,
                         "conv_1", "msg_1", T0)
    note = sharing_note([entry], "Theo")
    assert "Theo found Orion. I wonder about Rigel." in note and "Theo asks" in note
    assert "not written in your journal yet" in sharing_note([], "Theo")


async def test_asking_puts_the_latest_entries_in_the_prompt(store: SQLiteStore) -> None:
    llm = ScriptedLLM(["Let me tell you."])
    session = await open_met_session(store, llm, Clock(datetime.now(UTC)))
    await store.journal.add(session.user_id, NewJournalEntry("Theo found Orion.", "I wonder about Rigel.",
                                                             JournalSource.LLM, session.conversation.id, ""))
    await say(session, "how was your day?")
    assert not any("Rigel" in m.content for m in llm.requests[-1])
    await say(session, "What have you been thinking about?")
    notes = [m.content for m in llm.requests[-1] if m.role is Role.SYSTEM]
    assert any("Theo found Orion. I wonder about Rigel." in n for n in notes)


def test_pause_rules() -> None:
    pause = ThinkingPause(3.0)
    assert pause.due(-0.8, T0, None)
    assert not pause.due(-0.2, T0, None) and not pause.due(None, T0, None)
    assert not pause.due(-0.8, T0, T0 - timedelta(minutes=5))  # one pause per half hour
    assert pause.due(-0.8, T0, T0 - timedelta(hours=1))
    assert not ThinkingPause(0).due(-1.0, T0, None)  # 0 turns it off
