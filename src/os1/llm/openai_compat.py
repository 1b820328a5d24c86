"""OpenAI-compatible backend: any server that speaks ``/v1/chat/completions`` (llama.cpp, Ollama, vLLM...).

Replies stream as server-sent events, parsed here line by line. Closing the stream (or cancelling the task
that reads it) closes the HTTP response, which tells the server to stop generating. Only the request goes
out: the Authorization header when a key is set, nothing from the environment (no proxies, no .netrc).
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

import httpx

from os1.core.errors import BackendError
from os1.core.messages import ChatMessage, Role
from os1.llm.base import GenerationOptions, LLMCapabilities, parse_json_object

if TYPE_CHECKING:
    from os1.config import Settings

_SERVER = "the OpenAI-compatible server"
_SHORT = 120  # longest server message quoted in an error


class OpenAICompatLLM:
    name = "openai"
    capabilities = LLMCapabilities(json_schema=True, prefix_cache=False, exact_token_count=False)

    def __init__(self, base_url: str, api_key: str = "", model: str = "", timeout_s: float = 120.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model  # discovered from GET /models on first use when empty
        self.timeout_s = timeout_s
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0)),
            trust_env=False,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAICompatLLM:
        return cls(
            settings.openai_base_url,
            settings.openai_api_key.get_secret_value(),
            settings.openai_model,
            settings.openai_timeout_s,
        )

    def __repr__(self) -> str:
        return f"OpenAICompatLLM(base_url={_shown(self.base_url)!r}, model={self.model!r})"

    async def stream(self, messages: Sequence[ChatMessage], options: GenerationOptions) -> AsyncGenerator[str, None]:
        body = self._body(await self._model_name(), messages, options, stream=True)
        request = self._http.build_request("POST", "/chat/completions", json=body)
        try:
            response = await self._http.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from exc
        try:
            if response.status_code != 200:
                await response.aread()
                raise self._status_error(response)
            async with contextlib.aclosing(_sse_payloads(response.aiter_lines())) as payloads:
                async for payload in payloads:
                    if delta := _delta_text(payload):
                        yield delta
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from exc
        finally:
            await response.aclose()  # an unfinished response drops the connection: the server stops

    async def complete_json(
        self, messages: Sequence[ChatMessage], schema: dict[str, Any], options: GenerationOptions
    ) -> dict[str, Any]:
        body = self._body(await self._model_name(), messages, options, stream=False)
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "reply", "schema": schema, "strict": True},
        }
        response = await self._post(body)
        if response.status_code == 400 and "response_format" in response.text:
            # An older server without json_schema: ask for a JSON object and describe the schema instead.
            body["messages"] = [m.as_dict() for m in _with_schema_hint(messages, schema)]
            body["response_format"] = {"type": "json_object"}
            response = await self._post(body)
        if response.status_code != 200:
            raise self._status_error(response)
        return parse_json_object(_strip_fences(_message_text(response)), self.name)

    async def warm(self, messages: Sequence[ChatMessage]) -> None:
        return None  # prefix caching is the server's business (vLLM and llama.cpp server do it themselves)

    async def count_tokens(self, text: str) -> int:
        # The OpenAI API has no tokenizer endpoint; about four characters a token for English BPE.
        return math.ceil(len(text) / 4)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _model_name(self) -> str:
        if self.model:
            return self.model
        try:
            response = await self._http.get("/models")
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from exc
        if response.status_code in (401, 403):
            raise self._status_error(response)
        try:
            self.model = str(response.json()["data"][0]["id"])
        except (ValueError, KeyError, IndexError, TypeError):
            raise BackendError(
                f"could not find out which model {_SERVER} at {_shown(self.base_url)} serves "
                f"(GET /models answered HTTP {response.status_code})",
                "name it: `os1 config set openai_model NAME`",
            ) from None
        return self.model

    async def _post(self, body: dict[str, Any]) -> httpx.Response:
        try:
            return await self._http.post("/chat/completions", json=body)
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from exc

    def _body(
        self, model: str, messages: Sequence[ChatMessage], options: GenerationOptions, *, stream: bool
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": model,
            "messages": [m.as_dict() for m in messages],
            "max_tokens": options.max_tokens,
            "temperature": options.temperature,
            "stream": stream,
        }
        if options.stop:
            body["stop"] = list(options.stop)
        return body

    def _transport_error(self, exc: httpx.HTTPError) -> BackendError:
        url = _shown(self.base_url)
        if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
            return BackendError(f"openai_base_url {url!r} is not an http(s) URL",
                                "set `os1 config set openai_base_url http://HOST:PORT/v1`")
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
            return BackendError(f"cannot reach {_SERVER} at {url}",
                                "start it, or set `os1 config set openai_base_url URL`")
        if isinstance(exc, httpx.TimeoutException):
            return BackendError(f"{_SERVER} at {url} did not answer within {self.timeout_s:g} s",
                                "check the server, or raise `os1 config set openai_timeout_s SECONDS`")
        return BackendError(f"the connection to {_SERVER} at {url} failed ({type(exc).__name__})",
                            "check the server's log and try again")

    def _status_error(self, response: httpx.Response) -> BackendError:
        status, message = response.status_code, _error_message(response)
        url = _shown(self.base_url)
        if status in (401, 403):
            return BackendError(f"{_SERVER} at {url} refused the API key (HTTP {status})",
                                "set the right key: `os1 config set openai_api_key KEY`")
        if status == 404 and "model" in message.lower():
            return BackendError(f"model {self.model!r} not found on {_SERVER} at {url}",
                                "set one it serves: `os1 config set openai_model NAME`")
        if status == 404:
            return BackendError(f"{response.request.url.path} not found on the server at {url} (HTTP 404)",
                                "check the URL (it usually ends in /v1): `os1 config set openai_base_url URL`")
        if status == 429:
            return BackendError(f"{_SERVER} at {url} is rate-limiting requests: {message}", "wait and try again")
        if status >= 500:
            return BackendError(f"{_SERVER} at {url} failed (HTTP {status}): {message}",
                                "check the server's log, or try again")
        return BackendError(f"{_SERVER} at {url} rejected the request (HTTP {status}): {message}",
                            "the conversation may be too long for the model; check the server's log")


async def _sse_payloads(lines: AsyncIterator[str]) -> AsyncGenerator[str, None]:
    """The ``data:`` payloads of a server-sent event stream, up to ``[DONE]``; comments/other fields skipped."""
    async for line in lines:
        if not line.startswith("data:"):
            continue  # blank separators, ": keep-alive" comments, event:/id:/retry: fields
        payload = line[5:].strip()
        if payload == "[DONE]":
            return
        if payload:
            yield payload


def _delta_text(payload: str) -> str:
    try:
        event = json.loads(payload)
        if "error" in event:
            raise BackendError(f"{_SERVER} failed while streaming: {_one_line(_error_field(event))}",
                               "check the server's log; the conversation may be too long for the model")
        choices = event.get("choices") or [{}]
        return str(choices[0].get("delta", {}).get("content") or "")
    except (ValueError, AttributeError, TypeError) as exc:
        raise BackendError(f"{_SERVER} sent a malformed stream event: {payload[:60]!r}",
                           "check that openai_base_url points at an OpenAI-compatible API") from exc


def _message_text(response: httpx.Response) -> str:
    try:
        return str(response.json()["choices"][0]["message"]["content"] or "")
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise BackendError(f"{_SERVER} sent a malformed reply: {response.text[:60]!r}",
                           "check that openai_base_url points at an OpenAI-compatible API") from exc


def _with_schema_hint(messages: Sequence[ChatMessage], schema: dict[str, Any]) -> list[ChatMessage]:
    hint = f"Reply with one JSON object, and nothing else, valid under this JSON schema:\n{json.dumps(schema)}"
    if messages and messages[0].role is Role.SYSTEM:
        return [ChatMessage(Role.SYSTEM, f"{messages[0].content}\n\n{hint}"), *messages[1:]]
    return [ChatMessage(Role.SYSTEM, hint), *messages]


def _strip_fences(text: str) -> str:
    """Models asked (not forced) for JSON often wrap it in a Markdown code fence."""
    text = text.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0]
    return text


def _error_message(response: httpx.Response) -> str:
    try:
        return _one_line(_error_field(response.json()))
    except ValueError:
        return _one_line(response.text) or response.reason_phrase


def _error_field(data: Any) -> Any:
    if not isinstance(data, dict):
        return data
    err = data.get("error", data.get("detail", data.get("message", data)))
    return err.get("message", err) if isinstance(err, dict) else err


def _one_line(value: Any) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= _SHORT else text[: _SHORT - 1] + "…"


def _shown(url: str) -> str:
    """The URL without any user:password part, for messages."""
    try:
        return str(httpx.URL(url).copy_with(username=None, password=None))
    except (httpx.InvalidURL, TypeError):
        return url
