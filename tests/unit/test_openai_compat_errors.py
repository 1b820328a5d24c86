"""The openai backend against a small real HTTP server (Starlette + uvicorn on loopback) that misbehaves.

Each scenario is a path prefix: the backend's base URL is ``http://127.0.0.1:PORT/<scenario>/v1``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from os1.config import Settings
from os1.core.errors import BackendError
from os1.core.messages import ChatMessage, Role
from os1.llm.base import GenerationOptions, collect
from os1.llm.openai_compat import OpenAICompatLLM

OPTIONS = GenerationOptions(max_tokens=24, temperature=0.3)
MESSAGES = [ChatMessage(Role.SYSTEM, "Be brief."), ChatMessage(Role.USER, "Hi")]
SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}


@dataclass
class Seen:
    requests: list[tuple[str, dict[str, str], dict[str, Any]]] = field(default_factory=list)  # path, headers, body
    disconnected: threading.Event = field(default_factory=threading.Event)

    def bodies(self, path_end: str) -> list[dict[str, Any]]:
        return [body for path, _, body in self.requests if path.endswith(path_end)]


SEEN = Seen()


def _chunk(text: str) -> str:
    return "data: " + json.dumps({"choices": [{"index": 0, "delta": {"content": text}}]}) + "\n\n"


def _reply(content: str) -> JSONResponse:
    return JSONResponse({"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]})


async def _ok_stream() -> AsyncIterator[str]:
    yield ": keep-alive comment\n\n"
    yield "data: " + json.dumps({"choices": [{"delta": {"role": "assistant", "content": None}}]}) + "\n\n"
    for word in ("Hel", "lo", " there"):
        yield _chunk(word)
        yield "\n"
    yield "event: ping\ndata: " + json.dumps({"choices": []}) + "\n\n"
    yield "data: [DONE]\n\n"
    yield _chunk("after done")  # must be ignored


async def _slow_stream() -> AsyncIterator[str]:
    try:
        for i in range(100):
            yield _chunk(f"w{i} ")
            await asyncio.sleep(0.1)
        yield "data: [DONE]\n\n"
    finally:  # cancelled (or failing to send) once the client goes away
        SEEN.disconnected.set()


async def _chat(request: Request) -> Response:
    scenario = request.path_params["scenario"]
    body = json.loads(await request.body())
    SEEN.requests.append((request.url.path, dict(request.headers), body))
    if scenario == "fail500":
        return JSONResponse({"error": {"message": "CUDA out of memory\n  at frame 7", "type": "server_error"}}, 500)
    if scenario == "auth":
        return JSONResponse({"error": {"message": "Invalid API Key", "code": 401}}, 401)
    if scenario == "nomodel":
        return JSONResponse({"error": {"message": f"model '{body['model']}' not found"}}, 404)
    if scenario == "hang":
        await asyncio.sleep(3)
    if scenario == "badsse":
        return StreamingResponse(iter(["data: {\"choices\": [{\"delta\": {\"content\": \"ok\"}}]}\n\n",
                                       "data: {not json\n\n"]), media_type="text/event-stream")
    if scenario == "slow":
        return StreamingResponse(_slow_stream(), media_type="text/event-stream")
    if scenario == "badjson":
        return Response("<html>not json</html>", media_type="text/html")
    if scenario == "fallback" and body.get("response_format", {}).get("type") == "json_schema":
        return JSONResponse({"error": {"message": "response_format type must be 'json_object'"}}, 400)
    if body.get("stream"):
        return StreamingResponse(_ok_stream(), media_type="text/event-stream")
    return _reply('```json\n{"name": "Ada"}\n```' if scenario == "fallback" else '{"name": "Ada"}')


async def _models(request: Request) -> Response:
    SEEN.requests.append((request.url.path, dict(request.headers), {}))
    if request.path_params["scenario"] == "nomodels":
        return Response("no such endpoint", 404)
    return JSONResponse({"object": "list", "data": [{"id": "served-model", "object": "model"}]})


APP = Starlette(routes=[
    Route("/{scenario}/v1/chat/completions", _chat, methods=["POST"]),
    Route("/{scenario}/v1/models", _models, methods=["GET"]),
])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(APP, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "test server did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(5)
    sock.close()


@pytest.fixture(autouse=True)
def _fresh_seen() -> None:
    SEEN.requests.clear()
    SEEN.disconnected.clear()


def _llm(url: str, scenario: str, *, key: str = "", model: str = "m1", timeout_s: float = 10) -> OpenAICompatLLM:
    return OpenAICompatLLM(f"{url}/{scenario}/v1", key, model, timeout_s)


async def _error(llm: OpenAICompatLLM, *, json_mode: bool = False) -> BackendError:
    with pytest.raises(BackendError) as info:
        try:
            if json_mode:
                await llm.complete_json(MESSAGES, SCHEMA, OPTIONS)
            else:
                await collect(llm, MESSAGES, OPTIONS)
        finally:
            await llm.aclose()
    err = info.value
    assert err.cause and "\n" not in err.cause
    assert err.fix and "\n" not in err.fix
    return err


async def test_stream_parses_sse_and_sends_the_request(server_url: str) -> None:
    llm = _llm(server_url, "ok", key="sk-secret")
    options = GenerationOptions(max_tokens=24, temperature=0.3, stop=("\nUser:",))
    try:
        deltas = [d async for d in llm.stream(MESSAGES, options)]
    finally:
        await llm.aclose()
    assert deltas == ["Hel", "lo", " there"]
    [(_, headers, body)] = SEEN.requests
    assert headers["authorization"] == "Bearer sk-secret"
    assert body["model"] == "m1"
    assert body["max_tokens"] == 24
    assert body["temperature"] == 0.3
    assert body["stream"] is True
    assert body["stop"] == ["\nUser:"]
    assert body["messages"] == [m.as_dict() for m in MESSAGES]


async def test_no_authorization_header_without_a_key(server_url: str) -> None:
    llm = _llm(server_url, "ok")
    try:
        assert await collect(llm, MESSAGES, OPTIONS) == "Hello there"
    finally:
        await llm.aclose()
    [(_, headers, body)] = SEEN.requests
    assert "authorization" not in headers
    assert "stop" not in body


async def test_from_settings_uses_the_settings(
    server_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OS1_HOME", str(tmp_path))
    settings = Settings(home=tmp_path, llm_backend="openai", openai_base_url=f"{server_url}/ok/v1",
                        openai_api_key=SecretStr("sk-from-settings"), openai_model="m2", openai_timeout_s=5)
    llm = OpenAICompatLLM.from_settings(settings)
    assert "sk-from-settings" not in repr(llm)
    try:
        await collect(llm, MESSAGES, OPTIONS)
    finally:
        await llm.aclose()
    [(_, headers, body)] = SEEN.requests
    assert headers["authorization"] == "Bearer sk-from-settings"
    assert body["model"] == "m2"


async def test_model_is_discovered_once(server_url: str) -> None:
    llm = _llm(server_url, "ok", model="")
    try:
        await collect(llm, MESSAGES, OPTIONS)
        await llm.complete_json(MESSAGES, SCHEMA, OPTIONS)
    finally:
        await llm.aclose()
    assert len(SEEN.bodies("/models")) == 1
    assert [b["model"] for b in SEEN.bodies("/chat/completions")] == ["served-model", "served-model"]


async def test_failed_discovery_asks_for_the_model_name(server_url: str) -> None:
    err = await _error(_llm(server_url, "nomodels", model=""))
    assert "openai_model" in err.fix


async def test_server_error_is_one_short_line(server_url: str) -> None:
    err = await _error(_llm(server_url, "fail500"))
    assert "500" in err.cause
    assert "CUDA out of memory" in err.cause


async def test_wrong_key_names_the_setting_and_hides_the_key(server_url: str) -> None:
    err = await _error(_llm(server_url, "auth", key="sk-very-secret"))
    assert "openai_api_key" in err.fix
    assert "sk-very-secret" not in err.one_line()


async def test_unknown_model_names_the_setting(server_url: str) -> None:
    err = await _error(_llm(server_url, "nomodel", model="llama-9000"))
    assert "openai_model" in err.fix
    assert "llama-9000" in err.cause


async def test_wrong_path_suggests_the_base_url(server_url: str) -> None:
    llm = OpenAICompatLLM(f"{server_url}/ok", "", "m1", 5)  # missing /v1
    err = await _error(llm)
    assert "openai_base_url" in err.fix


async def test_malformed_sse_is_a_backend_error(server_url: str) -> None:
    llm = _llm(server_url, "badsse")
    got: list[str] = []
    with pytest.raises(BackendError) as info:
        try:
            async for delta in llm.stream(MESSAGES, OPTIONS):
                got.append(delta)
        finally:
            await llm.aclose()
    assert got == ["ok"]
    assert "\n" not in info.value.cause


async def test_malformed_json_reply_is_a_backend_error(server_url: str) -> None:
    await _error(_llm(server_url, "badjson"), json_mode=True)


async def test_closing_early_returns_fast_and_the_server_sees_it(server_url: str) -> None:
    llm = _llm(server_url, "slow")
    stream = llm.stream(MESSAGES, OPTIONS)
    try:
        got = [await anext(stream), await anext(stream)]
        started = time.monotonic()
        await stream.aclose()
        assert time.monotonic() - started < 1.0
        assert got == ["w0 ", "w1 "]
        assert await asyncio.to_thread(SEEN.disconnected.wait, 5), "the server kept streaming"
        assert await collect(_llm(server_url, "ok"), MESSAGES, OPTIONS)  # the backend (and server) still work
    finally:
        await llm.aclose()


async def test_cancelling_the_reader_task_closes_the_response(server_url: str) -> None:
    llm = _llm(server_url, "slow")
    first = asyncio.Event()

    async def read() -> None:
        async for _ in llm.stream(MESSAGES, OPTIONS):
            first.set()

    task = asyncio.create_task(read())
    try:
        await asyncio.wait_for(first.wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await asyncio.to_thread(SEEN.disconnected.wait, 5), "the server kept streaming"
    finally:
        await llm.aclose()


async def test_json_schema_rejected_falls_back_to_json_object(server_url: str) -> None:
    llm = _llm(server_url, "fallback")
    try:
        reply = await llm.complete_json(MESSAGES, SCHEMA, OPTIONS)
    finally:
        await llm.aclose()
    assert reply == {"name": "Ada"}
    first, second = SEEN.bodies("/chat/completions")
    assert first["response_format"]["type"] == "json_schema"
    assert first["response_format"]["json_schema"]["schema"] == SCHEMA
    assert first["response_format"]["json_schema"]["strict"] is True
    assert second["response_format"] == {"type": "json_object"}
    system = second["messages"][0]
    assert system["role"] == "system"
    assert system["content"].startswith("Be brief.")
    assert json.dumps(SCHEMA) in system["content"]
    assert second["messages"][1:] == [m.as_dict() for m in MESSAGES[1:]]


async def test_connection_refused_says_how_to_fix(server_url: str) -> None:
    llm = OpenAICompatLLM(f"http://127.0.0.1:{_free_port()}/v1", "", "m1", 5)
    err = await _error(llm)
    assert "openai_base_url" in err.fix
    assert "127.0.0.1" in err.cause


async def test_dns_failure_says_how_to_fix() -> None:
    llm = OpenAICompatLLM("http://no-such-host.invalid/v1", "", "m1", 5)
    err = await _error(llm)
    assert "openai_base_url" in err.fix


async def test_timeout_names_the_setting(server_url: str) -> None:
    err = await _error(_llm(server_url, "hang", timeout_s=0.3))
    assert "openai_timeout_s" in err.fix


async def test_count_tokens_estimates() -> None:
    llm = OpenAICompatLLM("http://127.0.0.1:9/v1")
    try:
        assert await llm.count_tokens("abcd") == 1
        assert await llm.count_tokens("abcde") == 2
        assert await llm.count_tokens("x" * 400) == 100
        assert llm.capabilities.exact_token_count is False
    finally:
        await llm.aclose()
