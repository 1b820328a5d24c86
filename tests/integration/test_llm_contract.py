"""One contract every LLM backend keeps: scripted (fake), local (xllamacpp in-process), openai (HTTP).

The openai backend talks to the real llama.cpp HTTP server from ``llama_server`` (conftest.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from os1.core.messages import ChatMessage, Role
from os1.llm.base import LLM, GenerationOptions, collect
from os1.testing import ScriptedLLM

pytestmark = pytest.mark.integration

SHORT = GenerationOptions(max_tokens=16, temperature=0.0)
HELLO = [ChatMessage(Role.SYSTEM, "You are a friendly assistant."), ChatMessage(Role.USER, "Say hello to me.")]
STORY = [ChatMessage(Role.USER, "Tell me a long story about a dragon who learns to sing.")]
SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string", "maxLength": 16}},
    "required": ["name"],
    "additionalProperties": False,
}


@pytest.fixture(params=["scripted", "local", "openai"])
async def llm(request: pytest.FixtureRequest) -> AsyncIterator[LLM]:
    backend: LLM
    if request.param == "scripted":
        backend = ScriptedLLM()
    elif request.param == "local":
        from os1.llm.local import LocalLLM

        path: Path = request.getfixturevalue("smollm2_path")
        backend = LocalLLM(path, n_threads=1, n_ctx=2048)
    else:
        from os1.llm.openai_compat import OpenAICompatLLM

        server: Any = request.getfixturevalue("llama_server")
        backend = OpenAICompatLLM(server.base_url, server.api_key, "", timeout_s=60)
    try:
        yield backend
    finally:
        await backend.aclose()


async def test_is_an_llm(llm: LLM) -> None:
    assert isinstance(llm, LLM)
    assert isinstance(llm.name, str) and llm.name


async def test_stream_yields_text_deltas(llm: LLM) -> None:
    deltas = [d async for d in llm.stream(HELLO, SHORT)]
    assert deltas
    assert all(isinstance(d, str) for d in deltas)
    assert "".join(deltas).strip()


async def test_closing_early_stops_and_the_backend_still_works(llm: LLM) -> None:
    stream = llm.stream(STORY, GenerationOptions(max_tokens=128, temperature=0.0))
    got = []
    async for delta in stream:
        got.append(delta)
        if len(got) == 2:
            break
    await stream.aclose()
    assert got
    assert (await collect(llm, HELLO, SHORT)).strip()


async def test_complete_json_follows_the_schema(llm: LLM) -> None:
    messages = [ChatMessage(Role.USER, "Pick a name for a friendly cat. Answer in JSON.")]
    reply = await llm.complete_json(messages, SCHEMA, GenerationOptions(max_tokens=64, temperature=0.0))
    assert isinstance(reply, dict)
    assert isinstance(reply["name"], str)


async def test_count_tokens_is_positive_and_grows(llm: LLM) -> None:
    short = await llm.count_tokens("Hello there.")
    long = await llm.count_tokens("Hello there. " * 40)
    assert isinstance(short, int) and isinstance(long, int)
    assert 0 < short < long
