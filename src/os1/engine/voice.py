"""Spoken conversation: microphone frames -> VAD -> turn-taking -> STT -> the Session (the same turn flow as
`os1 chat`) -> sentence chunks -> TTS -> playback, with barge-in. File mode runs it on a recording, on the
recording's own timeline: the models' compute takes no time there, so a run is exactly repeatable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

import numpy as np

from os1.config import Settings
from os1.core.errors import OS1Error
from os1.engine.session import Session
from os1.engine.speculation import Speculation
from os1.voice import create_stt, create_tts, create_vad
from os1.voice.audio import SPEECH_RATE, Audio, concat, silence
from os1.voice.base import STT, TTS, VAD
from os1.voice.chunker import SentenceChunker
from os1.voice.playback import PlaybackLedger
from os1.voice.turns import (
    Action,
    DuckPlayback,
    EndOfTurn,
    Pause,
    ResumePlayback,
    StopPlayback,
    TurnConfig,
    TurnState,
    TurnTaker,
)

log = logging.getLogger(__name__)

# VAD onsets and ends clip soft consonants: give STT a little audio on both sides of the utterance.
PAD_MS = 200
# A gap between replies in the written file, so they do not run together.
GAP_S = 0.3
# File mode plays a reply out for at most this long after the recording ends.
MAX_REPLY_S = 600


@dataclass(frozen=True, slots=True)
class Voices:
    vad: VAD
    stt: STT
    tts: TTS


@dataclass(frozen=True, slots=True)
class Caption:
    speaker: str  # "you" or "os"
    text: str
    interrupted: bool = False
    partial: bool = False  # the user's words so far, while they are still speaking (a later caption replaces it)


CaptionSink = Callable[[Caption], None]


def open_voices(settings: Settings) -> Voices:
    """The backends the settings name (loading takes about a second; run it off the event loop)."""
    return Voices(create_vad(settings.voice_vad), create_stt(settings.voice_stt, settings.n_threads),
                  create_tts(settings.voice_tts))


def turn_config(settings: Settings) -> TurnConfig:
    return TurnConfig(endpoint_silence_ms=settings.endpoint_silence_ms,
                      complete_silence_ms=min(settings.endpoint_complete_ms, settings.endpoint_silence_ms),
                      barge_in_ms=settings.barge_in_ms, partial_ms=settings.partial_transcript_ms)


class SpokenReply:
    """The Session's Delivery for one spoken reply: the reply is complete only once it was played out."""

    def __init__(self, speak_rest: Callable[[], Awaitable[None]]) -> None:
        self.ledger = PlaybackLedger()
        self.all_queued = asyncio.Event()
        self._speak_rest = speak_rest
        self._done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._played = 0

    async def finished(self) -> bool:
        await self._speak_rest()  # the last words never meet a sentence boundary: speak them now
        self.all_queued.set()
        return await self._done

    def heard(self, sent: str) -> str:
        return self.heard_text

    @property
    def heard_text(self) -> str:
        return self.ledger.heard(self._played)

    def end(self, played_samples: int) -> None:
        self._played = played_samples
        if not self._done.done():
            self._done.set_result(played_samples >= self.ledger.total_samples)


