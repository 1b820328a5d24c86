"""A sound card made of the wall clock, for measuring the real-time conversation without one: a microphone
that delivers recordings in 20 ms chunks at their real pace (silence in between), and an output that
takes 20 ms of the PlaybackBuffer every 20 ms. Both keep to deadlines from their start, so a late wake-up
is caught up rather than stretching the timeline, exactly like a card's callbacks."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable

import numpy as np

from os1.voice.audio import SPEECH_RATE, Samples
from os1.voice.stream import PlaybackBuffer

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
CHUNK_MS = 20


class PacedMicrophone:
    """``say`` queues a recording; ``chunks`` yields what the microphone hears, chunk by chunk, on time."""

    def __init__(self, rate: int = SPEECH_RATE, chunk_ms: int = CHUNK_MS, clock: Clock = time.monotonic,
                 sleep: Sleep = asyncio.sleep) -> None:
        self.rate = rate
        self.chunk = rate * chunk_ms // 1000
        self._clock, self._sleep = clock, sleep
        self._queue: deque[tuple[Samples, asyncio.Future[int]]] = deque()
        self._offset = 0  # samples of the first queued recording already heard
        self._heard = 0  # samples delivered since the start
        self._closed = False
        self.started_at: float | None = None

    def say(self, samples: Samples) -> asyncio.Future[int]:
        """Queue a recording; the future gives the index (on the microphone's timeline) of its first sample."""
        start: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._queue.append((samples.astype(np.float32, copy=False), start))
        return start

    def time_of(self, index: int) -> float:
        """When sample ``index`` of the timeline was captured (monotonic seconds)."""
        if self.started_at is None:
            raise RuntimeError("the microphone has not started")
        return self.started_at + index / self.rate

    def close(self) -> None:
        """End the stream after the chunk being delivered."""
        self._closed = True

    async def chunks(self) -> AsyncIterator[Samples]:
        self.started_at = self._clock()
        while not self._closed:
            # A chunk is there once its last sample has been captured.
            due = self.time_of(self._heard + self.chunk)
            await self._sleep(max(0.0, due - self._clock()))
            yield self._next_chunk()

    def _next_chunk(self) -> Samples:
        out = np.zeros(self.chunk, np.float32)
        filled = 0
        while filled < self.chunk and self._queue:
            samples, start = self._queue[0]
            if self._offset == 0 and not start.done():
                start.set_result(self._heard + filled)
            take = min(self.chunk - filled, len(samples) - self._offset)
            out[filled: filled + take] = samples[self._offset: self._offset + take]
            filled, self._offset = filled + take, self._offset + take
            if self._offset == len(samples):
                self._queue.popleft()
                self._offset = 0
        self._heard += self.chunk
        return out


class PacedOutput:
    """Takes ``block_ms`` of the buffer every ``block_ms`` until cancelled, as a sound card's callback does."""

    def __init__(self, buffer: PlaybackBuffer, block_ms: int = CHUNK_MS, clock: Clock = time.monotonic,
                 sleep: Sleep = asyncio.sleep) -> None:
        self.buffer = buffer
        self.block = buffer.rate * block_ms // 1000
        self._clock, self._sleep = clock, sleep
        self.blocks = 0

    async def run(self) -> None:
        started = self._clock()
        while True:
            self.buffer.pull(self.block)
            self.blocks += 1
            due = started + self.blocks * self.block / self.buffer.rate
            await self._sleep(max(0.0, due - self._clock()))
