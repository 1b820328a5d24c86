"""Learning waits for a quiet moment (llm/quiet.py): its model requests go only once the conversation has left
the model alone for ``quiet_s``, so a reflection never holds up the next spoken reply."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest

from os1.config import load_settings
from os1.core.messages import ChatMessage, Role
from os1.engine.persona import PersonaHook
from os1.engine.runtime import open_companion
from os1.llm.base import LLM, GenerationOptions
from os1.llm.quiet import POLL_S, ConversingLLM, LearningLLM, QuietGate, lanes
from os1.testing import ScriptedLLM

ASK = [ChatMessage(Role.USER, "hello there")]
OPTIONS = GenerationOptions()


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_quiet_only_once_the_conversation_has_left_the_model_alone_long_enough() -> None:
    clock = Clock()
    gate = QuietGate(20.0, clock)
    assert gate.quiet_in() == 20.0  # just opened: the conversation is about to use it
    clock.now += 15
    with gate.using():
        clock.now += 30
        assert gate.quiet_in() == POLL_S  # in use, however long
    assert gate.quiet_in() == 20.0  # counted from the end of the use
    clock.now += 19.5
    assert gate.quiet_in() == pytest.approx(0.5)
    clock.now += 0.5
    assert gate.quiet_in() == 0.0


def test_no_quiet_time_is_the_model_itself() -> None:
    llm = ScriptedLLM()
    assert lanes(llm, 0) == (llm, llm)


async def _chat(llm: LLM, text: str) -> str:
    async with contextlib.aclosing(llm.stream([ChatMessage(Role.USER, text)], OPTIONS)) as deltas:
        return "".join([d async for d in deltas])


async def test_learning_waits_until_the_conversation_is_quiet() -> None:
    model = ScriptedLLM(["one two three four five six"], delay_s=0.05)
    talking, learning = lanes(model, 0.3)
    events: list[str] = []

    async def learn() -> None:
        await learning.complete_json(ASK, {"type": "object"}, OPTIONS)
        events.append("learned")

    async def converse() -> None:
        for turn in range(3):  # three replies, a short pause (0.1 s) between them: never quiet for 0.3 s
            await _chat(talking, f"turn {turn}")
            events.append(f"replied {turn}")
            await asyncio.sleep(0.1)

    await asyncio.gather(learn(), converse())
    assert events == ["replied 0", "replied 1", "replied 2", "learned"]
    assert len(model.requests) == 4  # the learning's request did reach the model, last


async def test_warming_counts_as_use_and_the_learning_view_neither_warms_nor_closes() -> None:
    model = ScriptedLLM()
    talking, learning = lanes(model, 60)
    assert isinstance(talking, ConversingLLM) and isinstance(learning, LearningLLM)
    with pytest.raises(TimeoutError):  # opened just now and warmed: a minute is not over
        await talking.warm(ASK)
        await asyncio.wait_for(learning.complete_json(ASK, {}, OPTIONS), 0.5)
    await learning.warm(ASK)
    await learning.aclose()
    assert model.warmed == [ASK]  # the conversation's warming only
    assert await learning.count_tokens("twelve chars") == await model.count_tokens("twelve chars")


async def test_os1_talk_companion_gives_its_hooks_the_learning_view(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OS1_LLM_BACKEND", "scripted")
    monkeypatch.setenv("OS1_SCRIPTED_REPLIES", json.dumps(["Fine, thanks."]))
    companion = await open_companion(load_settings(), learn_when_quiet_s=0.4)
    try:
        persona = next(h for h in companion.hooks if isinstance(h, PersonaHook))
        assert isinstance(persona.llm, LearningLLM) and isinstance(companion.llm, ConversingLLM)
        assert persona.llm.gate is companion.llm.gate
        session = await companion.open_session()
        reflecting = asyncio.create_task(persona.llm.complete_json(ASK, {}, OPTIONS))
        async with contextlib.aclosing(session.send("How are you?")) as deltas:
            assert "".join([d async for d in deltas]) == "Fine, thanks."
        await asyncio.sleep(0.2)
        assert not reflecting.done()  # 0.2 s after the reply: not yet
        await asyncio.wait_for(reflecting, 2)
    finally:
        await companion.aclose()
    plain = await open_companion(load_settings())  # `os1 chat`: no waiting
    try:
        assert plain.llm is next(h for h in plain.hooks if isinstance(h, PersonaHook)).llm
    finally:
        await plain.aclose()
