"""Audio in motion: the speaker's queue that a sound card pulls from, and re-blocking of microphone chunks
into the VAD's frame size. No clocks of their own and no sound card: live mode and the benchmark drive them."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

import numpy as np

from os1.voice.audio import Samples

# A held or resumed voice fades over this long rather than jumping to silence (a click) or back.
FADE_MS = 5


class PlaybackBuffer:
    """What the OS is about to say, pulled block by block by the output (a sound card's callback thread, or
    a paced task in the benchmark). Thread-safe: the engine writes from the event loop while the card reads.

    Counts are per reply: ``stop`` drops what is left and starts the count again, so ``played`` is how much
    of the current reply reached the output, and ``first_played_at`` when its first sample did. ``hold``
    silences the output without dropping anything (a provisional barge-in); ``release`` goes on from there.
    """

    def __init__(self, rate: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self._clock = clock
        self._lock = threading.Lock()
        self._queue: deque[Samples] = deque()
        self._offset = 0  # samples of the queue's first block already pulled
        self._pending = 0
        self._played = 0
        self.first_played_at: float | None = None
        self.stopped_at: float | None = None
        self.held_at: float | None = None  # when the last hold began (None while not held)
        self._fade = max(1, rate * FADE_MS // 1000)
        self._fade_out = self._fade_in = False  # the next pull fades out (just held) or in (just released)

    def write(self, samples: Samples) -> None:
        if len(samples) == 0:
            return
        with self._lock:
            self._queue.append(samples.astype(np.float32, copy=False))
            self._pending += len(samples)

    def pull(self, count: int) -> Samples:
        """The next ``count`` samples for the output; silence where nothing is queued (an underrun)."""
        out = np.zeros(count, np.float32)
        with self._lock:
            if self.held_at is not None and not self._fade_out:
                return out  # held: nothing leaves the queue
            wanted = min(count, self._fade) if self._fade_out else count
            filled = self._take(out, wanted)
            self._shape(out[:filled])
            if filled and self._played == 0:
                self.first_played_at = self._clock()
            self._played += filled
            self._pending -= filled
        return out

    def _take(self, out: Samples, count: int) -> int:
        filled = 0
        while filled < count and self._queue:
            block = self._queue[0]
            take = min(count - filled, len(block) - self._offset)
            out[filled: filled + take] = block[self._offset: self._offset + take]
            filled, self._offset = filled + take, self._offset + take
            if self._offset == len(block):
                self._queue.popleft()
                self._offset = 0
        return filled

    def _shape(self, taken: Samples) -> None:
        """Fade the samples just taken out (after a hold) or in (after a release), once."""
        if self._fade_out:
            taken *= np.linspace(1.0, 0.0, len(taken), dtype=np.float32)
            self._fade_out = False
        elif self._fade_in and len(taken):
            ramp = min(len(taken), self._fade)
            taken[:ramp] *= np.linspace(0.0, 1.0, ramp, dtype=np.float32)
            self._fade_in = False

    def hold(self) -> None:
        """Silence the output at once (after a few milliseconds' fade), keeping what is queued."""
        with self._lock:
            if self.held_at is None:
                self.held_at = self._clock()
                self._fade_out, self._fade_in = True, False

    def release(self) -> None:
        """Go on playing from where ``hold`` stopped."""
        with self._lock:
            if self.held_at is not None:
                self.held_at = None
                self._fade_out, self._fade_in = False, True

    def stop(self) -> int:
        """Silence now: drop what is queued. Returns how many samples of the reply were played."""
        with self._lock:
            played = self._played
            self._queue.clear()
            self._offset = self._pending = self._played = 0
            self.stopped_at = self._clock()
            self.held_at, self._fade_out, self._fade_in = None, False, False
        return played

    @property
    def pending(self) -> int:
        """Samples written but not yet pulled."""
        with self._lock:
            return self._pending

    @property
    def played(self) -> int:
        with self._lock:
            return self._played


class FrameBlocker:
    """Microphone chunks of any size in, frames of exactly ``size`` samples out (the VAD's 512)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._rest = np.zeros(0, np.float32)

    def push(self, chunk: Samples) -> list[Samples]:
        data = np.concatenate([self._rest, chunk.astype(np.float32, copy=False)])
        whole = len(data) // self.size * self.size
        self._rest = data[whole:]
        return [data[i: i + self.size] for i in range(0, whole, self.size)]
