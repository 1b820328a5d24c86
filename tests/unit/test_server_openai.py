"""The OpenAI-compatible chat endpoint: whole and streamed answers, from the caller's own Session."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.testclient import TestClient

from tests.unit.server_kit import PASSWORD, make_app, sign_up

REPLY = "Good to hear from you again."


def _sse_chunks(body: str) -> list[Any]:
    events = [line.removeprefix("data: ") for line in body.split("\n\n") if line.startswith("data: ")]
    assert events[-1] == "[DONE]", events[-3:]
    return [json.loads(e) for e in events[:-1]]


def test_non_streaming_answer_uses_only_the_last_user_message(os1_home: Path) -> None:
    app = make_app(os1_home, [REPLY])
    with TestClient(app) as client:
        ann = sign_up(client, "ann")
        answer = client.post("/v1/chat/completions", headers=ann.headers, json={
            "model": "os1", "temperature": 0.2,
            "messages": [{"role": "system", "content": "You are a pirate."}, {"role": "user", "content": "earlier"},
                         {"role": "assistant", "content": "made up"},
                         {"role": "user", "content": [{"type": "text", "text": "how are you?"}]}]})
        body = answer.json()
        assert answer.status_code == 200 and body["object"] == "chat.completion"
        assert body["choices"][0]["message"] == {"role": "assistant", "content": REPLY}
        stored = [(m["role"], m["content"]) for m in client.get("/api/history", headers=ann.headers).json()]
        assert stored == [("user", "how are you?"), ("assistant", REPLY)]
        prompt = app.state.os1.engine.llm.inner.requests[-1]
        assert not any("pirate" in m.content or "made up" in m.content for m in prompt)


def test_streaming_answer_is_sse_chunks_ending_with_done(os1_home: Path) -> None:
    with TestClient(make_app(os1_home, [REPLY])) as client:
        ann = sign_up(client, "ann")
        with client.stream("POST", "/v1/chat/completions", headers=ann.headers,
                           json={"stream": True, "messages": [{"role": "user", "content": "hi"}]}) as answer:
            assert answer.headers["content-type"].startswith("text/event-stream")
            chunks = _sse_chunks(answer.read().decode())
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text == REPLY and len(chunks) > 3  # streamed word by word, not in one piece


def test_a_request_without_a_user_message_is_refused(os1_home: Path) -> None:
    with TestClient(make_app(os1_home)) as client:
        ann = sign_up(client, "ann")
        answer = client.post("/v1/chat/completions", headers=ann.headers,
                             json={"messages": [{"role": "system", "content": "hi"}]})
        assert answer.status_code == 400 and "no user message" in answer.json()["error"]["message"]
        assert client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "x"}]}
                           ).status_code == 401


@pytest.fixture
def live_server(os1_home: Path) -> Iterator[str]:
    """The app on a real uvicorn on loopback, in a thread, stopped at the end."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(make_app(os1_home, [REPLY]), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_official_openai_client_against_a_real_server(live_server: str) -> None:
    openai = pytest.importorskip("openai")
    httpx.post(f"{live_server}/api/accounts", json={"username": "ann", "password": PASSWORD}).raise_for_status()
    token = httpx.post(f"{live_server}/api/login", json={"username": "ann", "password": PASSWORD}).json()["token"]
    key = httpx.post(f"{live_server}/api/keys", headers={"Authorization": f"Bearer {token}"}, json={}).json()["key"]
    client = openai.OpenAI(base_url=f"{live_server}/v1", api_key=key, max_retries=0)
    whole = client.chat.completions.create(model="os1", messages=[{"role": "user", "content": "hello"}])
    assert whole.choices[0].message.content == REPLY
    stream = client.chat.completions.create(model="os1", messages=[{"role": "user", "content": "again"}], stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream) == REPLY
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{live_server}/v1", api_key="sk-os1-forged", max_retries=0).chat.completions.create(
            model="os1", messages=[{"role": "user", "content": "hello"}])
