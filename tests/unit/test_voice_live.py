"""Live `os1 talk` without a sound card: a fake sounddevice module whose streams' callbacks the test calls,
push-to-talk muting, and the one-line error when there is no device."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, ClassVar

import numpy as np
import pytest
from typer.testing import CliRunner

from os1.cli.main import app
from os1.core.errors import BackendError
from os1.engine.live import PushToTalk, SoundCard
from os1.voice.stream import PlaybackBuffer


class FakePortAudioError(Exception):
    pass


class FakeStream:
    opened: ClassVar[list[FakeStream]] = []

    def __init__(self, *, samplerate: int, blocksize: int, callback: Any, **_: Any) -> None:
        self.rate, self.block, self.callback = samplerate, blocksize, callback
        self.active = False

    def __enter__(self) -> FakeStream:
        self.active = True
        FakeStream.opened.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        self.active = False


def fake_sounddevice(fail_output: bool = False) -> Any:
    FakeStream.opened = []

    def output(**kw: Any) -> FakeStream:
        if fail_output:
            raise FakePortAudioError("Invalid sample rate")
        return FakeStream(**kw)

    return SimpleNamespace(InputStream=FakeStream, OutputStream=output, PortAudioError=FakePortAudioError)


async def test_the_card_hands_over_mic_blocks_and_plays_from_the_buffer() -> None:
    sd = fake_sounddevice()
    speaker = PlaybackBuffer(24_000)
    speaker.write(np.full(600, 0.5, np.float32))
    chunks = SoundCard(sd, speaker).chunks()
    first = asyncio.ensure_future(chunks.__anext__())  # opens the streams, then waits for the microphone
    while len(FakeStream.opened) < 2:
        await asyncio.sleep(0)
    mic, out = FakeStream.opened
    assert (mic.rate, mic.block, out.rate, out.block) == (16_000, 320, 24_000, 480)
    block = np.arange(320, dtype=np.float32).reshape(-1, 1)
    mic.callback(block, 320, None, None)
    block[:] = 0  # PortAudio reuses its buffer: what was handed over must be a copy
    assert (await first).tolist() == list(range(320))
    played = np.zeros((480, 1), np.float32)
    out.callback(played, 480, None, None)
    assert played[:, 0].tolist() == [0.5] * 480 and speaker.played == 480
    await chunks.aclose()
    assert not mic.active and not out.active  # the streams close with the conversation


async def test_push_to_talk_mutes_the_microphone_until_enter() -> None:
    gate = PushToTalk(enabled=True)
    loud = np.ones(4, np.float32)
    assert gate.gate(loud).tolist() == [0, 0, 0, 0]
    assert gate.toggle() is True
    assert gate.gate(loud).tolist() == [1, 1, 1, 1]
    assert gate.toggle() is False
    always = PushToTalk(enabled=False)
    assert always.toggle() is True and always.gate(loud).tolist() == [1, 1, 1, 1]


async def test_a_card_that_cannot_open_is_a_clear_error() -> None:
    chunks = SoundCard(fake_sounddevice(fail_output=True), PlaybackBuffer(24_000)).chunks()
    with pytest.raises(BackendError, match="could not be opened"):
        await chunks.__anext__()
    assert not any(s.active for s in FakeStream.opened)  # the microphone it had opened is closed again


def test_live_talk_without_a_sound_card_fails_before_loading_anything(
    os1_home: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_card() -> Any:
        raise BackendError("no microphone found", "connect one, or talk through files")

    def must_not_load(settings: Any) -> Any:
        raise AssertionError("the models were loaded although there is no sound card")

    monkeypatch.setattr("os1.cli.talk.sounddevice_module", no_card)
    monkeypatch.setattr("os1.cli.talk.loading", must_not_load)
    result = CliRunner().invoke(app, ["talk"])
    # An OS1Error: the entry point prints it as one line ("error: no microphone found — connect one, ...").
    assert isinstance(result.exception, BackendError)
    assert result.exception.one_line().startswith("no microphone found")
