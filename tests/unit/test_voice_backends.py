"""Choosing voice backends by name, and the flite / espeak-ng fallback through a stand-in program."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from os1.config import load_settings
from os1.core.errors import BackendError, ConfigError, ModelError
from os1.voice import create_stt, create_tts, create_vad
from os1.voice.tts_more import CommandTTS

# Writes a WAV of as many 0.1 s beeps at 8 kHz as there are words, wherever `-o FILE` or `-w FILE` says.
FAKE_PROGRAM = """#!{python}
import math, struct, sys, wave
args = sys.argv[1:]
if "fail" in args:
    sys.exit(3)
out = args[args.index("-o" if "-o" in args else "-w") + 1]
text = args[-1]
n = 800 * len(text.split())
with wave.open(out, "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
    w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i / 3))) for i in range(n)))
"""


@pytest.fixture
def programs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    for name in ("flite", "espeak-ng"):
        program = folder / name
        program.write_text(FAKE_PROGRAM.format(python=sys.executable))
        program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return folder


@pytest.mark.parametrize("name", ["flite", "espeak-ng"])
def test_an_installed_program_speaks(programs: Path, name: str) -> None:
    tts = create_tts(name)
    audio = asyncio.run(tts.synthesize("three short words"))
    assert (tts.name, tts.rate, len(audio.samples)) == (name, 8000, 2400)


def test_a_failing_program_is_a_one_line_backend_error(programs: Path) -> None:
    tts = CommandTTS("flite")
    with pytest.raises(BackendError, match="flite failed"):
        asyncio.run(tts.synthesize("fail"))


def test_a_missing_program_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ModelError, match="flite is not installed") as caught:
        create_tts("flite")
    assert "apt-get install flite" in caught.value.fix


def test_piper_without_the_extra_says_which_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "piper", None)  # as if the optional extra were not installed
    with pytest.raises(ModelError, match="piper is not installed") as caught:
        create_tts("piper")
    assert "os1[piper]" in caught.value.fix


@pytest.mark.parametrize("make", [create_vad, create_stt, create_tts])
def test_unknown_backend_names_list_the_known_ones(make: object) -> None:
    with pytest.raises(ConfigError, match="unknown voice_") as caught:
        make("nope")  # type: ignore[operator]
    assert "os1 config set voice_" in caught.value.fix


def test_voice_settings_are_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert (settings.voice_vad, settings.voice_stt, settings.voice_tts) == ("silero", "whisper", "hibari")
    assert settings.endpoint_silence_ms == 600
    monkeypatch.setenv("OS1_VOICE_TTS", "kokoro")
    with pytest.raises(ConfigError, match="voice_tts"):
        load_settings()


def test_turn_settings_reach_the_turn_taker(monkeypatch: pytest.MonkeyPatch) -> None:
    from os1.engine.voice import turn_config

    monkeypatch.setenv("OS1_ENDPOINT_COMPLETE_MS", "448")
    monkeypatch.setenv("OS1_BARGE_IN_MS", "192")
    monkeypatch.setenv("OS1_PARTIAL_TRANSCRIPT_MS", "0")
    config = turn_config(load_settings())
    assert (config.endpoint_silence_ms, config.complete_silence_ms, config.barge_in_ms) == (600, 448, 192)
    assert config.partial_ms == 0
    monkeypatch.setenv("OS1_ENDPOINT_COMPLETE_MS", "900")  # never longer than the wait for unjudged words
    assert turn_config(load_settings()).complete_silence_ms == 600


@pytest.mark.parametrize(("text", "looped"), [
    ("What is the capital of France? What is the capital of France?", True),
    ("I went for a walk in the park. I went for a walk in the park. I went", True),
    ("No, not really. No, not really.", True),
    ("No, no, I said the blue one.", False),  # short runs are speech more often than loops
    ("I really really want to go.", False),
    ("My sister is coming to visit this weekend.", False),
    ("", False),
])
def test_whispers_looping_is_recognised(text: str, looped: bool) -> None:
    from os1.voice.stt import repeats_itself

    assert repeats_itself(text) is looped


def test_a_repeated_word_compresses_like_a_loop() -> None:
    from os1.voice.stt import MAX_COMPRESSION, compression_ratio

    assert compression_ratio("Yes. " * 12) > MAX_COMPRESSION
    assert compression_ratio("My sister is coming to visit this weekend.") < MAX_COMPRESSION
