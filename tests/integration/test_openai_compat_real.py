"""The openai backend against a real OpenAI-compatible server: llama.cpp's, embedded in xllamacpp."""

from __future__ import annotations

from typing import Any

import pytest

from os1.core.errors import BackendError
from os1.core.messages import ChatMessage, Role
from os1.llm.base import GenerationOptions, collect
from os1.llm.openai_compat import OpenAICompatLLM

pytestmark = pytest.mark.integration

# llama_server (tests/integration/conftest.py): .base_url (ends in /v1) and .api_key of a real server.

SHORT = GenerationOptions(max_tokens=16, temperature=0.0)
HELLO = [ChatMessage(Role.SYSTEM, "You are a friendly assistant."), ChatMessage(Role.USER, "Say hello to me.")]
NAME_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string", "maxLength": 16}},
    "required": ["name"],
    "additionalProperties": False,
}


def _llm(server: Any, *, api_key: str | None = None, model: str = "smollm2") -> OpenAICompatLLM:
    key = server.api_key if api_key is None else api_key
    return OpenAICompatLLM(server.base_url, key, model, timeout_s=60)


async def test_stream_arrives_in_several_deltas(llama_server: Any) -> None:
    llm = _llm(llama_server)
    try:
        deltas = [d async for d in llm.stream(HELLO, SHORT)]
    finally:
        await llm.aclose()
    assert all(isinstance(d, str) and d for d in deltas)
    assert len(deltas) > 1
    assert "".join(deltas).strip()


async def test_closing_early_then_next_request_works(llama_server: Any) -> None:
    llm = _llm(llama_server)
    story = [ChatMessage(Role.USER, "Tell me a long story about a dragon.")]
    try:
        stream = llm.stream(story, GenerationOptions(max_tokens=256, temperature=0.0))
        got = []
        async for delta in stream:
            got.append(delta)
            if len(got) == 3:
                break
        await stream.aclose()
        assert len(got) == 3
        assert (await collect(llm, HELLO, SHORT)).strip()
    finally:
        await llm.aclose()


async def test_complete_json_follows_schema(llama_server: Any) -> None:
    llm = _llm(llama_server)
    messages = [ChatMessage(Role.USER, "Pick a name for a friendly cat. Answer in JSON.")]
    try:
        reply = await llm.complete_json(messages, NAME_SCHEMA, GenerationOptions(max_tokens=64, temperature=0.0))
    finally:
        await llm.aclose()
    assert isinstance(reply, dict)
    assert isinstance(reply["name"], str)


async def test_wrong_api_key_names_the_setting(llama_server: Any) -> None:
    llm = _llm(llama_server, api_key="wrong-key")
    try:
        with pytest.raises(BackendError) as info:
            await collect(llm, HELLO, SHORT)
    finally:
        await llm.aclose()
    assert "openai_api_key" in info.value.fix
    assert "wrong-key" not in info.value.one_line()
    assert "\n" not in info.value.cause


async def test_missing_api_key_is_refused_too(llama_server: Any) -> None:
    llm = _llm(llama_server, api_key="", model="")  # discovery (GET /models) is the first request
    try:
        with pytest.raises(BackendError) as info:
            await collect(llm, HELLO, SHORT)
    finally:
        await llm.aclose()
    assert "openai_api_key" in info.value.fix


async def test_model_is_discovered_when_not_set(llama_server: Any) -> None:
    llm = _llm(llama_server, model="")
    try:
        assert (await collect(llm, HELLO, SHORT)).strip()
        assert llm.model  # the first id from GET /models, cached for the next request
        discovered = llm.model
        assert (await collect(llm, HELLO, SHORT)).strip()
        assert llm.model == discovered
    finally:
        await llm.aclose()
