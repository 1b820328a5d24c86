"""A turn's reply stops the learning's model request in flight (llm/turns_first.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from os1.core.messages import ChatMessage, Role
from os1.core.turns import Reply, Turn
from os1.engine.session import Session, SessionConfig
from os1.llm.base import GenerationOptions
from os1.llm.turns_first import Preempted, TurnsFirst
from os1.storage.sqlite import SQLiteStore
from os1.testing import ScriptedLLM

ASK = [ChatMessage(Role.USER, "Reflect on this.")]
SCHEMA: dict[str, Any] = {"type": "object"}


class SlowJSON(ScriptedLLM):
    """Answers JSON only once ``release`` is set; notes whether a request was stopped before that."""

    def __init__(self) -> None:
        super().__init__(["Hello there."])
        self.release = asyncio.Event()
        self.started = asyncio.Event()
        self.stopped = 0

    async def complete_json(self, messages: Sequence[ChatMessage], schema: dict[str, Any],
                            options: GenerationOptions) -> dict[str, Any]:
        self.started.set()
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.stopped += 1
            raise
        return {"ok": True}


async def reply(llm: Any) -> str:
    async with contextlib.aclosing(llm.stream([ChatMessage(Role.USER, "Hi")], GenerationOptions())) as deltas:
        return "".join([d async for d in deltas])


async def test_a_turn_stops_the_learning_in_flight() -> None:
    inner = SlowJSON()
    shared = TurnsFirst(inner)
    learning = asyncio.create_task(shared.learning.complete_json(ASK, SCHEMA, GenerationOptions()))
    await inner.started.wait()
    assert await reply(shared.turns) == "Hello there."
    with pytest.raises(Preempted):
        await learning
    assert inner.stopped == 1


async def test_learning_finishes_when_no_turn_comes_and_warming_does_not_stop_it() -> None:
    inner = SlowJSON()
    shared = TurnsFirst(inner)
    learning = asyncio.create_task(shared.learning.complete_json(ASK, SCHEMA, GenerationOptions()))
    await inner.started.wait()
    await shared.turns.warm(ASK)
    inner.release.set()
    assert await learning == {"ok": True} and inner.stopped == 0


async def test_the_learning_cancelled_by_its_own_caller_is_cancelled_not_preempted() -> None:
    inner = SlowJSON()
    shared = TurnsFirst(inner)
    learning = asyncio.create_task(shared.learning.complete_json(ASK, SCHEMA, GenerationOptions()))
    await inner.started.wait()
    learning.cancel()
    with pytest.raises(asyncio.CancelledError):
        await learning
    assert inner.stopped == 1


class Learner:
    """A hook whose learning asks the model, as the persona's reflection does."""

    name = "learner"

    def __init__(self, llm: Any) -> None:
        self.llm = llm

    async def before_reply(self, turn: Turn) -> str | None:
        return None

    async def after_reply(self, turn: Turn, reply: Reply) -> None:
        await self.llm.complete_json(ASK, SCHEMA, GenerationOptions())


async def test_a_session_gives_the_model_to_the_next_turn_and_logs_no_failure(
        store: SQLiteStore, caplog: pytest.LogCaptureFixture) -> None:
    inner = SlowJSON()
    shared = TurnsFirst(inner)
    user = await store.users.local_user()
    session = await Session.open(store, shared.turns, user.id, SessionConfig(n_ctx=2048, max_reply_tokens=32),
                                 hooks=[Learner(shared.learning)])
    caplog.set_level(logging.INFO, logger="os1.engine.session")
    await reply_to(session, "Hi")
    await inner.started.wait()  # the learning after the first reply is waiting for the model...
    await reply_to(session, "Still there?")  # ...when the next turn needs it
    inner.release.set()
    await session.drain()
    assert inner.stopped == 1
    assert any("gave the model to a turn" in r.message for r in caplog.records)
    assert not any(r.levelno >= logging.ERROR for r in caplog.records)


async def reply_to(session: Session, text: str) -> str:
    async with contextlib.aclosing(session.send(text)) as deltas:
        return "".join([d async for d in deltas])


async def test_the_companion_shares_one_model_turns_first(os1_home: Path) -> None:
    from os1.config import load_settings
    from os1.engine.runtime import open_companion
    from os1.llm.turns_first import LearningView, TurnView

    companion = await open_companion(load_settings(llm_backend="scripted", memory=False))
    try:
        assert isinstance(companion.llm, TurnView)
        persona = next(h for h in companion.hooks if h.name == "persona")
        assert isinstance(persona.llm, LearningView)  # type: ignore[attr-defined]
        assert persona.llm.owner is companion.llm.owner  # type: ignore[attr-defined]
    finally:
        await companion.aclose()
