"""The sound card, through sounddevice (PortAudio). Failing to find one is a one-line error with a way out."""

from __future__ import annotations

from typing import Any

from os1.core.errors import BackendError

FILE_MODE = "or talk through files: `os1 talk --input YOU.wav --output OS.wav`"


def sounddevice_module() -> Any:
    """The sounddevice module, once PortAudio and a microphone and a speaker are known to be there."""
    try:
        import sounddevice
    except ImportError as exc:
        raise BackendError("sounddevice is not installed", f"run `bash scripts/install.sh`, {FILE_MODE}") from exc
    except OSError as exc:  # the wheel needs the system's PortAudio library
        raise BackendError("the PortAudio library is not installed",
                           f"install it (apt-get install libportaudio2), {FILE_MODE}") from exc
    _require_devices(sounddevice)
    return sounddevice


def _require_devices(sounddevice: Any) -> None:
    try:
        devices = list(sounddevice.query_devices())
        has_mic = any(d.get("max_input_channels", 0) > 0 for d in devices)
        has_speaker = any(d.get("max_output_channels", 0) > 0 for d in devices)
    except sounddevice.PortAudioError as exc:
        raise BackendError(f"no audio devices ({exc})", FILE_MODE) from exc
    if not has_mic:
        raise BackendError("no microphone found", f"connect one, {FILE_MODE}")
    if not has_speaker:
        raise BackendError("no speaker found", f"connect one, {FILE_MODE}")
