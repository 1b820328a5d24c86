"""Audio as mono float32 samples with their rate; WAV files in and out; resampling to 16 kHz for the models."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from os1.core.errors import InputError

Samples = npt.NDArray[np.float32]
SPEECH_RATE = 16_000  # what the VAD and Whisper expect


@dataclass(frozen=True)
class Audio:
    samples: Samples  # mono, float32 in [-1, 1]
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate

    def at_rate(self, rate: int) -> Audio:
        return self if rate == self.rate else Audio(resample(self.samples, self.rate, rate), rate)


def silence(seconds: float, rate: int = SPEECH_RATE) -> Audio:
    return Audio(np.zeros(round(seconds * rate), np.float32), rate)


def concat(parts: list[Audio], rate: int) -> Audio:
    if not parts:
        return Audio(np.zeros(0, np.float32), rate)
    return Audio(np.concatenate([p.at_rate(rate).samples for p in parts]).astype(np.float32), rate)


def read_wav(path: Path) -> Audio:
    """A WAV file of any rate, sample format and channel count, as mono float32 at its own rate."""
    import soundfile

    if not path.is_file():
        raise InputError(f"{path} does not exist", "give the path of a WAV recording")
    try:
        info = soundfile.info(str(path))
        if info.format not in ("WAV", "WAVEX", "RF64"):
            raise InputError(f"{path} is not a WAV file ({info.format_info})", "convert it to WAV first")
        data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, soundfile.SoundFileError) as exc:
        cause = f"{path} is not a readable WAV file ({_first_line(exc)})"
        raise InputError(cause, "record or convert it again as WAV") from exc
    if len(data) == 0:
        raise InputError(f"{path} holds no audio", "record something first")
    return Audio(np.ascontiguousarray(data.mean(axis=1), dtype=np.float32), int(rate))


def write_wav(path: Path, audio: Audio) -> None:
    """16-bit PCM mono: what every player reads."""
    import soundfile

    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), np.clip(audio.samples, -1.0, 1.0), audio.rate, subtype="PCM_16", format="WAV")


def resample(samples: Samples, source: int, target: int) -> Samples:
    """Band-limit (when going down), then interpolate linearly: plenty for speech models, and numpy only."""
    if source == target or len(samples) == 0:
        return samples.astype(np.float32, copy=False)
    if target < source:
        samples = _low_pass(samples, cutoff=0.45 * target / source)
    positions = np.arange(round(len(samples) * target / source)) * (source / target)
    resampled: Samples = np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)
    return resampled


def _low_pass(samples: Samples, cutoff: float, taps: int = 63) -> Samples:
    """A windowed-sinc FIR filter; ``cutoff`` is a fraction of the sample rate (0..0.5)."""
    n = np.arange(taps) - (taps - 1) / 2
    kernel = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(taps)
    kernel /= kernel.sum()
    return np.convolve(samples, kernel, mode="same").astype(np.float32)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
