"""Silero VAD v6, streamed: the ONNX model that ships inside faster-whisper, run directly with onnxruntime.

The model is recurrent: each 512-sample frame (32 ms at 16 kHz) is fed with the 64 samples before it as
context, and its LSTM state (h, c) carries over to the next frame. faster-whisper itself only runs it over
whole files; a live microphone needs the state kept between calls, which is what this class does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from os1.core.errors import ModelError
from os1.voice.audio import SPEECH_RATE, Audio

FRAME = 512
CONTEXT = 64
STATE_SHAPE = (1, 1, 128)


def silero_path() -> Path:
    try:
        from faster_whisper.utils import get_assets_path
    except ImportError as exc:
        raise ModelError("faster-whisper is not installed (it carries the Silero VAD model)",
                         "run `bash scripts/install.sh`") from exc
    return Path(get_assets_path()) / "silero_vad_v6.onnx"


class SileroVAD:
    name = "silero"
    rate = SPEECH_RATE
    frame_samples = FRAME

    def __init__(self, path: Path | None = None) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        # One thread: a frame is ~0.2 ms of work; more threads only add wake-up latency and contention.
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        options.log_severity_level = 4
        self._session: Any = onnxruntime.InferenceSession(
            str(path or silero_path()), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros(STATE_SHAPE, np.float32)
        self._c = np.zeros(STATE_SHAPE, np.float32)
        self._context = np.zeros(CONTEXT, np.float32)

    def probability(self, frame: Audio) -> float:
        samples = frame.at_rate(SPEECH_RATE).samples
        if len(samples) != FRAME:
            raise ValueError(f"Silero VAD takes frames of {FRAME} samples at 16 kHz, got {len(samples)}")
        window = np.concatenate([self._context, samples])[None, :].astype(np.float32)
        prob, self._h, self._c = self._session.run(None, {"input": window, "h": self._h, "c": self._c})
        self._context = samples[-CONTEXT:].copy()
        return float(np.asarray(prob).reshape(-1)[0])
