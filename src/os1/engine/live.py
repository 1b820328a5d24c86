"""The sound card for live `os1 talk`: the microphone's 20 ms blocks into the real-time conversation, and
the speaker's callback pulling from its PlaybackBuffer. What the speaker plays is the echo canceller's
reference and the microphone goes through it before anything listens. Push-to-talk mutes the microphone
between presses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import numpy as np

from os1.core.errors import BackendError
from os1.voice.audio import SPEECH_RATE, Audio, Samples
from os1.voice.devices import FILE_MODE
from os1.voice.echo import EchoCanceller, NoEchoCanceller
from os1.voice.stream import PlaybackBuffer

BLOCK_MS = 20


class PushToTalk:
    """While off, the microphone delivers silence (the VAD then ends the turn as if the user stopped)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.talking = not enabled  # without push-to-talk the microphone is always open

    def toggle(self) -> bool:
        if self.enabled:
            self.talking = not self.talking
        return self.talking

    def gate(self, chunk: Samples) -> Samples:
        return chunk if self.talking else np.zeros_like(chunk)


class SoundCard:
    """``sounddevice`` (passed in, so tests can give a fake) streams: 16 kHz mono in, the voice's rate out."""

    def __init__(self, sounddevice: Any, speaker: PlaybackBuffer, push_to_talk: PushToTalk | None = None,
                 echo: EchoCanceller | None = None) -> None:
        self.sd = sounddevice
        self.speaker = speaker
        self.push_to_talk = push_to_talk or PushToTalk(enabled=False)
        self.echo = echo or NoEchoCanceller()

    async def chunks(self) -> AsyncIterator[Samples]:
        """The microphone, 20 ms at a time, until the caller stops iterating; the speaker plays meanwhile."""
        loop = asyncio.get_running_loop()
        heard: asyncio.Queue[Samples] = asyncio.Queue()

        def on_input(indata: Any, frames: int, when: Any, status: Any) -> None:
            # The card's thread: hand a copy over (PortAudio reuses its buffer) and return at once.
            loop.call_soon_threadsafe(heard.put_nowait, np.array(indata[:, 0], np.float32))

        def on_output(outdata: Any, frames: int, when: Any, status: Any) -> None:
            played = self.speaker.pull(frames)
            outdata[:, 0] = played
            self.echo.played(Audio(played, self.speaker.rate))  # silence too: the reference never skips

        with self._open(on_input, on_output):
            while True:
                # The canceller runs here on the event loop, not in the card's thread: a 20 ms block costs it
                # well under a millisecond, and the card's callbacks must return at once.
                cleaned = self.echo.captured(Audio(await heard.get(), SPEECH_RATE)).samples
                yield self.push_to_talk.gate(cleaned)

    def _open(self, on_input: Any, on_output: Any) -> Any:
        from contextlib import ExitStack

        stack = ExitStack()
        try:
            stack.enter_context(self.sd.InputStream(
                samplerate=SPEECH_RATE, channels=1, dtype="float32", blocksize=SPEECH_RATE * BLOCK_MS // 1000,
                callback=on_input))
            stack.enter_context(self.sd.OutputStream(
                samplerate=self.speaker.rate, channels=1, dtype="float32",
                blocksize=self.speaker.rate * BLOCK_MS // 1000, callback=on_output))
        except self.sd.PortAudioError as exc:
            stack.close()
            raise BackendError(f"the sound card could not be opened ({exc})", FILE_MODE) from exc
        return stack
