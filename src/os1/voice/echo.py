"""Acoustic echo cancellation: the OS must not hear itself through the speakers.

The microphone also picks up the OS's own voice from the speaker. Turn-taking gates it (only strong,
sustained speech interrupts the OS), and a canceller removes the echo itself, so the VAD and Whisper hear
the user rather than the OS. It is told what reached the speaker (``played``: the far-end reference) and
cleans the microphone (``captured``). The livekit one is WebRTC's AEC3 (``livekit.rtc.AudioProcessingModule``):
it estimates the echo's delay and path itself and works on 10 ms frames, so this module re-blocks audio of
any length and rate into those frames and hands the two streams over in real-time order.

Two kinds of speaker, measured on a simulated room (bench/echo_cancel.py):

- a sound card hands over every block it plays, silence included. AEC3 aligns the streams itself and
  absorbs the two callbacks' jitter best when fed exactly as they came (45-60 dB with 10 ms of jitter;
  pairing frames one to one, padding late blocks with silence, lost alignment after each pause).
- the server sends its voice ahead of the client playing it, and nothing while the OS is silent. The
  reference is held back by the lead and released one frame per microphone frame, silence filling the
  gaps, which is the client's timeline. Between replies the canceller sleeps, so an idle connection costs
  nothing; it wakes on the frame where sound is due.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from typing import Any, Protocol

import numpy as np

from os1.voice.audio import Audio, Samples

FRAME_MS = 10  # WebRTC's audio processing takes exactly 10 ms per call
# After this long without any sound in the reference the echo has died away (a sent-ahead reference only).
SLEEP_AFTER_MS = 1000
SILENT = 1.0 / 32768  # below one PCM16 step a reference frame is silence
# AEC3 starting on the echo itself converges slowly (~33 dB rather than ~55 dB, measured): it first wants
# about this much of both streams, so silence is fed the first time it is needed (3-5 ms of CPU, once).
WARM_UP_MS = 300


class EchoCanceller(Protocol):
    name: str

    def played(self, audio: Audio) -> None:
        """``audio`` reached the speaker (or is on its way): the reference the echo is predicted from. Any
        rate; may be called from the sound card's thread."""
        ...

    def captured(self, audio: Audio) -> Audio:
        """The microphone's ``audio`` with the echo removed, at its own rate. Pieces that are not whole
        10 ms frames are buffered, so what comes back may be shorter or longer by less than one frame."""
        ...

    def playback_stopped(self) -> None:
        """The speaker was silenced: reference handed over but not played yet never will be."""
        ...


class NoEchoCanceller:
    """Echo cancellation off: the microphone as it is (only the turn-taker's gate keeps the echo out)."""

    name = "off"

    def played(self, audio: Audio) -> None:
        pass

    def captured(self, audio: Audio) -> Audio:
        return audio

    def playback_stopped(self) -> None:
        pass


