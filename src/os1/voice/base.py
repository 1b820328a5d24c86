"""The voice backends' small interfaces: VAD, STT, TTS. Backends are chosen by name in the settings.

VAD is synchronous on purpose: one 32 ms frame costs a fraction of a millisecond, far less than a hop to
a thread. STT and TTS take tens to hundreds of milliseconds, so they are async (backends run their model in
a worker thread and the event loop stays free for the microphone and the LLM stream).
"""

from __future__ import annotations

from typing import Protocol

from os1.voice.audio import Audio


class VAD(Protocol):
    """Speech probability per fixed-size frame at ``rate``; streaming, so it keeps state between frames."""

    name: str
    rate: int
    frame_samples: int

    def probability(self, frame: Audio) -> float: ...

    def reset(self) -> None:
        """Forget the stream so far (a new conversation, or after the OS spoke and the echo state is stale)."""
        ...


class STT(Protocol):
    name: str

    async def transcribe(self, speech: Audio) -> str:
        """The words in ``speech`` (any rate; backends resample), as plain text; empty when none."""
        ...


class TTS(Protocol):
    name: str
    rate: int

    async def synthesize(self, text: str) -> Audio:
        """``text`` (one sentence, usually) spoken, mono at ``rate``."""
        ...
