"""The real-time conversation with fake voices and a hand-cranked sound card: each 20 ms microphone chunk is
followed by the output taking 20 ms of the playback buffer, as a full-duplex card's callback would."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncGenerator, Callable, Sequence

import numpy as np

from os1.core.errors import BackendError
from os1.core.messages import ChatMessage, MessageStatus, Role
from os1.engine.realtime import RealtimeConversation, TurnMarks
from os1.engine.session import Session, SessionConfig
from os1.engine.voice import Caption, Voices
from os1.llm.base import GenerationOptions
from os1.storage.sqlite import SQLiteStore
from os1.testing import EnergyVAD, ScriptedLLM, ScriptedSTT, ToneTTS, tone
from os1.voice.audio import SPEECH_RATE, Audio, silence
from os1.voice.stream import PlaybackBuffer
from os1.voice.turns import TurnConfig, TurnState

CHUNK = SPEECH_RATE // 50  # 20 ms
WORD_S = 0.25
FIRST, REST = "One two three.", "Four five six seven eight."


class GatedLLM(ScriptedLLM):
    """Streams its script, but holds the first reply after ``hold_after`` words until ``gate`` is set."""

    def __init__(self, replies: Sequence[str], hold_after: int) -> None:
        super().__init__(replies)
        self.gate = asyncio.Event()
        self.hold_after = hold_after
        self.closed_early = False

    async def stream(self, messages: Sequence[ChatMessage], options: GenerationOptions) -> AsyncGenerator[str, None]:
        first = not self.requests
        words = self._pick(messages).split(" ")
        self.requests.append(list(messages))
        finished = False
        try:
            for i, word in enumerate(words):
                if first and i == self.hold_after:
                    await self.gate.wait()
                yield word if i == 0 else " " + word
            finished = True
        finally:
            self.closed_early = self.closed_early or not finished


class Rig:
    """A conversation, its speaker and what it captioned."""

    def __init__(self, session: Session, heard: list[str], partial_ms: int = 0, write_ahead: bool = True) -> None:
        self.speaker = PlaybackBuffer(SPEECH_RATE)
        self.captions: list[Caption] = []
        self.turns: list[TurnMarks] = []
        voices = Voices(EnergyVAD(), ScriptedSTT(heard), ToneTTS(WORD_S))
        # Partial hypotheses are off unless a test is about them: each one takes a line of the STT's script.
        self.conversation = RealtimeConversation(session, voices, self.speaker, TurnConfig(partial_ms=partial_ms),
                                                 captions=self.captions.append, on_turn=self.turns.append,
                                                 write_ahead=write_ahead)

    async def feed(self, audio: Audio) -> None:
        for i in range(0, len(audio.samples), CHUNK):
            await self.conversation.hear(audio.samples[i: i + CHUNK])
            self.speaker.pull(CHUNK)
            await asyncio.sleep(0)  # the reply's task runs between chunks, as it would on a live loop

    async def feed_until(self, done: Callable[[], bool], limit_s: float = 10.0) -> None:
        """Silence into the microphone until ``done``; fails the test after ``limit_s`` of it."""
        for _ in range(int(limit_s * 50)):
            if done():
                return
            await self.feed(silence(0.02))
            await asyncio.sleep(0.001)
        raise AssertionError("the conversation never got there")

    @property
    def state(self) -> TurnState:
        return self.conversation.turns.state


async def open_session(store: SQLiteStore, llm: ScriptedLLM) -> Session:
    user = await store.users.local_user()
    return await Session.open(store, llm, user.id, SessionConfig(n_ctx=2048, max_reply_tokens=64))


async def user_says(rig: Rig, seconds: float = 1.0) -> None:
    await rig.feed(silence(0.3))
    await rig.feed(tone(seconds))


async def test_the_reply_starts_playing_after_its_first_sentence(store: SQLiteStore) -> None:
    llm = GatedLLM([f"{FIRST} {REST}"], hold_after=4)  # the first sentence is only complete once "Four" comes
    session = await open_session(store, llm)
    rig = Rig(session, ["Count for me."])
    await user_says(rig)
    await rig.feed_until(lambda: rig.speaker.played > 0)
    assert rig.state is TurnState.OS_SPEAKING
    assert not llm.gate.is_set()  # the LLM is still holding the rest
    llm.gate.set()
    await rig.feed_until(lambda: rig.state is TurnState.LISTENING)
    history = await session.history()
    assert [(m.role, m.content, m.status) for m in history] == [
        (Role.USER, "Count for me.", MessageStatus.COMPLETE),
        (Role.ASSISTANT, f"{FIRST} {REST}", MessageStatus.COMPLETE)]
    assert rig.captions[-1] == Caption("os", f"{FIRST} {REST}")
    await rig.feed_until(lambda: bool(llm.warmed))  # the model reads the stored reply before the next turn
    assert llm.warmed[-1][-1].content == f"{FIRST} {REST}"
    marks = rig.turns[0]
    assert marks.ended and marks.text == "Count for me."
    steps = [marks.end_of_turn, marks.transcript, marks.first_token, marks.first_sentence, marks.first_audio,
             marks.first_played]
    assert all(a is not None and b is not None and a <= b for a, b in itertools.pairwise(steps))


async def test_barge_in_stops_playback_and_the_llm_and_stores_what_was_heard(store: SQLiteStore) -> None:
    llm = GatedLLM([f"{FIRST} {REST}", "Sorry."], hold_after=4)  # never released: still writing when cut
    session = await open_session(store, llm)
    rig = Rig(session, ["Count for me.", "Stop."])
    await user_says(rig)
    await rig.feed_until(lambda: rig.speaker.played > 0)
    await rig.feed(silence(0.4))  # the OS says about two words...
    await rig.feed(tone(0.4))  # ...and the user cuts in
    assert rig.state is TurnState.USER_SPEAKING
    assert rig.speaker.pending == 0  # silenced at once, not after the queued audio
    assert rig.turns[0].interrupted_at is not None
    await rig.feed_until(lambda: rig.state is TurnState.LISTENING and len(rig.turns) == 2 and rig.turns[1].ended)
    assert llm.closed_early  # the reply being written was abandoned
    history = await session.history()
    cut = history[1]
    assert (cut.role, cut.status) == (Role.ASSISTANT, MessageStatus.TRUNCATED)
    assert FIRST.startswith(cut.content) and 1 <= len(cut.content.split()) <= 3
    assert [m.content for m in history[2:]] == ["Stop.", "Sorry."]


async def test_speaking_again_while_the_os_thinks_drops_the_reply_unheard(store: SQLiteStore) -> None:
    llm = GatedLLM(["Never heard.", "Okay then."], hold_after=0)  # thinks until the gate opens
    session = await open_session(store, llm)
    rig = Rig(session, ["Tell me", "Tell me a story."])
    await user_says(rig)
    await rig.feed_until(lambda: rig.state is TurnState.THINKING)
    await rig.feed(tone(0.5))  # the user was not done after all
    assert rig.state is TurnState.USER_SPEAKING
    await rig.feed_until(lambda: len(rig.turns) == 2 and rig.turns[1].ended)
    history = await session.history()
    assert [(m.role, m.content) for m in history] == [
        (Role.USER, "Tell me"), (Role.USER, "Tell me a story."), (Role.ASSISTANT, "Okay then.")]
    assert rig.speaker.played == 0 and rig.turns[0].first_played is None


class BrokenLLM(ScriptedLLM):
    async def stream(self, messages: Sequence[ChatMessage], options: GenerationOptions) -> AsyncGenerator[str, None]:
        raise BackendError("the server went away", "restart it")
        yield ""


async def test_a_failed_reply_is_captioned_and_the_os_listens_again(store: SQLiteStore) -> None:
    session = await open_session(store, BrokenLLM())
    rig = Rig(session, ["Hello?"])
    await user_says(rig)
    await rig.feed_until(lambda: bool(rig.turns) and rig.turns[0].ended)
    assert rig.state is TurnState.LISTENING
    assert [c.speaker for c in rig.captions] == ["you", "os"]
    assert "the server went away" in rig.captions[1].text


async def test_nothing_understood_is_no_reply(store: SQLiteStore) -> None:
    session = await open_session(store, ScriptedLLM(["unused"]))
    rig = Rig(session, [""])
    await user_says(rig)
    await rig.feed_until(lambda: bool(rig.turns) and rig.turns[0].ended)
    assert rig.state is TurnState.LISTENING
    assert await session.history() == []


async def test_run_answers_a_microphone_and_stops_the_os_when_it_closes(store: SQLiteStore) -> None:
    llm = GatedLLM([f"{FIRST} {REST}"], hold_after=4)
    session = await open_session(store, llm)
    rig = Rig(session, ["Count for me."])

    async def microphone() -> AsyncGenerator[np.ndarray, None]:
        for part in (silence(0.3), tone(1.0)):
            for i in range(0, len(part.samples), CHUNK):
                yield part.samples[i: i + CHUNK]
        while rig.speaker.played == 0:  # silence until the OS speaks, then the microphone closes
            rig.speaker.pull(CHUNK)
            yield np.zeros(CHUNK, np.float32)
            await asyncio.sleep(0.001)

    await asyncio.wait_for(rig.conversation.run(microphone()), 10)
    assert rig.speaker.pending == 0
    reply = (await session.history())[-1]
    assert (reply.role, reply.status) == (Role.ASSISTANT, MessageStatus.TRUNCATED)


async def test_the_reply_is_written_ahead_at_the_pause_and_the_turn_takes_it(store: SQLiteStore) -> None:
    llm = GatedLLM(["Sure, one two three.", "Not asked for."], hold_after=1)
    session = await open_session(store, llm)
    rig = Rig(session, ["Count for me."])
    await user_says(rig)
    await rig.feed_until(lambda: bool(llm.requests) and llm.requests[-1][-1].content == "Count for me.")
    assert rig.state is TurnState.USER_SPEAKING and not rig.turns  # written before the endpoint decided...
    assert await session.history() == []  # ...and not stored, heard or captioned
    assert rig.speaker.played == 0 and not rig.captions
    await rig.feed_until(lambda: bool(rig.turns))
    llm.gate.set()
    await rig.feed_until(lambda: rig.state is TurnState.LISTENING)
    assert len(llm.requests) == 1 and rig.turns[0].speculated and rig.turns[0].written_ahead
    assert [m.content for m in await session.history()] == ["Count for me.", "Sure, one two three."]


async def test_without_writing_ahead_the_model_reads_the_pause_words_and_the_turn_sends_that_prompt(
        store: SQLiteStore) -> None:
    llm = GatedLLM(["Sure."], hold_after=0)  # held: the reply cannot start before the test looks
    session = await open_session(store, llm)
    rig = Rig(session, ["Count for me."], write_ahead=False)
    await user_says(rig)
    await rig.feed_until(lambda: bool(llm.warmed) and llm.warmed[-1][-1].content == "Count for me.")
    assert rig.state is TurnState.USER_SPEAKING and not rig.turns  # read ahead before the endpoint decided
    await rig.feed_until(lambda: bool(llm.requests))
    assert llm.requests[0] == llm.warmed[-1]  # the real turn finds the read-ahead prompt in the cache
    assert rig.turns[0].speculated and not rig.turns[0].written_ahead
    llm.gate.set()
    await rig.feed_until(lambda: rig.state is TurnState.LISTENING)


async def test_speaking_on_after_the_pause_drops_the_speculation_without_a_trace(store: SQLiteStore) -> None:
    llm = GatedLLM(["Never heard.", "Once upon a time."], hold_after=1)  # the first reply is never finished
    session = await open_session(store, llm)
    rig = Rig(session, ["Tell me", "Tell me a story."])
    await rig.feed(silence(0.3))
    await rig.feed(tone(0.5))
    await rig.feed(silence(0.3))  # a pause: a reply to "Tell me" is written ahead...
    assert [r[-1].content for r in llm.requests] == ["Tell me"]
    await rig.feed(tone(0.5))  # ...but the user goes on
    assert rig.conversation._speculation is None
    await rig.feed_until(lambda: bool(rig.turns) and rig.turns[0].ended)
    assert llm.closed_early  # the model stopped writing it
    history = await session.history()
    assert [(m.role, m.content) for m in history] == [(Role.USER, "Tell me a story."),
                                                      (Role.ASSISTANT, "Once upon a time.")]
    assert [r[-1].content for r in llm.requests] == ["Tell me", "Tell me a story."]
    assert rig.turns[0].speculated and rig.turns[0].written_ahead
    assert rig.captions == [Caption("you", "Tell me a story."), Caption("os", "Once upon a time.")]


async def test_a_short_burst_holds_the_voice_and_lets_it_go_on(store: SQLiteStore) -> None:
    llm = GatedLLM([f"{FIRST} {REST}"], hold_after=4)
    session = await open_session(store, llm)
    rig = Rig(session, ["Count for me."])
    await user_says(rig)
    await rig.feed_until(lambda: rig.speaker.played > 0)
    await rig.feed(tone(0.1))  # strong enough to duck, too short to barge in
    assert rig.speaker.held_at is not None and rig.turns[0].ducked_at is not None
    await rig.feed(silence(0.1))
    assert rig.speaker.held_at is None and rig.conversation.false_ducks == 1
    assert rig.state is TurnState.OS_SPEAKING and rig.turns[0].interrupted_at is None
    llm.gate.set()
    await rig.feed_until(lambda: rig.state is TurnState.LISTENING)
    reply = (await session.history())[-1]  # played out to the end: the held part was not lost
    assert (reply.content, reply.status) == (f"{FIRST} {REST}", MessageStatus.COMPLETE)


async def test_the_words_so_far_are_captioned_and_read_ahead_while_the_user_speaks(store: SQLiteStore) -> None:
    llm = ScriptedLLM(["Once upon a time."])
    session = await open_session(store, llm)
    rig = Rig(session, ["Tell me", "Tell me a story."], partial_ms=640)
    await rig.feed(silence(0.3))
    await rig.feed(tone(1.0))  # still speaking: a partial at 640 ms of speech
    for _ in range(20):
        await asyncio.sleep(0)  # let the partial's transcription and read-ahead run
    assert [(c.text, c.partial) for c in rig.captions] == [("Tell me", True)]
    assert any(m[-1].content == "Tell me" for m in llm.warmed)  # the model read the words so far
    assert await session.history() == []  # nothing stored until the turn ends
    await rig.feed_until(lambda: bool(rig.turns) and rig.turns[0].ended)
    assert [(c.speaker, c.text, c.partial) for c in rig.captions][-2:] == [
        ("you", "Tell me a story.", False), ("os", "Once upon a time.", False)]
    assert [m.content for m in await session.history()] == ["Tell me a story.", "Once upon a time."]


async def test_every_turn_reads_its_partial_words_ahead_not_only_the_first(store: SQLiteStore) -> None:
    llm = ScriptedLLM(["Hello.", "Once upon a time."])
    session = await open_session(store, llm)
    rig = Rig(session, ["Hi", "Hi there.", "Tell me", "Tell me a story."], partial_ms=640)
    for _ in range(2):
        await rig.feed(silence(0.3))
        await rig.feed(tone(1.0))
        await rig.feed_until(lambda: bool(rig.turns) and rig.turns[-1].ended)
        rig.turns.clear()
    assert rig.conversation._speculation is None  # the used read-ahead does not linger into the next turn
    assert any(m[-1].content == "Tell me" for m in llm.warmed)  # the second turn's partial was read ahead
    assert [m.content for m in await session.history()][2:] == ["Tell me a story.", "Once upon a time."]