class LivekitEchoCanceller:
    """WebRTC AEC3 through livekit. ``sent_ahead_ms``: None for a sound card (``played`` as each block is
    played, silence included); else the reference is sent that long before it plays, and not at all while
    the OS is silent (the server's socket)."""

    name = "livekit"

    def __init__(self, sent_ahead_ms: int | None = None) -> None:
        from livekit import rtc  # the factory checked it is installed

        self._rtc = rtc
        self._apm = rtc.AudioProcessingModule(echo_cancellation=True)
        self._lead = None if sent_ahead_ms is None else sent_ahead_ms // FRAME_MS
        self._lock = threading.Lock()  # ``played`` may come from the sound card's thread
        self._reference: deque[Samples] = deque()  # 10 ms frames at ``_reference_rate``, not fed yet
        self._reference_rate = 0
        self._reference_rest = np.zeros(0, np.float32)
        self._stretch: _Stretch | None = None
        self._mic_rate = 0
        self._mic_rest = np.zeros(0, np.float32)
        self._since_sound = SLEEP_AFTER_MS // FRAME_MS  # microphone frames since the reference had sound
        self._warmed = False

    # -- the speaker's side ---------------------------------------------------------------------
    def played(self, audio: Audio) -> None:
        samples, rate = audio.samples, audio.rate
        if rate % (1000 // FRAME_MS):  # e.g. 22050 Hz has no whole 10 ms frame: stretch it to 22100 Hz
            if self._stretch is None or self._stretch.source != rate:
                self._stretch = _Stretch(rate, math.ceil(rate / 100) * 100)
            samples, rate = self._stretch.push(samples), self._stretch.target
        with self._lock:
            if rate != self._reference_rate:
                self._reference.clear()
                self._reference_rest, self._reference_rate = np.zeros(0, np.float32), rate
            frames, self._reference_rest = _frames(np.concatenate([self._reference_rest, samples]), rate)
            self._reference.extend(frames)

    def playback_stopped(self) -> None:
        if self._lead is None:
            return  # a sound card hands over only what it plays: nothing queued is stale
        with self._lock:
            self._reference.clear()
            self._reference_rest = np.zeros(0, np.float32)

    def _due(self) -> list[Samples]:
        """The reference to feed before the next microphone frame: all of it for a sound card; else one
        frame per microphone frame once the lead is in line, and any surplus beyond the lead at once."""
        with self._lock:
            if self._lead is None:
                count = len(self._reference)
            else:
                count = max(len(self._reference) - self._lead, min(1, len(self._reference)))
            return [self._reference.popleft() for _ in range(count)]

    # -- the microphone's side ------------------------------------------------------------------
    def captured(self, audio: Audio) -> Audio:
        if audio.rate != self._mic_rate:
            if audio.rate % (1000 // FRAME_MS):
                raise ValueError(f"the microphone's rate must be a multiple of 100 Hz, not {audio.rate}")
            self._mic_rate, self._mic_rest = audio.rate, np.zeros(0, np.float32)
        frames, self._mic_rest = _frames(np.concatenate([self._mic_rest, audio.samples]), audio.rate)
        cleaned = [self._clean(frame) for frame in frames]
        return Audio(np.concatenate(cleaned) if cleaned else np.zeros(0, np.float32), audio.rate)

    def _clean(self, mic: Samples) -> Samples:
        due = self._due()
        if not self._reference_rate:
            return mic  # nothing was ever played: there is no echo
        sound = any(_has_sound(frame) for frame in due)
        if self._lead is not None:
            if not sound and self._since_sound >= SLEEP_AFTER_MS // FRAME_MS:
                return mic  # asleep between replies
            if not due:  # the OS sent nothing for now: the client plays silence
                due = [np.zeros(self._reference_rate * FRAME_MS // 1000, np.float32)]
        if not self._warmed:
            self._warm_up()
        for frame in due:
            self._apm.process_reverse_stream(self._frame(frame, self._reference_rate))
        self._since_sound = 0 if sound else self._since_sound + 1
        near = self._frame(mic, self._mic_rate)
        self._apm.process_stream(near)
        cleaned: Samples = np.frombuffer(near.data, np.int16).astype(np.float32) / np.float32(32768)
        return cleaned

    def _warm_up(self) -> None:
        far, near = (np.zeros(rate * FRAME_MS // 1000, np.float32) for rate in (self._reference_rate, self._mic_rate))
        for _ in range(WARM_UP_MS // FRAME_MS):
            self._apm.process_reverse_stream(self._frame(far, self._reference_rate))
            self._apm.process_stream(self._frame(near, self._mic_rate))
        self._warmed = True

    def _frame(self, samples: Samples, rate: int) -> Any:
        pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
        return self._rtc.AudioFrame(bytearray(pcm.tobytes()), rate, 1, len(pcm))


def _frames(samples: Samples, rate: int) -> tuple[list[Samples], Samples]:
    """Whole 10 ms frames, and the rest."""
    size = rate * FRAME_MS // 1000
    whole = len(samples) // size * size
    return [samples[i: i + size] for i in range(0, whole, size)], samples[whole:]


def _has_sound(frame: Samples) -> bool:
    return float(np.abs(frame).max()) >= SILENT


class _Stretch:
    """Streaming linear interpolation to a slightly higher rate, with no seams between blocks (resampling
    each block on its own would add clicks the echo does not have)."""

    def __init__(self, source: int, target: int) -> None:
        self.source, self.target = source, target
        self._step = source / target
        self._position = 0.0  # of the next output sample, in input samples after ``_last``'s index
        self._last = np.zeros(1, np.float32)

    def push(self, samples: Samples) -> Samples:
        data = np.concatenate([self._last, samples.astype(np.float32, copy=False)])
        positions = np.arange(self._position, len(data) - 1, self._step)
        self._position = (positions[-1] + self._step if len(positions) else self._position) - (len(data) - 1)
        self._last = data[-1:]
        stretched: Samples = np.interp(positions, np.arange(len(data)), data).astype(np.float32)
        return stretched
