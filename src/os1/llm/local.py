"""Local backend: a GGUF model run in-process by xllamacpp (the llama.cpp server core).

Generation runs in a worker thread; tokens cross to the event loop through a queue. Closing the stream
makes the token callback return True, which tells llama.cpp to stop. The server keeps each slot's KV
cache between requests (``cache_prompt``), so a turn whose prompt starts like the previous one (persona,
profile, earlier dialogue) evaluates only the new tokens.

llama.cpp's server core also opens an HTTP listener. We bind it to a Unix socket in a private temporary
folder and give it a random API key, so no other user or process on the machine can reach the model; we
use that socket only for tokenising.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import shutil
import tempfile
import threading
from collections.abc import AsyncGenerator, Sequence
from pathlib import Path
from typing import Any

import httpx

from os1.core.errors import BackendError, ModelError
from os1.core.messages import ChatMessage
from os1.llm.base import GenerationOptions, LLMCapabilities, parse_json_object

log = logging.getLogger(__name__)

_DONE = object()


class LocalLLM:
    name = "local"
    capabilities = LLMCapabilities(json_schema=True, prefix_cache=True, exact_token_count=True)

    def __init__(
        self,
        model_path: Path,
        *,
        n_threads: int = 1,
        n_threads_batch: int | None = None,
        n_ctx: int = 4096,
        n_parallel: int = 1,
    ) -> None:
        if not model_path.is_file():
            raise ModelError(f"model file {model_path} does not exist", "run `os1 models list` and `os1 models pull`")
        self.model_path = model_path
        self._api_key = secrets.token_urlsafe(24)
        self._sock_dir = Path(tempfile.mkdtemp(prefix="os1-llm-"))  # mode 0700: only this user
        self._server = _start_server(model_path, self._sock_dir / "llama.sock", self._api_key,
                                     n_threads=n_threads, n_threads_batch=n_threads_batch or n_threads,
                                     n_ctx=n_ctx, n_parallel=n_parallel)
        self._http: httpx.Client | None = None
        self._token_cache: dict[str, int] = {}
        # llama.cpp's timings of the last finished reply: cache_n (prompt tokens reused from the previous
        # request), prompt_n (prompt tokens evaluated now), predicted_per_second, ...
        self.last_timings: dict[str, Any] = {}

    async def stream(self, messages: Sequence[ChatMessage], options: GenerationOptions) -> AsyncGenerator[str, None]:
        request = _request(messages, options, stream=True)
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        stop = threading.Event()

        def on_chunk(chunk: str) -> bool:
            loop.call_soon_threadsafe(queue.put_nowait, chunk)
            return stop.is_set()  # True tells llama.cpp to stop generating

        def work() -> None:
            try:
                self._server.handle_chat_completions(json.dumps(request), on_chunk)
            except Exception as exc:
                loop.call_soon_threadsafe(queue.put_nowait, exc)
            finally:
                loop.call_soon_threadsafe(queue.put_nowait, _DONE)

        worker = asyncio.ensure_future(asyncio.to_thread(work))
        try:
            while (item := await queue.get()) is not _DONE:
                if isinstance(item, Exception):
                    raise BackendError(f"local model failed: {item}", "check `os1 doctor`") from item
                data = json.loads(item)
                _raise_on_error(data)
                if "timings" in data:
                    self.last_timings = data["timings"]
                if delta := _delta_text(data):
                    yield delta
        finally:
            stop.set()
            # Wait for llama.cpp to notice, so the next request starts on an idle slot.
            await asyncio.shield(worker)

    async def complete_json(
        self, messages: Sequence[ChatMessage], schema: dict[str, Any], options: GenerationOptions
    ) -> dict[str, Any]:
        request = _request(messages, options, stream=False)
        request["response_format"] = {"type": "json_schema", "json_schema": {"schema": schema}}
        try:
            result = await asyncio.to_thread(self._server.handle_chat_completions, request)
        except RuntimeError as exc:  # e.g. the reply hit max_tokens before the JSON was complete
            raise BackendError(f"local model gave no valid JSON: {exc}", "try again or use a larger model") from exc
        _raise_on_error(result)
        return parse_json_object(result["choices"][0]["message"]["content"] or "", self.name)

    async def warm(self, messages: Sequence[ChatMessage]) -> None:
        # One generated token is the cheapest request that leaves the prompt's KV cache in the slot.
        async for _ in self.stream(messages, GenerationOptions(max_tokens=1, temperature=0.0)):
            pass

    async def count_tokens(self, text: str) -> int:
        if (cached := self._token_cache.get(text)) is not None:
            return cached
        client = self._client()
        try:
            # A synchronous call over the private Unix socket takes about a millisecond, and unlike an
            # AsyncClient it is not tied to one event loop.
            resp = client.post("/tokenize", json={"content": text})
            resp.raise_for_status()
        except httpx.HTTPError as exc:
            raise BackendError(f"local model could not tokenize: {exc}", "check `os1 doctor`") from exc
        count = len(resp.json()["tokens"])
        if len(self._token_cache) < 10_000:
            self._token_cache[text] = count
        return count

    def _client(self) -> httpx.Client:
        if self._http is None:
            transport = httpx.HTTPTransport(uds=str(self._sock_dir / "llama.sock"))
            self._http = httpx.Client(
                transport=transport, base_url="http://llama", headers={"Authorization": f"Bearer {self._api_key}"}
            )
        return self._http

    async def aclose(self) -> None:
        self.close()

    def close(self) -> None:
        """Free the model (also safe to call from synchronous code at exit)."""
        if self._http is not None:
            self._http.close()
            self._http = None
        server = getattr(self, "_server", None)
        if server is not None:
            self._server = None
            _until_loop_runs(server)
            del server
        shutil.rmtree(self._sock_dir, ignore_errors=True)


def _start_server(
    model: Path, sock: Path, api_key: str, *, n_threads: int, n_threads_batch: int, n_ctx: int, n_parallel: int
) -> Any:
    try:
        import xllamacpp
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise BackendError("xllamacpp is not installed", "run `bash scripts/install.sh`") from exc
    params = xllamacpp.CommonParams()
    params.model.path = str(model)
    params.n_ctx = n_ctx * n_parallel  # llama.cpp splits the context across slots
    params.n_parallel = n_parallel
    params.cpuparams.n_threads = n_threads
    params.cpuparams_batch.n_threads = n_threads_batch
    params.cache_prompt = True
    # One slot keeps its own KV cache between turns. llama.cpp's host-RAM prompt cache (8 GiB by default)
    # and context checkpoints only pay off when many prompts compete for few slots; on a quiet 2-core
    # machine they made no measurable difference, so keep the memory.
    params.cache_ram_mib = 0
    params.n_ctx_checkpoints = 0
    params.warmup = False  # no measurable effect on the first reply here, and it slows the start
    params.verbosity = -1 if not log.isEnabledFor(logging.DEBUG) else 1
    params.hostnames = [str(sock)]
    params.api_keys = [api_key]
    params.endpoint_metrics = True  # for _until_loop_runs (on the private socket, behind the API key)
    try:
        with _quiet_stderr(not log.isEnabledFor(logging.DEBUG)):
            return xllamacpp.Server(params)
    except Exception as exc:
        raise ModelError(f"could not load {model.name}: {exc}", "check the file with `os1 doctor`") from exc


def _until_loop_runs(server: Any) -> None:
    """Return once the server's main loop has started. xllamacpp's Server returns before its loop starts,
    and destroying it stops the loop, then waits for it: a loop that starts after the stop resets it and
    runs for ever, so closing a server opened a moment before hung (seen in CI: a contract test opens and
    closes at once). A metrics request is a task only the running loop answers, without touching the model."""
    with contextlib.suppress(Exception):
        server.handle_metrics()


@contextlib.contextmanager
def _quiet_stderr(quiet: bool) -> Any:
    """llama.cpp writes its load log straight to fd 2; hide it unless --debug."""
    if not quiet:
        yield
        return
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _request(messages: Sequence[ChatMessage], options: GenerationOptions, *, stream: bool) -> dict[str, Any]:
    request: dict[str, Any] = {
        "messages": [m.as_dict() for m in messages],
        "max_tokens": options.max_tokens,
        "temperature": options.temperature,
        "cache_prompt": options.cache_prompt,
        "stream": stream,
    }
    if options.stop:
        request["stop"] = list(options.stop)
    return request


def _delta_text(data: dict[str, Any]) -> str:
    choices = data.get("choices") or [{}]
    return choices[0].get("delta", {}).get("content") or ""


def _raise_on_error(data: Any) -> None:
    if isinstance(data, dict) and "error" in data:
        err = data["error"]
        message = err.get("message", err) if isinstance(err, dict) else err
        raise BackendError(f"local model error: {message}", "shorten the conversation or raise n_ctx")
