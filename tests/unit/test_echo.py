"""Echo cancellation with the real livekit canceller (WebRTC AEC3) on a simulated room, no speech models:
the echo of a voice-like signal is removed on both kinds of speaker, audio of any block size comes back in
order, the microphone is untouched while nothing is (or was lately) played, and the off switch is a no-op.
The packaged voices and Whisper are in tests/integration/test_echo_cancel.py."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from os1.config import load_settings
from os1.core.errors import ConfigError
from os1.engine.live import SoundCard
from os1.testing.room import echo_of, mix, run_through
from os1.voice import create_echo_canceller
from os1.voice.audio import SPEECH_RATE, Audio
from os1.voice.echo import LivekitEchoCanceller, NoEchoCanceller, _Stretch
from os1.voice.stream import PlaybackBuffer
from tests.unit.test_voice_live import FakeStream, fake_sounddevice

pytest.importorskip("livekit.rtc")

SERVER_LEAD_MS = 300


def voice_like(seconds: float, rate: int = 24_000, seed: int = 0) -> Audio:
    """Syllables: a gliding pitch with a few harmonics, four bursts a second with gaps between words."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * rate)) / rate
    pitch = 140 + 40 * np.sin(2 * np.pi * 0.7 * t) + 10 * rng.standard_normal(len(t)).cumsum() / rate
    phase = 2 * np.pi * np.cumsum(pitch) / rate
    tone = sum(np.sin(k * phase) / k for k in range(1, 8)) + 0.05 * rng.standard_normal(len(t))
    envelope = np.clip(np.sin(2 * np.pi * 4 * t), 0, None) * (np.sin(2 * np.pi * 0.3 * t) > -0.7)
    return Audio((0.25 * tone * envelope).astype(np.float32), rate)


def reduction_db(cleaned: np.ndarray, echo: np.ndarray) -> float:
    return float(10 * np.log10(np.sum(echo ** 2) / max(float(np.sum(cleaned ** 2)), 1e-12)))


@pytest.mark.parametrize("sent_ahead_ms", [None, SERVER_LEAD_MS], ids=["sound card", "server socket"])
@pytest.mark.parametrize("delay_ms", [40, 150])
def test_the_echo_of_the_os_is_removed(sent_ahead_ms: int | None, delay_ms: int) -> None:
    played = voice_like(6.0)
    echo = echo_of(played, delay_ms, gain=0.5)
    cleaned = run_through(LivekitEchoCanceller(sent_ahead_ms), played, Audio(echo, SPEECH_RATE),
                          sent_ahead_ms=sent_ahead_ms).samples
    settled = slice(SPEECH_RATE, 6 * SPEECH_RATE)  # after the first second
    assert reduction_db(cleaned[settled], echo[settled]) >= 20


def test_the_microphone_is_untouched_until_something_is_played() -> None:
    canceller = LivekitEchoCanceller()
    said = voice_like(1.0, SPEECH_RATE).samples
    out = np.concatenate([canceller.captured(Audio(said[i: i + 320], SPEECH_RATE)).samples
                          for i in range(0, len(said), 320)])
    assert np.array_equal(out, said)


def test_pieces_of_any_size_come_back_in_order() -> None:
    canceller = LivekitEchoCanceller(SERVER_LEAD_MS)
    said = voice_like(1.0, SPEECH_RATE).samples
    sizes = [400, 7, 160, 1, 333, 2000, 99]  # 25 ms, less than a frame, exactly one, ...
    pieces, at = [], 0
    for size in sizes * 3:
        pieces.append(canceller.captured(Audio(said[at: at + size], SPEECH_RATE)).samples)
        at += size
    out = np.concatenate(pieces)
    assert len(out) == at // 160 * 160  # whole 10 ms frames; the rest waits for the next piece
    assert np.array_equal(out, said[: len(out)])


