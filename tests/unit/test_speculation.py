"""A reply written ahead (Session.speculate, engine/speculation.py): taken only for the very prompt the turn
builds, never stored or learned from before the turn, stopped otherwise."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Sequence
from datetime import UTC, datetime
from typing import Any

from os1.care.crisis import CrisisDetector
from os1.core.errors import BackendError
from os1.core.messages import ChatMessage, Role
from os1.core.turns import Reply, Turn
from os1.engine.care import CareGuard
from os1.engine.session import Session, SessionConfig
from os1.engine.speculation import Speculation
from os1.llm.base import GenerationOptions
from os1.storage.sqlite import SQLiteStore
from os1.testing import ScriptedLLM

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


class TrackedLLM(ScriptedLLM):
    """Notes which requests were closed before their reply was complete."""

    def __init__(self, replies: Sequence[str], delay_s: float = 0.0) -> None:
        super().__init__(replies, delay_s=delay_s)
        self.closed_early: list[int] = []

    async def stream(self, messages: Sequence[ChatMessage], options: GenerationOptions) -> AsyncGenerator[str, None]:
        index, finished = len(self.requests), False
        try:
            async for delta in super().stream(messages, options):
                yield delta
            finished = True
        finally:
            if not finished:
                self.closed_early.append(index)


class NoteHook:
    """A hook whose note (and preview of it) the test sets."""

    name = "note"

    def __init__(self, note: str, preview: str | None = None) -> None:
        self.note, self.preview_note = note, note if preview is None else preview
        self.before: list[Turn] = []

    async def before_reply(self, turn: Turn) -> str | None:
        self.before.append(turn)
        return self.note

    async def preview(self, turn: Turn) -> str | None:
        return self.preview_note

    async def after_reply(self, turn: Turn, reply: Reply) -> None:
        return None


class BlindHook(NoteHook):
    preview = None  # type: ignore[assignment]  # cannot tell its note ahead


async def open_session(store: SQLiteStore, llm: Any, **kw: Any) -> Session:
    user = await store.users.local_user()
    return await Session.open(store, llm, user.id, SessionConfig(n_ctx=2048, max_reply_tokens=64),
                              clock=lambda: NOW, **kw)


async def turn(session: Session, text: str, ahead: Speculation | None) -> str:
    async with contextlib.aclosing(session.send(text, speculation=ahead)) as deltas:
        return "".join([delta async for delta in deltas])


async def written(llm: ScriptedLLM, requests: int) -> None:
    for _ in range(200):
        if len(llm.requests) >= requests:
            return
        await asyncio.sleep(0)
    raise AssertionError("the reply was never written ahead")


async def test_the_turn_takes_the_reply_written_ahead_for_its_prompt(store: SQLiteStore) -> None:
    llm = TrackedLLM(["Hello Theo.", "Sure, what with?"])
    hook = NoteHook("The user likes tea.")
    session = await open_session(store, llm, hooks=[hook])
    await turn(session, "Hi, I'm Theo.", None)
    ahead = session.speculate("Can you help me?")
    assert ahead is not None
    await written(llm, 2)
    assert len(await session.history()) == 2  # nothing stored while it was written ahead
    assert await turn(session, "Can you help me?", ahead) == "Sure, what with?"
    assert ahead.taken and len(llm.requests) == 2  # the model was asked once for this turn
    assert llm.requests[1][-1].content == "Can you help me?"
    assert "The user likes tea." in "\n".join(m.content for m in llm.requests[1])  # the previewed note
    said, reply = (await session.history())[2:]
    assert (said.role, said.content, reply.content) == (Role.USER, "Can you help me?", "Sure, what with?")
    assert [t.text for t in hook.before] == ["Hi, I'm Theo.", "Can you help me?"]  # the real hook ran too


async def test_a_reply_written_for_other_words_is_stopped_and_the_turn_asks_afresh(store: SQLiteStore) -> None:
    llm = TrackedLLM(["Never heard at all, this one.", "Once upon a time."], delay_s=0.01)
    session = await open_session(store, llm)
    ahead = session.speculate("Tell me")
    assert ahead is not None
    await written(llm, 1)
    assert await turn(session, "Tell me a story.", ahead) == "Once upon a time."
    assert not ahead.taken and llm.closed_early == [0]  # stopped before the turn's own request
    assert llm.requests[1][-1].content == "Tell me a story."


async def test_a_note_that_comes_out_otherwise_than_previewed_drops_the_reply_written_ahead(
        store: SQLiteStore) -> None:
    llm = TrackedLLM(["Written for the guess.", "Written for the note."], delay_s=0.01)
    session = await open_session(store, llm, hooks=[NoteHook("A break is due.", preview="")])
    ahead = session.speculate("How are you?")
    assert ahead is not None
    await written(llm, 1)
    assert await turn(session, "How are you?", ahead) == "Written for the note."
    assert not ahead.taken and llm.closed_early == [0]
    assert "A break is due." in "\n".join(m.content for m in llm.requests[1])


async def test_a_hook_that_cannot_preview_turns_writing_ahead_off(store: SQLiteStore) -> None:
    session = await open_session(store, TrackedLLM(["ok"]), hooks=[NoteHook("a"), BlindHook("b")])
    assert session.speculate("Hello") is None


async def test_no_reply_is_written_ahead_for_what_gets_the_fixed_crisis_reply(store: SQLiteStore) -> None:
    llm = TrackedLLM(["whatever the model says"])
    session = await open_session(store, llm, care=CareGuard(CrisisDetector(None), "en_US"))
    ahead = session.speculate("i want to kill myself tonight")
    assert ahead is not None
    reply = await turn(session, "i want to kill myself tonight", ahead)
    assert "988" in reply and not llm.requests and not ahead.taken


async def test_a_failure_while_writing_ahead_reaches_the_turn_that_takes_it(store: SQLiteStore) -> None:
    class Dying(ScriptedLLM):
        async def stream(self, messages: Sequence[ChatMessage],
                         options: GenerationOptions) -> AsyncGenerator[str, None]:
            self.requests.append(list(messages))
            yield "Well"
            raise BackendError("the server went away", "restart it")

    llm = Dying()
    session = await open_session(store, llm)
    ahead = session.speculate("Hello")
    assert ahead is not None
    await written(llm, 1)
    out: list[str] = []
    try:
        async with contextlib.aclosing(session.send("Hello", speculation=ahead)) as deltas:
            async for delta in deltas:
                out.append(delta)
    except BackendError as exc:
        assert "went away" in str(exc)
    else:
        raise AssertionError("the failure was swallowed")
    said, reply = await session.history()
    assert (said.content, reply.content, out) == ("Hello", "Well", ["Well"])  # stored as far as it got
    assert ahead.taken and len(llm.requests) == 1


async def test_closing_the_turn_early_stops_the_reply_written_ahead(store: SQLiteStore) -> None:
    llm = TrackedLLM(["one two three four five six"], delay_s=0.01)
    session = await open_session(store, llm)
    ahead = session.speculate("Count")
    assert ahead is not None
    async with contextlib.aclosing(session.send("Count", speculation=ahead)) as deltas:
        async for _ in deltas:
            break
    assert ahead.taken and llm.closed_early == [0]
    assert (await session.history())[-1].content == "one"


async def test_the_server_voice_writes_ahead_only_when_the_setting_says_so(store: SQLiteStore) -> None:
    from os1.config import load_settings
    from os1.engine.voice import Voices
    from os1.server.voice_ws import SocketVoice
    from os1.testing import EnergyVAD, ScriptedSTT, ToneTTS

    session = await open_session(store, TrackedLLM(["ok"]))
    for setting in (True, False):
        voice = SocketVoice(session, Voices(EnergyVAD(), ScriptedSTT([]), ToneTTS(0.1)),
                            load_settings(voice_write_ahead=setting), lambda event: None, asyncio.Lock())
        assert voice.write_ahead is setting
        await voice.aclose()
