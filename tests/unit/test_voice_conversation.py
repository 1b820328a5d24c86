"""The spoken turn flow with fake voices (loudness VAD, scripted STT, tone TTS) on a real Session and store:
replies stored complete only once played, barge-in storing what was heard, failures leaving no reply."""

from __future__ import annotations

import asyncio
import contextlib

from os1.core.errors import BackendError
from os1.core.messages import MessageStatus, Role
from os1.engine.session import Session, SessionConfig
from os1.engine.voice import GAP_S, Caption, VoiceConversation, Voices
from os1.storage.sqlite import SQLiteStore
from os1.testing import EnergyVAD, ScriptedLLM, ScriptedSTT, ToneTTS, tone
from os1.voice.audio import SPEECH_RATE, Audio, concat, silence

WORD_S = 0.25
REPLY = "one two three four five six seven eight. nine ten eleven twelve."


async def open_session(store: SQLiteStore, llm: ScriptedLLM) -> Session:
    user = await store.users.local_user()
    return await Session.open(store, llm, user.id, SessionConfig(n_ctx=2048, max_reply_tokens=64))


def recording(*parts: tuple[str, float]) -> Audio:
    """("speech" | "silence", seconds) pieces on one 16 kHz timeline."""
    return concat([tone(s) if kind == "speech" else silence(s) for kind, s in parts], SPEECH_RATE)


async def converse(store: SQLiteStore, heard: list[str], said: Audio, llm: ScriptedLLM | None = None
                   ) -> tuple[Audio, list[Caption], Session]:
    session = await open_session(store, llm or ScriptedLLM([REPLY, "Okay."]))
    captions: list[Caption] = []
    voices = Voices(EnergyVAD(), ScriptedSTT(heard), ToneTTS(WORD_S))
    out = await VoiceConversation(session, voices, captions=captions.append).run_file(said)
    return out, captions, session


async def test_a_reply_is_spoken_whole_and_stored_complete(store: SQLiteStore) -> None:
    out, captions, session = await converse(store, ["Count to twelve."], recording(("silence", 0.5), ("speech", 1.0)))
    assert abs(out.seconds - 12 * WORD_S) < 0.01  # every word, once
    assert captions == [Caption("you", "Count to twelve."), Caption("os", REPLY)]
    stored = [(m.role, m.content, m.status) for m in await session.history()]
    assert stored == [(Role.USER, "Count to twelve.", MessageStatus.COMPLETE),
                      (Role.ASSISTANT, REPLY, MessageStatus.COMPLETE)]


async def test_barge_in_stores_the_reply_as_far_as_it_was_heard(store: SQLiteStore) -> None:
    # The user's 1 s, the endpoint (~0.6 s of silence), the reply starts; 1 s into it the user speaks again.
    said = recording(("silence", 0.5), ("speech", 1.0), ("silence", 1.6), ("speech", 1.0))
    out, captions, session = await converse(store, ["Count to twelve.", "Stop."], said)
    first_reply_s = out.seconds - GAP_S - 1 * WORD_S  # the file also holds the answer to "Stop." ("Okay.")
    words = int(first_reply_s / WORD_S)
    assert 2 <= words <= 6  # cut about a second in (1.6 - 0.6 + the 224 ms barge-in check)
    heard = " ".join(REPLY.split()[:words])
    history = await session.history()
    assert [(m.role, m.content, m.status) for m in history[:3]] == [
        (Role.USER, "Count to twelve.", MessageStatus.COMPLETE),
        (Role.ASSISTANT, heard, MessageStatus.TRUNCATED),
        (Role.USER, "Stop.", MessageStatus.COMPLETE)]
    assert Caption("os", heard, interrupted=True) in captions
    assert history[3].content == "Okay."  # the interruption itself was answered


async def test_nothing_heard_means_no_turn(store: SQLiteStore) -> None:
    out, captions, session = await converse(store, [""], recording(("silence", 0.5), ("speech", 1.0)))
    assert out.seconds == 0
    assert captions == []
    assert await session.history() == []


async def test_silence_alone_is_not_a_turn(store: SQLiteStore) -> None:
    stt = ScriptedSTT(["ghost"])
    session = await open_session(store, ScriptedLLM(["no"]))
    out = await VoiceConversation(session, Voices(EnergyVAD(), stt, ToneTTS())).run_file(silence(3.0))
    assert out.seconds == 0
    assert stt.heard == []


class BrokenLLM(ScriptedLLM):
    async def stream(self, messages, options):  # type: ignore[no-untyped-def]
        raise BackendError("the server went away", "restart it")
        yield ""


async def test_a_failed_reply_is_captioned_and_the_conversation_goes_on(store: SQLiteStore) -> None:
    said = recording(("silence", 0.5), ("speech", 1.0), ("silence", 1.5), ("speech", 1.0))
    out, captions, session = await converse(store, ["Hello?", "Anyone?"], said, llm=BrokenLLM())
    assert out.seconds == 0
    assert [c.speaker for c in captions] == ["you", "os", "you", "os"]
    assert "the server went away" in captions[1].text
    assert [m.content for m in await session.history() if m.role is Role.USER] == ["Hello?", "Anyone?"]


class ManualDelivery:
    def __init__(self) -> None:
        self.done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.waiting = asyncio.Event()

    async def finished(self) -> bool:
        self.waiting.set()
        return await self.done

    def heard(self, sent: str) -> str:
        return sent.split(".")[0] + "."


async def test_session_completes_a_delivered_reply_only_once_it_was_played(store: SQLiteStore) -> None:
    session = await open_session(store, ScriptedLLM(["First part. Second part."]))
    delivery = ManualDelivery()

    async def consume() -> str:
        async with contextlib.aclosing(session.send("hi", delivery)) as deltas:
            return "".join([d async for d in deltas])

    task = asyncio.create_task(consume())
    await delivery.waiting.wait()
    assert (await session.history())[-1].status is MessageStatus.STREAMING  # written, not yet heard
    delivery.done.set_result(True)
    assert await task == "First part. Second part."
    assert (await session.history())[-1].status is MessageStatus.COMPLETE


async def test_session_stores_what_delivery_says_was_heard_when_cut(store: SQLiteStore) -> None:
    session = await open_session(store, ScriptedLLM(["First part. Second part."]))
    delivery = ManualDelivery()
    delivery.done.set_result(False)
    async with contextlib.aclosing(session.send("hi", delivery)) as deltas:
        async for _ in deltas:
            pass
    reply = (await session.history())[-1]
    assert (reply.content, reply.status) == ("First part.", MessageStatus.TRUNCATED)
