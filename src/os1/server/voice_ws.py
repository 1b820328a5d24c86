"""Audio over ``/v1/realtime`` (docs/protocol.md "Audio"): the engine's real-time voice conversation
(``engine/realtime.py``: Silero VAD, turn-taking with barge-in, Whisper, the Session's spoken delivery, hibari)
with the microphone arriving as ``input_audio_buffer.append`` events and the OS's voice leaving as
``response.output_audio.delta`` events. Nothing of the pipeline is repeated here, only the socket's edges.

The client plays the audio, so the server cannot see it played; it sends it paced by the microphone's clock
(the client streams its microphone continuously, silence included), at most ``LEAD_MS`` ahead, and takes
what left more than that long ago as heard. A client that knows better says so with
``conversation.item.truncate`` (``audio_end_ms``) while the reply is still running.

The browser cancels its own echo (``getUserMedia``'s ``echoCancellation``), but other clients may not, so the
server cancels it too: the voice it sends is the reference, released at the microphone's pace (the client
plays it as it comes, ``LEAD_MS`` at most after it left), and each connection's microphone goes through its
own canceller, made with the connection's voice and asleep (nearly free) while the OS is silent.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import numpy as np

from os1.config import Settings
from os1.core.ids import new_id
from os1.engine.realtime import RealtimeConversation
from os1.engine.session import Session
from os1.engine.speculation import Speculation
from os1.engine.voice import PAD_MS, SpokenReply, Voices, turn_config
from os1.voice import create_echo_canceller, create_stt, create_tts, create_vad
from os1.voice.audio import SPEECH_RATE, Audio, Samples
from os1.voice.base import STT, TTS
from os1.voice.chunker import SentenceChunker
from os1.voice.echo import EchoCanceller, NoEchoCanceller
from os1.voice.stream import PlaybackBuffer
from os1.voice.turns import Action, EndOfTurn, UserStarted

log = logging.getLogger(__name__)

INPUT_RATE = SPEECH_RATE  # PCM16 mono in: what the VAD and Whisper hear
OUTPUT_RATE = 24_000  # PCM16 mono out: hibari's own rate (other voices are resampled to it)
MAX_APPEND_BYTES = 64 * 1024  # decoded PCM16 per append: 2 s at 16 kHz (clients send 20-100 ms)
MAX_UTTERANCE_S = 30  # longer turns are refused: Whisper tiny hallucinates over long stretches anyway
LEAD_MS = 300  # how far ahead of the microphone's clock the OS's voice may be sent (covers network jitter)

Event = dict[str, Any]
Emit = Callable[[Event], None]
SendError = Callable[[str, str], Awaitable[None]]

_models: tuple[STT, TTS] | None = None
_models_lock = threading.Lock()


def _shared_models(settings: Settings) -> tuple[STT, TTS]:
    """Whisper and the voice, loaded once per process (seconds) and shared: each runs one call at a time
    behind its own lock. The VAD is per connection: its recurrent state belongs to one microphone."""
    global _models
    with _models_lock:
        if _models is None:
            _models = (create_stt(settings.voice_stt, settings.n_threads), create_tts(settings.voice_tts))
        return _models


async def open_socket_voices(settings: Settings) -> Voices:
    """Off the event loop: loading the models the first time takes seconds."""
    stt, tts = await asyncio.to_thread(_shared_models, settings)
    return Voices(await asyncio.to_thread(create_vad, settings.voice_vad), stt, tts)


def decode_pcm16(audio: object) -> Samples:
    """Base64 PCM16 little-endian mono -> float samples; ValueError says what is wrong."""
    if not isinstance(audio, str) or not audio:
        raise ValueError("\"audio\" must be base64 PCM16 mono at 16 kHz")
    try:  # events are at most 1 MiB (server/limits.py), so decoding before measuring costs little
        raw = base64.b64decode(audio, validate=True)
    except binascii.Error as exc:
        raise ValueError("\"audio\" is not valid base64") from exc
    if len(raw) > MAX_APPEND_BYTES:
        raise OverflowError(f"an append carries at most {MAX_APPEND_BYTES} bytes of audio; send smaller pieces")
    if len(raw) % 2:
        raise ValueError("PCM16 audio has an even number of bytes")
    return (np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0).astype(np.float32)


def encode_pcm16(samples: Samples) -> str:
    return base64.b64encode((np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()).decode("ascii")


class SocketSpeaker(PlaybackBuffer):
    """The OS's voice on its way to a client that plays it: ``due`` hands out what may leave as the
    microphone's clock moves on, and ``stop`` counts as played what left at least ``LEAD_MS`` ago (or what
    the client said it heard)."""

    def __init__(self, rate: int = OUTPUT_RATE) -> None:
        super().__init__(rate)
        self._lead = rate * LEAD_MS // 1000
        self._credit = self._lead
        self._heard_clock = 0  # output samples' worth of microphone time since this reply's first audio left
        self._heard_cap: int | None = None
        self.last_heard = 0  # what the last ``stop`` counted as played

    def due(self, mic_samples: int) -> Samples:
        """What may leave now that ``mic_samples`` more of the microphone arrived; nothing while held."""
        elapsed = mic_samples * self.rate // INPUT_RATE
        if self.played:
            self._heard_clock += elapsed
        self._credit = min(self._lead, self._credit + elapsed)
        count = min(self._credit, super().pending)
        if self.held_at is not None or count <= 0:
            return np.zeros(0, np.float32)
        self._credit -= count
        return self.pull(count)

    @property
    def pending(self) -> int:
        """Not yet sent, plus sent but (by the clock) not yet played: the reply is over once this is 0."""
        return super().pending + max(0, self.played - self._heard_clock)

    def cap_heard(self, samples: int) -> None:
        self._heard_cap = max(0, samples)

    def stop(self) -> int:
        sent = super().stop()
        heard = min(sent, self._heard_clock if self._heard_cap is None else self._heard_cap)
        self._heard_clock, self._heard_cap, self.last_heard = 0, None, heard
        return heard


class SocketVoice(RealtimeConversation):
    """One connection's spoken conversation: the engine's, with events emitted at its edges."""

    def __init__(self, session: Session, voices: Voices, settings: Settings, emit: Emit,
                 turn_lock: asyncio.Lock, echo: EchoCanceller | None = None) -> None:
        self.socket_speaker = SocketSpeaker()
        super().__init__(session, voices, self.socket_speaker, turn_config(settings),
                         write_ahead=settings.voice_write_ahead)
        self.emit, self.turn_lock = emit, turn_lock
        self.echo = echo or NoEchoCanceller()
        self.response_id: str | None = None
        self._item_id = new_id("item")
        self._mic: asyncio.Queue[Samples | None] = asyncio.Queue()
        self._task = asyncio.create_task(self.run(self._microphone()))

    async def _microphone(self) -> AsyncIterator[Samples]:
        while (chunk := await self._mic.get()) is not None:
            yield chunk

    def append(self, samples: Samples) -> None:
        self._mic.put_nowait(samples)

    async def aclose(self) -> None:
        self._mic.put_nowait(None)
        await asyncio.gather(self._task, return_exceptions=True)

    async def hear(self, chunk: Samples) -> None:
        await super().hear(self.echo.captured(Audio(chunk, INPUT_RATE)).samples)
        # Older audio can never be part of an utterance that is accepted: a long session keeps only this.
        self._tape.forget_before(self.now_ms - MAX_UTTERANCE_S * 1000 - 2 * PAD_MS)
        audio = self.socket_speaker.due(len(chunk))
        if len(audio) and self.response_id is not None:
            self.emit({"type": "response.output_audio.delta", "response_id": self.response_id,
                       "delta": encode_pcm16(audio)})
            self.echo.played(Audio(audio, OUTPUT_RATE))

    async def _act(self, action: Action, now_ms: int) -> None:
        if isinstance(action, UserStarted):
            self._item_id = new_id("item")
            self.emit({"type": "input_audio_buffer.speech_started", "audio_start_ms": action.at_ms,
                       "item_id": self._item_id})
        elif isinstance(action, EndOfTurn):
            self.emit({"type": "input_audio_buffer.speech_stopped", "audio_end_ms": action.end_ms,
                       "item_id": self._item_id})
            self.emit({"type": "input_audio_buffer.committed", "item_id": self._item_id})
            if action.end_ms - action.start_ms > MAX_UTTERANCE_S * 1000:
                self.emit(_error("too_large", f"an utterance is at most {MAX_UTTERANCE_S} s; pause now and then"))
                self._drop_speculation()
                self.turns.reply_failed()
                return
        await super()._act(action, now_ms)

    def _begin_turn(self, text: str) -> None:
        self.emit({"type": "conversation.item.input_audio_transcription.completed", "item_id": self._item_id,
                   "content_index": 0, "transcript": text})
        if text:
            self.response_id = new_id("resp")
            self.emit({"type": "response.created", "response": {"id": self.response_id, "status": "in_progress"}})
        super()._begin_turn(text)

    def _delta_arrived(self, delta: str) -> None:
        super()._delta_arrived(delta)
        if self.response_id is not None:
            self.emit({"type": "response.output_text.delta", "response_id": self.response_id, "delta": delta})

    async def _produce(self, text: str, chunker: SentenceChunker, reply: SpokenReply,
                       ahead: Speculation | None = None) -> None:
        async with self.turn_lock:  # one turn at a time per user, spoken or written, on any connection
            await super()._produce(text, chunker, reply, ahead)

    async def _end_reply(self, now_ms: int) -> None:
        reply, response_id = self._reply, self.response_id
        await super()._end_reply(now_ms)
        self.echo.playback_stopped()  # a client stops playing at a barge-in or a cancel, dropping what it had
        if reply is None or response_id is None:
            return
        self.response_id = None
        played_out = reply.all_queued.is_set() and self.socket_speaker.last_heard >= reply.ledger.total_samples
        self.emit({"type": "response.output_audio.done", "response_id": response_id})
        self.emit(_done(response_id, "completed" if played_out else "cancelled", reply.heard_text))

    async def stop_reply(self, heard_ms: int | None = None) -> bool:
        """``response.cancel`` or ``conversation.item.truncate``: stop the reply, stored as far as it was
        heard (``heard_ms`` of its audio, when the client says). False when no reply is running."""
        if self._reply is None:
            return False
        if heard_ms is not None:
            self.socket_speaker.cap_heard(heard_ms * OUTPUT_RATE // 1000)
        await self._end_reply(self.now_ms)
        self.turns.reply_finished()
        return True


def _error(code: str, message: str) -> Event:
    return {"type": "error", "error": {"type": "invalid_request_error", "code": code, "message": message}}


def _done(response_id: str, status: str, heard: str) -> Event:
    content = [{"type": "output_audio", "transcript": heard}, {"type": "output_text", "text": heard}]
    return {"type": "response.done", "response": {
        "id": response_id, "status": status,
        "output": [{"type": "message", "role": "assistant", "content": content}]}}


class VoiceChannel:
    """The audio side of one ``/v1/realtime`` connection; the voice starts at the first append."""

    def __init__(self, settings: Settings, open_session: Callable[[], Awaitable[Session]],
                 turn_lock: asyncio.Lock, send: Callable[[Event], Awaitable[None]]) -> None:
        self.settings, self._open_session, self._turn_lock = settings, open_session, turn_lock
        self._outbox: asyncio.Queue[Event] = asyncio.Queue()
        self._writer = asyncio.create_task(self._write(send))
        self.voice: SocketVoice | None = None

    async def _write(self, send: Callable[[Event], Awaitable[None]]) -> None:
        """Voice events leave in the order they happened, from a task of their own (the pipeline is sync
        where it notices them)."""
        while True:
            await send(await self._outbox.get())

    async def append(self, event: Event) -> None:
        try:
            samples = decode_pcm16(event.get("audio"))
        except OverflowError as exc:
            self._outbox.put_nowait(_error("too_large", str(exc)))
            return
        except ValueError as exc:
            self._outbox.put_nowait(_error("invalid_event", str(exc)))
            return
        if self.voice is None:
            voices = await open_socket_voices(self.settings)
            # Off the event loop: the first one loads livekit's library (a few hundred milliseconds).
            echo = await asyncio.to_thread(create_echo_canceller, self.settings.voice_echo_cancel, LEAD_MS)
            self.voice = SocketVoice(await self._open_session(), voices, self.settings, self._outbox.put_nowait,
                                     self._turn_lock, echo)
        self.voice.append(samples)

    async def truncate(self, event: Event) -> None:
        """The client heard ``audio_end_ms`` of the running reply; after the reply ended it changes nothing
        (it was stored as far as it had left more than ``LEAD_MS`` before the end)."""
        heard = event.get("audio_end_ms")
        if not isinstance(heard, int) or heard < 0:
            self._outbox.put_nowait(_error("invalid_event", "\"audio_end_ms\" must be a whole number ≥ 0"))
            return
        if self.voice is not None:
            await self.voice.stop_reply(heard)

    async def cancel(self) -> bool:
        """Stop the spoken reply if one is running."""
        return self.voice is not None and await self.voice.stop_reply()

    async def aclose(self) -> None:
        """The connection ended, or its conversation changed: the voice stops; the next append starts anew."""
        if self.voice is not None:
            voice, self.voice = self.voice, None
            await voice.aclose()
        for _ in range(100):  # let the writer send what the voice said last (at most a second)
            if self._outbox.empty() or self._writer.done():
                break
            await asyncio.sleep(0.01)

    async def shutdown(self) -> None:
        await self.aclose()
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer
