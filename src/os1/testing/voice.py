"""Fakes of the voice interfaces (VAD, STT, TTS) for fast tests without models: loudness is speech, a
script is the transcript, and a tone as long as the words is the voice."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from os1.voice.audio import SPEECH_RATE, Audio


class EnergyVAD:
    """Speech probability from loudness: RMS at ``level`` or above is certain speech."""

    name = "energy"
    rate = SPEECH_RATE
    frame_samples = 512

    def __init__(self, level: float = 0.1) -> None:
        self.level = level

    def probability(self, frame: Audio) -> float:
        rms = float(np.sqrt(np.mean(np.square(frame.samples)))) if len(frame.samples) else 0.0
        return min(1.0, rms / self.level)

    def reset(self) -> None:
        return None


class ScriptedSTT:
    """Hears the script's lines in order (then the last one again); records every clip it was given."""

    name = "scripted"

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = list(lines)
        self.heard: list[Audio] = []

    async def transcribe(self, speech: Audio) -> str:
        self.heard.append(speech)
        return self.lines[min(len(self.heard), len(self.lines)) - 1] if self.lines else ""


class ToneTTS:
    """A 440 Hz tone, ``word_s`` seconds per word: how much of a reply was played maps to its words."""

    name = "tone"

    def __init__(self, word_s: float = 0.25, rate: int = SPEECH_RATE) -> None:
        self.word_s = word_s
        self.rate = rate
        self.spoken: list[str] = []

    async def synthesize(self, text: str) -> Audio:
        self.spoken.append(text)
        return tone(len(text.split()) * self.word_s, self.rate)


def tone(seconds: float, rate: int = SPEECH_RATE, amplitude: float = 0.5) -> Audio:
    t = np.arange(round(seconds * rate)) / rate
    return Audio((amplitude * np.sin(2 * np.pi * 440 * t)).astype(np.float32), rate)
