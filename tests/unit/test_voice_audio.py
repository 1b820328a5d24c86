"""WAV in and out, any rate and channel count to 16 kHz mono, and one-line errors for bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from os1.core.errors import InputError
from os1.voice.audio import Audio, read_wav, resample, write_wav


def sine(freq: float, seconds: float, rate: int) -> np.ndarray:
    return (0.5 * np.sin(2 * np.pi * freq * np.arange(round(seconds * rate)) / rate)).astype(np.float32)


def dominant_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[np.argmax(spectrum)])


def test_stereo_44k_float_becomes_mono_and_resamples_to_16k(tmp_path: Path) -> None:
    left, right = sine(440, 1.0, 44_100), sine(440, 1.0, 44_100) * 0.5
    path = tmp_path / "stereo.wav"
    soundfile.write(str(path), np.stack([left, right], axis=1), 44_100, subtype="FLOAT")
    audio = read_wav(path)
    assert (audio.rate, len(audio.samples)) == (44_100, 44_100)
    assert np.allclose(audio.samples, (left + right) / 2, atol=1e-6)
    at16 = audio.at_rate(16_000)
    assert len(at16.samples) == 16_000
    assert abs(dominant_hz(at16.samples, 16_000) - 440) < 2


def test_downsampling_removes_what_the_new_rate_cannot_hold() -> None:
    def rms(x: np.ndarray) -> float:
        return float(np.sqrt(np.mean(x**2)))

    high = sine(11_000, 1.0, 48_000)  # above 16 kHz's 8 kHz Nyquist: would alias to 5 kHz
    assert rms(resample(high, 48_000, 16_000)) < 0.1 * rms(high)
    low = sine(1_000, 1.0, 48_000)  # speech-band content passes
    assert rms(resample(low, 48_000, 16_000)) > 0.9 * rms(low)


def test_write_then_read_round_trips_as_16_bit(tmp_path: Path) -> None:
    path = tmp_path / "out" / "reply.wav"
    write_wav(path, Audio(sine(300, 0.5, 24_000), 24_000))
    info = soundfile.info(str(path))
    assert (info.format, info.subtype, info.samplerate, info.channels) == ("WAV", "PCM_16", 24_000, 1)
    assert np.allclose(read_wav(path).samples, sine(300, 0.5, 24_000), atol=1e-3)


@pytest.mark.parametrize(("content", "message"), [
    (b"this is not audio at all", "not a readable WAV file"),
    (b"RIFF\x10\x00\x00\x00WAVEfmt ", "not a readable WAV file"),
])
def test_malformed_files_are_one_line_input_errors(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        read_wav(path)
    assert message in caught.value.cause
    assert "\n" not in caught.value.one_line()


def test_a_flac_file_is_not_taken_for_a_wav(tmp_path: Path) -> None:
    path = tmp_path / "speech.flac"
    soundfile.write(str(path), sine(300, 0.2, 16_000), 16_000, format="FLAC")
    with pytest.raises(InputError, match="not a WAV file"):
        read_wav(path)


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_wav(tmp_path / "nope.wav")
    empty = tmp_path / "empty.wav"
    soundfile.write(str(empty), np.zeros(0, np.float32), 16_000)
    with pytest.raises(InputError, match="holds no audio"):
        read_wav(empty)
