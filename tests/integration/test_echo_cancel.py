"""Echo cancellation with the packaged voices: the OS's reply (hibari) plays through a simulated room into
the microphone (60 ms later, quieter, its highs dulled, one reflection) and the user (hibari too) talks over
its end. The livekit canceller, fed in real time order as the sound card and the server feed it, removes the
echo and Whisper still hears the user's words; with echo cancellation off the microphone is unchanged.
Over /v1/realtime a client without echo cancellation of its own plays the OS's voice into its microphone:
the server cancels it, so the OS does not interrupt itself."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from websockets.asyncio.client import ClientConnection, connect

from os1.server.voice_ws import INPUT_RATE, LEAD_MS, OUTPUT_RATE
from os1.testing.room import echo_of, mix, run_through
from os1.voice import create_echo_canceller, create_stt, create_tts
from os1.voice.audio import SPEECH_RATE, Audio
from os1.voice.base import STT
from tests.e2e.web_kit import serving

pytestmark = pytest.mark.integration

REPLY = ("Paris has many famous places to visit. The Louvre holds thousands of paintings. "
         "The tower was built for a world fair. The river runs through the middle of the city.")
USER = "Please tell me about the river instead."
USER_AT_S = 5.0


@pytest.fixture(scope="module")
def room() -> tuple[Audio, Audio, STT]:
    """The OS's reply at its own rate, the user's words at 16 kHz, and Whisper."""
    pytest.importorskip("faster_whisper")
    pytest.importorskip("hibari")
    pytest.importorskip("livekit.rtc")
    tts = create_tts("hibari")
    reply = asyncio.run(tts.synthesize(REPLY))
    user = asyncio.run(tts.synthesize(USER)).at_rate(SPEECH_RATE)
    assert reply.seconds > USER_AT_S + user.seconds  # the user talks over the reply, not after it
    return reply, user, create_stt("whisper", threads=1)


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]", " ", text.lower()).split()


def energy(samples: np.ndarray) -> float:
    return float(np.sum(samples.astype(np.float64) ** 2))


@pytest.mark.parametrize("sent_ahead_ms", [None, LEAD_MS], ids=["sound card", "server socket"])
def test_the_echo_goes_and_the_users_words_stay(room: tuple[Audio, Audio, STT], sent_ahead_ms: int | None) -> None:
    reply, user, stt = room
    echo = echo_of(reply, delay_ms=60, gain=0.5)
    at = round(USER_AT_S * SPEECH_RATE)
    mic = Audio(mix(len(echo), (0, echo), (at, user.samples)), SPEECH_RATE)
    canceller = create_echo_canceller("livekit", sent_ahead_ms)
    cleaned = run_through(canceller, reply, mic, sent_ahead_ms=sent_ahead_ms).samples

    echo_only = slice(SPEECH_RATE, at)  # after the first second (it converges within it)
    reduction_db = 10 * np.log10(energy(mic.samples[echo_only]) / max(energy(cleaned[echo_only]), 1e-12))
    assert reduction_db >= 20

    both = slice(at, at + len(user.samples))
    assert energy(cleaned[both]) >= 0.5 * energy(user.samples)  # most of the user's voice is kept
    heard = set(words(asyncio.run(stt.transcribe(Audio(cleaned[both], SPEECH_RATE)))))
    said = words(USER)
    assert sum(word in heard for word in said) / len(said) >= 0.8


def test_with_echo_cancellation_off_the_microphone_is_unchanged(room: tuple[Audio, Audio, STT]) -> None:
    reply, user, _ = room
    echo = echo_of(reply, delay_ms=60, gain=0.5)
    mic = Audio(mix(len(echo), (0, echo), (round(USER_AT_S * SPEECH_RATE), user.samples)), SPEECH_RATE)
    assert np.array_equal(run_through(create_echo_canceller("off"), reply, mic).samples, mic.samples)


LONG = ("Paris has many famous places to visit. The Louvre holds thousands of paintings. "
        "The tower was built for a world fair. The river runs through the middle of the city.")
CHUNK = INPUT_RATE * 40 // 1000  # the page's 40 ms blocks


class LoudspeakerClient:
    """A client that plays the OS's voice out loud as it arrives (50 ms after, as the page schedules it) and
    whose microphone hears it ``delay_ms`` later at ``gain``, over the user's own words and then silence.
    It runs four times faster than real time: the server only follows the microphone's clock."""

    def __init__(self, said: np.ndarray, delay_ms: int = 60, gain: float = 0.7) -> None:
        self.mic = np.concatenate([np.zeros(10 * CHUNK, np.float32), said, np.zeros(INPUT_RATE * 60, np.float32)])
        self.delay, self.gain = INPUT_RATE * delay_ms // 1000, gain
        self.sent = self.playing_until = 0
        self.started_playing: int | None = None

    def heard(self, delta: str) -> None:
        voice = Audio(np.frombuffer(base64.b64decode(delta), "<i2").astype(np.float32) / np.float32(32768), OUTPUT_RATE)
        echo = echo_of(voice, 0, self.gain, INPUT_RATE)  # with its reflection's tail
        start = max(self.playing_until, self.sent + INPUT_RATE // 20)
        self.started_playing = start if self.started_playing is None else self.started_playing
        self.playing_until = start + round(voice.seconds * INPUT_RATE)
        piece = self.mic[start + self.delay: start + self.delay + len(echo)]
        piece += echo[: len(piece)]

    async def speak(self, ws: ClientConnection) -> None:
        while self.sent + CHUNK <= len(self.mic):
            pcm = (np.clip(self.mic[self.sent: self.sent + CHUNK], -1, 1) * 32767).astype("<i2").tobytes()
            self.sent += CHUNK
            await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": base64.b64encode(pcm).decode()}))
            await asyncio.sleep(0.01)


async def _turn_with_a_loudspeaker(base: str, client: LoudspeakerClient) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    async with connect(base.replace("http", "ws") + "/v1/realtime") as ws:
        assert json.loads(await ws.recv())["type"] == "session.created"
        speaking = asyncio.create_task(client.speak(ws))
        try:
            while True:
                event = json.loads(await asyncio.wait_for(ws.recv(), 60))
                seen.append(event)
                if event["type"] == "response.output_audio.delta":
                    client.heard(event["delta"])
                if event["type"] in ("response.done", "error"):
                    return seen
        finally:
            speaking.cancel()


async def test_over_the_socket_the_os_does_not_hear_itself(os1_home: Path, room: tuple[Audio, Audio, STT]) -> None:
    """Measured with voice_echo_cancel off: the echo barged in on every run (gains 0.3 and 0.7); on: never."""
    _, user, _ = room
    client = LoudspeakerClient(user.samples)
    with serving(os1_home, [LONG], server_auth="none", voice_echo_cancel="livekit") as base:
        events = await _turn_with_a_loudspeaker(base, client)
    assert client.playing_until - (client.started_playing or 0) > 5 * INPUT_RATE  # the microphone heard the OS
    kinds = [e["type"] for e in events]
    assert kinds.count("input_audio_buffer.speech_started") == 1, kinds  # the user, never the OS's echo
    assert events[-1]["type"] == "response.done" and events[-1]["response"]["status"] == "completed", kinds