class TimelinePlayer:
    """Playback on the microphone's timeline (file mode and tests): audio "plays" as the clock advances."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._parts: list[Audio] = []
        self._start_ms: int | None = None
        self._held_ms: int | None = None  # when a provisional barge-in held the voice

    def start(self, now_ms: int, parts: list[Audio]) -> None:
        self._parts, self._start_ms, self._held_ms = parts, now_ms, None

    def hold(self, now_ms: int) -> None:
        if self._start_ms is not None and self._held_ms is None:
            self._held_ms = now_ms

    def release(self, now_ms: int) -> None:
        """Go on from where it was held: the timeline moved on, the voice did not."""
        if self._start_ms is not None and self._held_ms is not None:
            self._start_ms += now_ms - self._held_ms
            self._held_ms = None

    @property
    def playing(self) -> bool:
        return self._start_ms is not None

    def played(self, now_ms: int) -> int:
        if self._start_ms is None:
            return 0
        until = now_ms if self._held_ms is None else min(now_ms, self._held_ms)
        return min(self.total, (until - self._start_ms) * self.rate // 1000)

    @property
    def total(self) -> int:
        return sum(len(p.samples) for p in self._parts)

    def stop(self, now_ms: int) -> Audio:
        """Stop; the audio that was played."""
        played = concat(self._parts, self.rate).samples[: self.played(now_ms)]
        self._parts, self._start_ms, self._held_ms = [], None, None
        return Audio(played, self.rate)


class MicTape:
    """The microphone's audio so far, addressable by time (milliseconds on its own clock)."""

    def __init__(self, rate: int = SPEECH_RATE) -> None:
        self.rate = rate
        self._frames: list[np.ndarray] = []
        self._samples = 0
        self._dropped = 0  # samples forgotten from the start (``forget_before``)

    def append(self, frame: Audio) -> None:
        self._frames.append(frame.samples)
        self._samples += len(frame.samples)

    def forget_before(self, ms: int) -> None:
        """Drop whole frames that end before ``ms``: a connection that listens for hours must not keep it all."""
        limit = ms * self.rate // 1000
        while self._frames and self._dropped + len(self._frames[0]) <= limit:
            self._dropped += len(self._frames.pop(0))

    def cut(self, start_ms: int, end_ms: int) -> Audio:
        every = np.concatenate(self._frames) if self._frames else np.zeros(0, np.float32)
        first = max(0, start_ms * self.rate // 1000 - self._dropped)
        last = max(0, end_ms * self.rate // 1000 - self._dropped)
        return Audio(every[first:last].astype(np.float32), self.rate)


class VoiceConversation:
    """One spoken conversation over a Session. ``run_file`` answers the speech in a recording."""

    def __init__(self, session: Session, voices: Voices, turns: TurnConfig | None = None,
                 captions: CaptionSink | None = None) -> None:
        self.session = session
        self.voices = voices
        self.turns = TurnTaker(turns)
        self.captions = captions or (lambda caption: None)
        self.spoken: list[Audio] = []  # what the OS said, as played
        self._tape = MicTape()
        self._player = TimelinePlayer(voices.tts.rate)
        self._reply: SpokenReply | None = None
        self._producer: asyncio.Task[None] | None = None
        self._parts: list[Audio] = []
        self._partial: tuple[int, int, str] | None = None  # (start_ms, end_ms, text) of the last transcript

    async def run_file(self, recording: Audio) -> Audio:
        """Answer every utterance in ``recording``; returns the OS's voice as played (cut at barge-ins)."""
        samples = recording.at_rate(SPEECH_RATE).samples
        for now_ms, frame in self._file_frames(samples):
            await self.on_frame(now_ms, frame)
        return self._written()

    def _file_frames(self, samples: np.ndarray) -> Iterator[tuple[int, Audio]]:
        """The recording in VAD frames, then silence until the last turn has ended and its reply was played
        (bounded: a reply is at most a few minutes of speech)."""
        size = self.voices.vad.frame_samples
        config = self.turns.config
        after = (config.endpoint_silence_ms + config.unfinished_extra_ms + 2 * config.frame_ms) * SPEECH_RATE // 1000
        limit = len(samples) + after + MAX_REPLY_S * SPEECH_RATE
        i = 0
        while i < len(samples) + after or (self.turns.state is not TurnState.LISTENING and i < limit):
            chunk = samples[i: i + size]
            i += size
            yield i * 1000 // SPEECH_RATE, Audio(np.pad(chunk, (0, size - len(chunk))).astype(np.float32), SPEECH_RATE)

    async def on_frame(self, now_ms: int, frame: Audio) -> None:
        self._tape.append(frame)
        await self._advance_playback(now_ms)
        for action in self.turns.on_vad(now_ms, self.voices.vad.probability(frame)):
            await self._act(action, now_ms)

    async def _act(self, action: Action, now_ms: int) -> None:
        if isinstance(action, Pause):
            # Speculating would gain nothing: compute takes no time on the recording's timeline.
            self.turns.on_transcript(await self._transcribe(action.start_ms, action.end_ms), action)
        elif isinstance(action, EndOfTurn):
            await self._answer(await self._transcribe(action.start_ms, action.end_ms), now_ms)
            self._partial = None
        elif isinstance(action, DuckPlayback):
            self._player.hold(action.at_ms)
        elif isinstance(action, ResumePlayback):
            self._player.release(now_ms)
        elif isinstance(action, StopPlayback):
            await self._end_reply(action.at_ms)
        # UserStarted, Partial and Speculate need nothing here (file mode captions whole utterances only);
        # CancelReply and CancelSpeculation cannot happen: replies are ready at once in file mode, and
        # nothing is speculated.

    async def _transcribe(self, start_ms: int, end_ms: int) -> str:
        """The words from ``start_ms`` to ``end_ms``. The transcript made at the pause is reused when the
        user said nothing more: the final transcript is then ready the moment the turn ends."""
        if self._partial is not None and self._partial[:2] == (start_ms, end_ms):
            return self._partial[2]
        text = await self.voices.stt.transcribe(self._tape.cut(start_ms - PAD_MS, end_ms + PAD_MS))
        self._partial = (start_ms, end_ms, text)
        return text

    def _start_reply(self, text: str, ahead: Speculation | None = None) -> SpokenReply | None:
        """Start writing and speaking the answer to ``text`` in a task (taking the reply ``ahead`` written
        for it if it fits the turn); None when nothing was heard."""
        if not text:
            if ahead is not None:
                ahead.cancel()
            self.turns.reply_failed()
            return None
        self.captions(Caption("you", text))
        self._parts = []
        chunker = SentenceChunker()
        reply = self._reply = SpokenReply(lambda: self._speak_rest(chunker, reply))
        self._producer = asyncio.create_task(self._produce(text, chunker, reply, ahead))
        return reply

    async def _answer(self, text: str, now_ms: int) -> None:
        """File mode: the whole reply is written and synthesized before it starts playing (compute takes
        no time on the recording's timeline)."""
        reply = self._start_reply(text)
        if reply is None or self._producer is None:
            return
        queued = asyncio.create_task(reply.all_queued.wait())
        await asyncio.wait({self._producer, queued}, return_when=asyncio.FIRST_COMPLETED)
        queued.cancel()
        if self._producer.done() or not self._parts:  # it failed, or there is nothing to say
            await self._end_reply(now_ms)
            self.turns.reply_failed()
            return
        self._player.start(now_ms, self._parts)
        self.turns.reply_started()

    async def _produce(self, text: str, chunker: SentenceChunker, reply: SpokenReply,
                       ahead: Speculation | None = None) -> None:
        try:
            async with contextlib.aclosing(self.session.send(text, reply, ahead)) as deltas:
                async for delta in deltas:
                    self._delta_arrived(delta)
                    for sentence in chunker.push(delta):
                        await self._speak(sentence, reply)
        except OS1Error as exc:
            log.warning("spoken reply failed: %s", exc.one_line())
            self.captions(Caption("os", f"(could not answer: {exc.one_line()})", interrupted=True))

    def _delta_arrived(self, delta: str) -> None:
        """A piece of the reply came from the LLM (the real-time driver notes when the first one did, the
        server sends it on as text)."""

    async def _speak_rest(self, chunker: SentenceChunker, reply: SpokenReply) -> None:
        for sentence in chunker.flush():
            await self._speak(sentence, reply)

    async def _speak(self, sentence: str, reply: SpokenReply) -> None:
        audio = await self.voices.tts.synthesize(sentence)
        audio = audio.at_rate(self._player.rate)
        reply.ledger.add(sentence, len(audio.samples))
        self._parts.append(audio)

    async def _advance_playback(self, now_ms: int) -> None:
        if self._player.playing and self._player.played(now_ms) >= self._player.total:
            await self._end_reply(now_ms)
            self.turns.reply_finished()

    async def _end_reply(self, now_ms: int) -> None:
        """Playback ended (played out, or cut at ``now_ms``): the Session stores what was heard."""
        played = self._player.stop(now_ms)
        reply, producer = self._reply, self._producer
        self._reply = self._producer = None
        if reply is None or producer is None:
            return
        reply.end(len(played.samples))
        await producer
        if len(played.samples):
            self.spoken.append(played)
            interrupted = len(played.samples) < reply.ledger.total_samples
            self.captions(Caption("os", reply.heard_text, interrupted=interrupted))

    def _written(self) -> Audio:
        rate = self._player.rate
        gaps = [part for audio in self.spoken for part in (audio, silence(GAP_S, rate))]
        return concat(gaps[:-1], rate)
