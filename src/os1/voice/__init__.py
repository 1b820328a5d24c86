"""Voice: VAD, STT and TTS backends behind small interfaces (``base``), the pure turn-taking state machine
(``turns``), the streaming sentence chunker (``chunker``) and audio helpers. Heavy models load only when
a backend is created."""

from __future__ import annotations

from os1.core.errors import ConfigError
from os1.voice.base import STT, TTS, VAD

VAD_BACKENDS = ("silero",)
STT_BACKENDS = ("whisper",)
TTS_BACKENDS = ("hibari", "piper", "flite", "espeak-ng")


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


def _unknown(key: str, name: str, known: tuple[str, ...]) -> ConfigError:
    return ConfigError(f"unknown {key} backend {name!r}", f"`os1 config set {key}` to one of: {', '.join(known)}")
