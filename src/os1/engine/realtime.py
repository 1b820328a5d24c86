"""The spoken conversation in real time: the microphone's chunks arrive as they are captured, the reply is
spoken sentence by sentence while the LLM is still writing, and the user can cut in at any moment.

It is ``VoiceConversation`` (same turn-taking, transcription reuse, Session delivery, chunker) with three
things file mode does not need: the answer runs in a task while frames keep coming (so the user can be
heard while the OS thinks or speaks), audio goes to a ``PlaybackBuffer`` that the output pulls from at its
own pace, and a reply cut short is cancelled, so the LLM stops writing what nobody will hear. Pause
transcripts are made in the background (a slow one never holds up the endpoint) and the model writes the
reply to the pause's words ahead (engine/speculation.py); a possible barge-in holds the voice before the gate
confirms it.
Live mode (a sound card) and ``bench/voice_latency.py`` (a paced recording) drive it the same way.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass

from os1.core.errors import OS1Error
from os1.engine.session import Session
from os1.engine.speculation import Speculation
from os1.engine.voice import PAD_MS, Caption, CaptionSink, SpokenReply, VoiceConversation, Voices
from os1.voice.audio import SPEECH_RATE, Audio, Samples
from os1.voice.stream import FrameBlocker, PlaybackBuffer
from os1.voice.turns import (
    Action,
    CancelReply,
    CancelSpeculation,
    DuckPlayback,
    EndOfTurn,
    Partial,
    Pause,
    ResumePlayback,
    Speculate,
    StopPlayback,
    TurnConfig,
    TurnState,
)

log = logging.getLogger(__name__)


@dataclass
class TurnMarks:
    """When each step of answering one utterance happened (monotonic seconds): for the logs and the bench."""

    end_of_turn: float  # the turn-taker decided the user had finished
    text: str = ""  # the final transcript
    first_chunk: str = ""  # the words spoken first (a sentence, or a long sentence's first clause)
    transcript: float | None = None
    first_token: float | None = None
    first_sentence: float | None = None  # the chunker handed over the first sentence
    first_audio: float | None = None  # ...and it was synthesized and queued for the output
    first_played: float | None = None  # the output took the first sample
    ducked_at: float | None = None  # the user's speech held playback (the audible stop of a barge-in)
    interrupted_at: float | None = None  # playback was stopped by the user barging in (the gate confirmed it)
    speculated: bool = False  # the final words are the pause's: the model got a head start on them
    written_ahead: bool = False  # ...and the reply it wrote ahead (since the pause) was taken by the turn
    ended: bool = False  # the reply is over (played out, cut, failed, or there was nothing to say)

    def mark(self, step: str) -> None:
        """Note ``step`` now, the first time only."""
        if getattr(self, step) is None:
            setattr(self, step, time.monotonic())

    def summary(self) -> str:
        steps = ("transcript", "first_token", "first_sentence", "first_audio", "first_played")
        parts, before = [], self.end_of_turn
        for step in steps:
            at = getattr(self, step)
            if at is None:
                break
            parts.append(f"{step} +{(at - before) * 1000:.0f} ms")
            before = at
        return ", ".join(parts) or "no reply"


MarksSink = Callable[[TurnMarks], None]


class RealtimeConversation(VoiceConversation):
    """``run(mic)`` listens to 16 kHz chunks until the microphone ends, speaking into ``speaker``."""

    def __init__(self, session: Session, voices: Voices, speaker: PlaybackBuffer, turns: TurnConfig | None = None,
                 captions: CaptionSink | None = None, on_turn: MarksSink | None = None,
                 write_ahead: bool = True) -> None:
        super().__init__(session, voices, turns, captions)
        self.write_ahead = write_ahead  # at the pause, write the reply itself ahead (else only read its prompt)
        self.speaker = speaker
        self.on_turn = on_turn or (lambda marks: None)
        self.marks: TurnMarks | None = None  # of the turn being answered
        self._blocker = FrameBlocker(voices.vad.frame_samples)
        self._heard_samples = 0
        self._warming: asyncio.Task[None] | None = None
        self._pause_words: tuple[Pause, asyncio.Task[str]] | None = None  # the latest pause's transcription
        self._partial_words: asyncio.Task[None] | None = None  # a partial hypothesis being made
        # The pause's words, and the reply being written ahead for them (or the task reading their prompt).
        self._speculation: tuple[str, Speculation | asyncio.Task[None]] | None = None
        self._ahead: Speculation | None = None  # given to the turn being answered
        self.false_ducks = 0  # playback held for speech that did not turn out to be a barge-in

    @property
    def now_ms(self) -> int:
        """The microphone's clock: how much audio has been heard (it runs at the wall clock's pace)."""
        return self._heard_samples * 1000 // SPEECH_RATE

    async def run(self, mic: AsyncIterable[Samples]) -> None:
        self._warm_next_turn()
        try:
            async for chunk in mic:
                await self.hear(chunk)
        finally:
            await self._end_reply(self.now_ms)  # the microphone closed: the OS stops too
            ahead = self._speculation[1] if self._speculation else None
            self._drop_speculation()
            if isinstance(ahead, Speculation):
                await ahead.stop()
            tasks = [self._warming, self._partial_words, self._pause_words[1] if self._pause_words else None,
                     ahead if isinstance(ahead, asyncio.Task) else None]
            for task in filter(None, tasks):
                task.cancel()
            await asyncio.gather(*filter(None, tasks), return_exceptions=True)

    def _warm_next_turn(self) -> None:
        """Let the LLM read the conversation so far (the reply just stored included) while the user has not
        finished speaking, so the next answer only has the user's new words to read."""
        if self._warming is None or self._warming.done():
            self._warming = asyncio.create_task(self._warm())

    async def _warm(self) -> None:
        try:
            await self.session.llm.warm(await self.session.warm_prefix())
        except OS1Error as exc:  # only a head start was lost
            log.warning("warming the model failed: %s", exc.one_line())

    async def hear(self, chunk: Samples) -> None:
        """One chunk from the microphone, any size, at 16 kHz."""
        for frame in self._blocker.push(chunk):
            self._heard_samples += len(frame)
            await self.on_frame(self.now_ms, Audio(frame, SPEECH_RATE))

    async def _act(self, action: Action, now_ms: int) -> None:
        if isinstance(action, Pause):
            self._transcribe_pause(action)
        elif isinstance(action, Partial):
            self._hear_partial(action)
        elif isinstance(action, Speculate):
            self._speculate(action.text)
        elif isinstance(action, CancelSpeculation):
            self._drop_speculation()
        elif isinstance(action, EndOfTurn):
            text, self._ahead = await self._timed_transcript(action)
            self._begin_turn(text)
        elif isinstance(action, DuckPlayback | ResumePlayback):
            self._duck(isinstance(action, DuckPlayback))
        elif isinstance(action, StopPlayback):
            if self.marks is not None:
                self.marks.interrupted_at = time.monotonic()
            await self._end_reply(now_ms)
        elif isinstance(action, CancelReply):
            await self._end_reply(now_ms)  # nothing was played yet: the reply is dropped unheard
        else:
            await super()._act(action, now_ms)

    def _transcribe_pause(self, pause: Pause) -> None:
        """Transcribe at the pause in a task, so frames keep coming and the endpoint is never held up by a
        late transcript; the words go to the turn-taker (to judge the endpoint, and to speculate on)."""
        async def words() -> str:
            text = await self._transcribe(pause.start_ms, pause.end_ms)
            for action in self.turns.on_transcript(text, pause):
                await self._act(action, self.now_ms)
            return text

        self._pause_words = (pause, asyncio.create_task(words()))

    def _hear_partial(self, partial: Partial) -> None:
        """Transcribe the words so far in the background, one pass at a time (a partial asked for while one
        is being made, or while the pause's is, is skipped rather than queued: Whisper is shared)."""
        busy = [self._partial_words, self._pause_words[1] if self._pause_words else None]
        if any(task is not None and not task.done() for task in busy):
            return
        self._partial_words = asyncio.create_task(self._partial_pass(partial))

    async def _partial_pass(self, partial: Partial) -> None:
        """Caption the words so far, and let the model read them: most of the final prompt is then in its
        cache before the user stops, and the pause's read-ahead only has the last words left to read."""
        try:
            text = await self.voices.stt.transcribe(self._tape.cut(partial.start_ms - PAD_MS, partial.end_ms))
        except OS1Error as exc:  # only a caption and a head start are lost; the final transcript will say
            log.warning("partial transcript failed: %s", exc.one_line())
            return
        if not text.strip() or self.turns.state is not TurnState.USER_SPEAKING:
            return  # silence after all, or the turn ended while Whisper worked
        self.captions(Caption("you", text, partial=True))
        if self._speculation is None:  # once the pause's read-ahead runs, the partial's is moot
            await self._read_ahead(text)

    def _speculate(self, text: str) -> None:
        """Get a head start on ``text`` while the endpoint is still undecided: the reply is written ahead
        (``Session.speculate``), and the real ``Session.send`` (which stores the words first, as every turn
        does) takes it if its prompt came out the same. Nothing is stored, played or learned before that,
        so a dropped speculation leaves no trace. Where no reply can be written ahead (a hook that cannot
        preview its note, ``write_ahead`` off) the model only reads the prompt (``llm.warm``), and the turn
        finds it in the model's cache."""
        self._drop_speculation()
        ahead = self.session.speculate(text) if self.write_ahead else None
        self._speculation = (text, ahead or asyncio.create_task(self._read_ahead(text)))

    async def _read_ahead(self, text: str) -> None:
        try:
            if (prompt := await self.session.speculative_prompt(text)) is not None:
                await self.session.llm.warm(prompt)
        except OS1Error as exc:  # only a head start was lost
            log.warning("reading ahead failed: %s", exc.one_line())

    def _drop_speculation(self) -> None:
        # llama.cpp finishes reading a prompt it has begun either way; cancelling drops what comes after it.
        if self._speculation is not None:
            self._speculation[1].cancel()
            self._speculation = None

    async def _timed_transcript(self, action: EndOfTurn) -> tuple[str, Speculation | None]:
        """The final words, and the reply written ahead for exactly them, if any."""
        self.marks = TurnMarks(end_of_turn=time.monotonic())
        self.on_turn(self.marks)
        text = await self._final_words(action)
        self._partial = None
        self.marks.text = text
        self.marks.mark("transcript")
        speculated = action.speculated and self._speculation is not None and self._speculation[0] == text
        if not speculated:
            self._drop_speculation()
        ahead = self._speculation[1] if self._speculation is not None else None
        self._speculation = None  # used (goes on for the reply) or dropped: the next turn's is new
        self.marks.speculated = speculated
        return text, ahead if isinstance(ahead, Speculation) else None

    async def _final_words(self, action: EndOfTurn) -> str:
        """The utterance's words: the pause's transcript when nothing was said since (awaited if it is
        still being made), else a new one."""
        if self._pause_words is not None:
            pause, task = self._pause_words
            self._pause_words = None
            if (pause.start_ms, pause.end_ms) == (action.start_ms, action.end_ms):
                return await task
        return await self._transcribe(action.start_ms, action.end_ms)

    def _duck(self, hold: bool) -> None:
        """Hold the OS's voice at the first strong frames of possible barge-in, or let it go on."""
        if hold:
            self.speaker.hold()
        else:
            self.speaker.release()
            self.false_ducks += 1
        if self.marks is not None:
            self.marks.ducked_at = time.monotonic() if hold else None

    def _begin_turn(self, text: str) -> None:
        if self._start_reply(text, self._ahead) is None and self.marks is not None:
            self.marks.ended = True  # nothing heard: back to listening

    def _delta_arrived(self, delta: str) -> None:
        if self.marks is not None and self.marks.first_token is None:
            self.marks.mark("first_token")
            self.marks.written_ahead = self._ahead is not None and self._ahead.taken

    async def _speak(self, sentence: str, reply: SpokenReply) -> None:
        """Synthesize one sentence and queue it at once: the OS starts talking after its first sentence."""
        if self.marks is not None and self.marks.first_sentence is None:
            self.marks.mark("first_sentence")
            self.marks.first_chunk = sentence
        audio = (await self.voices.tts.synthesize(sentence)).at_rate(self.speaker.rate)
        if reply is not self._reply:
            return  # cut while it was being synthesized
        reply.ledger.add(sentence, len(audio.samples))
        self.speaker.write(audio.samples)
        if self.marks is not None:
            self.marks.mark("first_audio")
        if self.turns.state is TurnState.THINKING:
            self.turns.reply_started()

    async def _advance_playback(self, now_ms: int) -> None:
        reply, producer = self._reply, self._producer
        if reply is None or producer is None:
            return
        self._note_first_sample()
        played_out = reply.all_queued.is_set() and self.speaker.pending == 0
        if played_out or producer.done():  # done before all was queued: it failed
            await self._end_reply(now_ms)
            self.turns.reply_finished()

    def _note_first_sample(self) -> None:
        if self.marks is not None and self.marks.first_played is None and self.speaker.played:
            self.marks.first_played = self.speaker.first_played_at

    async def _end_reply(self, now_ms: int) -> None:
        """Playback is over (played out, or cut now): the Session stores what was heard."""
        reply, producer = self._reply, self._producer
        self._reply = self._producer = None
        if reply is None or producer is None:
            return
        self._note_first_sample()
        played = self.speaker.stop()
        reply.end(played)
        if not reply.all_queued.is_set():
            producer.cancel()  # still writing: stop the LLM; the Session stores the reply as far as it was heard
        for outcome in await asyncio.gather(producer, return_exceptions=True):
            if isinstance(outcome, Exception):
                log.error("spoken reply failed", exc_info=outcome)
        if played:
            self.captions(Caption("os", reply.heard_text, interrupted=played < reply.ledger.total_samples))
        self._close_marks()
        self._warm_next_turn()

    def _close_marks(self) -> None:
        if self.marks is not None:
            self.marks.ended = True
            log.info("voice turn: %s", self.marks.summary())
        self._ahead = None  # the reply is over: its buffer need not outlive it
