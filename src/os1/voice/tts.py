"""Text to speech backends: hibari (default, voice "heart" in the package), piper (optional extra, GPL),
and the flite / espeak-ng programs when they are installed."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import numpy as np

from os1.core.errors import ModelError
from os1.voice.audio import Audio


class HibariTTS:
    """Kokoro-distilled 6M-parameter voice, ~70x realtime on one core, 24 kHz."""

    name = "hibari"

    def __init__(self, voice: str = "heart", seed: int | None = 0) -> None:
        try:
            from hibari import Hibari
        except ImportError as exc:
            raise ModelError("hibari-tts is not installed", "run `bash scripts/install.sh`") from exc
        if voice != "heart":
            # Other hibari voices download from a model hub on first use: never at run time here.
            raise ModelError(f"hibari voice {voice!r} is not packaged", "use the voice heart")
        self._engine: Any = Hibari(voice=voice, threads=1)
        self.rate = int(self._engine.sample_rate)
        self._seed = seed  # fixed noise: the same text always sounds the same (and tests are repeatable)
        self._lock = threading.Lock()

    async def synthesize(self, text: str) -> Audio:
        return await asyncio.to_thread(self._synthesize, text)

    def _synthesize(self, text: str) -> Audio:
        with self._lock:
            samples = self._engine(text, seed=self._seed)
        return Audio(np.asarray(samples, dtype=np.float32), self.rate)
