"""Audio over /v1/realtime with the real models, no browser: a hibari utterance goes in as PCM16 appends, the
transcript and the OS's voice (audio deltas) come back; cancel and truncate store the reply as far as it
was heard; oversize audio is refused in one line."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from websockets.asyncio.client import ClientConnection, connect

from os1.server.voice_ws import INPUT_RATE, MAX_APPEND_BYTES, OUTPUT_RATE, _shared_models
from os1.voice.audio import SPEECH_RATE, Audio
from tests.e2e.web_kit import serving
from tests.unit.server_kit import settings_for

pytestmark = pytest.mark.integration

QUESTION = "What is the capital of France?"
ANSWER = "The capital of France is Paris. It is a beautiful city on the river Seine."
LONG = ("Paris has many famous places to visit. The Louvre holds thousands of paintings. "
        "The tower was built for a world fair. The river runs through the middle of the city.")
CHUNK = INPUT_RATE * 40 // 1000  # the page's 40 ms blocks


@pytest.fixture(scope="module")
def question_pcm16(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    pytest.importorskip("faster_whisper")
    pytest.importorskip("hibari")
    _, tts = _shared_models(settings_for(tmp_path_factory.mktemp("home")))  # the server's own, loaded once
    spoken = asyncio.run(tts.synthesize(QUESTION)).at_rate(SPEECH_RATE)
    assert np.abs(spoken.samples).max() > 0.05  # a real utterance, not silence
    return _pcm16(spoken)


def _pcm16(audio: Audio) -> bytes:
    return (np.clip(audio.samples, -1, 1) * 32767).astype("<i2").tobytes()


def _append(pcm: bytes) -> str:
    return json.dumps({"type": "input_audio_buffer.append", "audio": base64.b64encode(pcm).decode()})


async def _speak_then_silence(ws: ClientConnection, pcm: bytes) -> None:
    """The utterance, then silence for ever, four times faster than real time (the server runs on the
    microphone's clock, so it only sees the audio, never the wall clock)."""
    silent = bytes(CHUNK * 2)
    blocks = [pcm[i: i + CHUNK * 2] for i in range(0, len(pcm), CHUNK * 2)]
    for block in [silent] * 10 + blocks:
        await ws.send(_append(block))
        await asyncio.sleep(0.01)
    while True:
        await ws.send(_append(silent))
        await asyncio.sleep(0.01)


async def _events(ws: ClientConnection) -> AsyncIterator[dict[str, Any]]:
    while True:
        yield json.loads(await asyncio.wait_for(ws.recv(), 60))


async def _history(base: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=base) as client:
        found: list[dict[str, Any]] = (await client.get("/api/history")).json()
        return found


async def _turn(base: str, pcm: bytes, *, stop: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """One spoken turn; ``stop`` is sent once 2 s of the OS's voice arrived. The events up to response.done."""
    seen: list[dict[str, Any]] = []
    voice_bytes = 0
    async with connect(base.replace("http", "ws") + "/v1/realtime") as ws:
        assert json.loads(await ws.recv())["type"] == "session.created"
        feeder = asyncio.create_task(_speak_then_silence(ws, pcm))
        try:
            async for event in _events(ws):
                seen.append(event)
                if event["type"] == "response.output_audio.delta":
                    voice_bytes += len(base64.b64decode(event["delta"]))
                if stop and voice_bytes >= 2 * OUTPUT_RATE * 2:
                    await ws.send(json.dumps(stop))
                    stop = None
                if event["type"] in ("response.done", "error"):
                    return seen
        finally:
            feeder.cancel()
    return seen


def _kinds(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


async def test_a_spoken_turn_gets_its_transcript_text_and_voice_back(os1_home: Path, question_pcm16: bytes) -> None:
    with serving(os1_home, [ANSWER], server_auth="none") as base:
        events = await _turn(base, question_pcm16)
        kinds = _kinds(events)
        assert kinds[:3] == ["input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped",
                             "input_audio_buffer.committed"], kinds
        transcript = next(e["transcript"] for e in events
                          if e["type"] == "conversation.item.input_audio_transcription.completed")
        assert "capital of france" in transcript.lower()
        text = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
        assert text == ANSWER
        audio = b"".join(base64.b64decode(e["delta"]) for e in events if e["type"] == "response.output_audio.delta")
        seconds = len(audio) / 2 / OUTPUT_RATE
        assert 2 < seconds < 15 and np.abs(np.frombuffer(audio, "<i2")).max() > 1000
        assert events[-1]["response"]["status"] == "completed"
        stored = await _history(base)
        assert [(m["role"], m["status"]) for m in stored] == [("user", "complete"), ("assistant", "complete")]
        assert stored[0]["content"] == transcript and stored[1]["content"] == ANSWER


@pytest.mark.parametrize("stop", [{"type": "conversation.item.truncate", "item_id": "x", "content_index": 0,
                                   "audio_end_ms": 1500},
                                  {"type": "response.cancel"}], ids=["truncate", "cancel"])
async def test_stopping_the_voice_stores_the_reply_as_far_as_it_was_heard(
        os1_home: Path, question_pcm16: bytes, stop: dict[str, Any]) -> None:
    with serving(os1_home, [LONG], server_auth="none") as base:
        events = await _turn(base, question_pcm16, stop=stop)
        assert events[-1]["type"] == "response.done" and events[-1]["response"]["status"] == "cancelled"
        reply = (await _history(base))[-1]
        assert reply["role"] == "assistant" and reply["status"] == "truncated"
        assert LONG.startswith(reply["content"]) and len(reply["content"]) < len(LONG)
        if stop["type"] == "conversation.item.truncate":  # 1.5 s of speech: a few words, not a sentence more
            assert 0 < len(reply["content"].split()) < 10
        assert events[-1]["response"]["output"][0]["content"][0]["transcript"] == reply["content"]


async def test_oversize_and_malformed_audio_get_one_line_errors(os1_home: Path) -> None:
    with serving(os1_home, ["Hi."], server_auth="none") as base:
        async with connect(base.replace("http", "ws") + "/v1/realtime", max_size=None) as ws:
            await ws.recv()
            await ws.send(_append(bytes(MAX_APPEND_BYTES + 2)))
            error = json.loads(await ws.recv())
            assert error["error"]["code"] == "too_large" and "\n" not in error["error"]["message"]
            await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": "not base64!"}))
            assert json.loads(await ws.recv())["error"]["code"] == "invalid_event"
            await ws.send(json.dumps({"type": "input_text", "text": "still there?"}))
            kinds = [json.loads(await ws.recv())["type"] for _ in range(3)]
            assert kinds[0] == "response.created"
