"""Voice: VAD, STT and TTS backends behind small interfaces (``base``), the pure turn-taking state machine
(``turns``), the streaming sentence chunker (``chunker``), echo cancellation (``echo``) and audio helpers.
Heavy models load only when a backend is created."""

from __future__ import annotations

import importlib.util

from os1.core.errors import BackendError, ConfigError
from os1.voice.base import STT, TTS, VAD
from os1.voice.echo import EchoCanceller, NoEchoCanceller

VAD_BACKENDS = ("silero",)
STT_BACKENDS = ("whisper",)
TTS_BACKENDS = ("hibari", "piper", "flite", "espeak-ng")
ECHO_CANCELLERS = ("auto", "livekit", "off")


def create_vad(name: str = "silero") -> VAD:
    if name == "silero":
        from os1.voice.vad import SileroVAD

        return SileroVAD()
    raise _unknown("voice_vad", name, VAD_BACKENDS)


def create_stt(name: str = "whisper", threads: int = 1) -> STT:
    if name == "whisper":
        from os1.voice.stt import WhisperSTT

        return WhisperSTT(threads=threads)
    raise _unknown("voice_stt", name, STT_BACKENDS)


def create_tts(name: str = "hibari") -> TTS:
    if name == "hibari":
        from os1.voice.tts import HibariTTS

        return HibariTTS()
    if name == "piper":
        from os1.voice.tts_more import PiperTTS

        return PiperTTS()
    if name in ("flite", "espeak-ng"):
        from os1.voice.tts_more import CommandTTS

        return CommandTTS(name)
    raise _unknown("voice_tts", name, TTS_BACKENDS)


def create_echo_canceller(name: str = "auto", sent_ahead_ms: int | None = None) -> EchoCanceller:
    """One per microphone (it learns that room's echo). ``auto``: livekit's when it is installed, else none.
    ``sent_ahead_ms``: None for a sound card; else how long before it plays the OS's voice is handed over."""
    if name == "off" or (name == "auto" and not livekit_installed()):
        return NoEchoCanceller()
    if name in ("auto", "livekit"):
        if not livekit_installed():
            raise BackendError("livekit (the echo canceller) is not installed",
                               "run `bash scripts/install.sh`, or `os1 config set voice_echo_cancel off`")
        from os1.voice.echo import LivekitEchoCanceller

        return LivekitEchoCanceller(sent_ahead_ms)
    raise _unknown("voice_echo_cancel", name, ECHO_CANCELLERS)


def livekit_installed() -> bool:
    return importlib.util.find_spec("livekit") is not None and importlib.util.find_spec("livekit.rtc") is not None


def _unknown(key: str, name: str, known: tuple[str, ...]) -> ConfigError:
    return ConfigError(f"unknown {key} backend {name!r}", f"`os1 config set {key}` to one of: {', '.join(known)}")