def test_a_server_connection_sleeps_between_replies_and_drops_what_was_not_played() -> None:
    canceller = LivekitEchoCanceller(SERVER_LEAD_MS)
    reply = voice_like(2.0)
    run_through(canceller, reply, Audio(echo_of(reply, 40), SPEECH_RATE), sent_ahead_ms=SERVER_LEAD_MS)
    silence = np.zeros(SPEECH_RATE * 2, np.float32)  # the echo's tail: after a second the canceller sleeps
    canceller.captured(Audio(silence, SPEECH_RATE))
    said = voice_like(1.0, SPEECH_RATE, seed=1).samples
    assert np.array_equal(canceller.captured(Audio(said, SPEECH_RATE)).samples, said)
    canceller.played(Audio(voice_like(0.3, seed=2).samples, 24_000))  # sent, then the user barged in:
    canceller.playback_stopped()  # the client never plays it, so nothing is cancelled against it
    assert np.array_equal(canceller.captured(Audio(said, SPEECH_RATE)).samples, said)


def test_a_voice_at_22050_hz_is_stretched_without_seams() -> None:
    samples = voice_like(0.5, 22_050).samples
    whole = _Stretch(22_050, 22_100).push(samples)
    stretch = _Stretch(22_050, 22_100)
    pieces = np.concatenate([stretch.push(samples[i: i + 441]) for i in range(0, len(samples), 441)])
    assert np.allclose(pieces, whole, atol=1e-6)
    assert abs(len(whole) - len(samples) * 22_100 / 22_050) <= 2
    played = voice_like(6.0, 22_050)
    echo = echo_of(played, 60, gain=0.5)
    cleaned = run_through(LivekitEchoCanceller(), played, Audio(echo, SPEECH_RATE)).samples
    assert reduction_db(cleaned[SPEECH_RATE:], echo[SPEECH_RATE: len(cleaned)]) >= 20


def test_off_passes_everything_through_unchanged() -> None:
    canceller = create_echo_canceller("off")
    assert isinstance(canceller, NoEchoCanceller)
    played, said = voice_like(1.0), voice_like(1.0, SPEECH_RATE, seed=3)
    canceller.played(played)
    assert canceller.captured(said) is said
    mic = Audio(mix(len(said.samples), (0, said.samples), (80, echo_of(played, 40))), SPEECH_RATE)
    assert np.array_equal(run_through(canceller, played, mic).samples, mic.samples)


def test_the_setting_chooses_the_canceller(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().voice_echo_cancel == "auto"
    assert isinstance(create_echo_canceller("auto"), LivekitEchoCanceller)  # livekit is installed here
    assert isinstance(create_echo_canceller("livekit", SERVER_LEAD_MS), LivekitEchoCanceller)
    with pytest.raises(ConfigError, match="voice_echo_cancel") as caught:
        create_echo_canceller("speex")
    assert "os1 config set voice_echo_cancel" in caught.value.fix
    monkeypatch.setenv("OS1_VOICE_ECHO_CANCEL", "loud")
    with pytest.raises(ConfigError, match="voice_echo_cancel"):
        load_settings()


async def test_the_sound_card_cancels_what_its_speaker_played() -> None:
    """Live mode: the output callback's blocks are the reference; the microphone's come back cleaned."""
    played = voice_like(4.0)
    echo = echo_of(played, 60, gain=0.5)[: 4 * SPEECH_RATE]
    speaker = PlaybackBuffer(played.rate)
    speaker.write(played.samples)
    chunks = SoundCard(fake_sounddevice(), speaker, echo=LivekitEchoCanceller()).chunks()
    first = asyncio.ensure_future(chunks.__anext__())
    while len(FakeStream.opened) < 2:
        await asyncio.sleep(0)
    mic, out = FakeStream.opened
    heard = []
    for start in range(0, len(echo), mic.block):
        out.callback(np.zeros((out.block, 1), np.float32), out.block, None, None)
        mic.callback(echo[start: start + mic.block].reshape(-1, 1), mic.block, None, None)
        heard.append(await first if start == 0 else await chunks.__anext__())
    await chunks.aclose()
    cleaned = np.concatenate(heard)
    assert reduction_db(cleaned[SPEECH_RATE:], echo[SPEECH_RATE:]) >= 20
