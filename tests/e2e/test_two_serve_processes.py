"""Two real `os1 serve` processes sharing one PostgreSQL serve the same user consistently.

Each process has its own OS1_HOME, port, engine and connection pool; only OS1_DATABASE_URL is shared.
A user signs up on one, logs in on the other, talks through both, and each shows both exchanges in
order; a token issued by one is honoured by the other; another user sees none of it on either.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import os1_executable
from tests.e2e.web_kit import free_port
from tests.integration.pg_kit import fresh_database, start_postgres

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"
START_TIMEOUT_S = 20.0


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[Any]:
    server = start_postgres()  # skips, saying why, when PostgreSQL cannot start
    yield server
    server.cleanup()


@dataclass
class Served:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    client: httpx.Client

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")


def _wait_until_answering(served: Served) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if served.process.poll() is not None:
            raise AssertionError(f"os1 serve {served.name} exited with {served.process.returncode}")
        try:
            if served.client.get("/openapi.json", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"os1 serve {served.name} did not answer within {START_TIMEOUT_S:.0f} s")
        time.sleep(0.1)


def _stop(served: Served) -> None:
    served.client.close()
    if served.process.poll() is None:
        served.process.send_signal(signal.SIGINT)  # uvicorn shuts down cleanly on SIGINT
        try:
            served.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            served.process.kill()
            served.process.wait(timeout=10)


@contextmanager
def two_servers(tmp_path: Path, database_url: str) -> Iterator[tuple[Served, Served]]:
    """Two `os1 serve` processes on free loopback ports; always stopped, their stderr shown on failure."""
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("OS1_")}
    started: list[Served] = []
    with ExitStack() as stack:
        try:
            for name in ("A", "B"):
                home, port = tmp_path / f"home-{name}", free_port()
                home.mkdir()
                env = {**base_env, "OS1_HOME": str(home), "OS1_DATABASE_URL": database_url,
                       "OS1_LLM_BACKEND": "scripted", "OS1_SCRIPTED_REPLIES": json.dumps([f"Hello from {name}."]),
                       "OS1_MEMORY_EMBEDDER": "none", "OS1_REFLECT_PAUSE_S": "0", "OS1_N_THREADS": "1"}
                log = stack.enter_context((tmp_path / f"serve-{name}.log").open("wb"))
                process = subprocess.Popen([os1_executable(), "serve", "--port", str(port)], env=env,
                                           stdout=log, stderr=subprocess.STDOUT)
                started.append(Served(name, process, tmp_path / f"serve-{name}.log",
                                      httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=15)))
            for served in started:
                _wait_until_answering(served)
            yield started[0], started[1]
        except BaseException:
            for served in started:
                print(f"--- os1 serve {served.name} output ---\n{served.stderr()}", file=sys.stderr)
            raise
        finally:
            for served in started:
                _stop(served)


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _register(client: httpx.Client, username: str) -> str:
    created = client.post("/api/accounts", json={"username": username, "password": PASSWORD})
    assert created.status_code == 201, created.text
    return str(created.json()["user_id"])


def _log_in(client: httpx.Client, username: str) -> str:
    login = client.post("/api/login", json={"username": username, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return str(login.json()["token"])


def _chat(client: httpx.Client, token: str, text: str) -> str:
    answer = client.post("/v1/chat/completions", headers=_headers(token),
                         json={"model": "os1", "messages": [{"role": "user", "content": text}]})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["choices"][0]["message"]["content"])


def _history(client: httpx.Client, token: str) -> list[tuple[str, str]]:
    got = client.get("/api/history", headers=_headers(token))
    assert got.status_code == 200, got.text
    return [(m["role"], m["content"]) for m in got.json()]


def _me(client: httpx.Client, token: str) -> str:
    got = client.get("/api/me", headers=_headers(token))
    assert got.status_code == 200, got.text
    return str(got.json()["user_id"])


def test_two_serve_processes_on_one_postgres_serve_the_same_user(postgres_server: Any, tmp_path: Path) -> None:
    with two_servers(tmp_path, fresh_database(postgres_server)) as (a, b):
        ana_id = _register(a.client, "ana")
        ana_on_a, ana_on_b = _log_in(a.client, "ana"), _log_in(b.client, "ana")  # made on A, known to B

        assert _chat(a.client, ana_on_a, "my sister plays the cello") == "Hello from A."
        assert _chat(b.client, ana_on_b, "and I play the drums") == "Hello from B."
        both = [("user", "my sister plays the cello"), ("assistant", "Hello from A."),
                ("user", "and I play the drums"), ("assistant", "Hello from B.")]
        assert _history(a.client, ana_on_a) == both
        assert _history(b.client, ana_on_b) == both

        # Shared accounts: a token issued by one process is honoured by the other, for the same user.
        assert _me(b.client, ana_on_a) == ana_id and _me(a.client, ana_on_b) == ana_id
        assert _history(b.client, ana_on_a) == both

        bob_id = _register(b.client, "bob")
        bob_on_b, bob_on_a = _log_in(b.client, "bob"), _log_in(a.client, "bob")
        assert bob_id != ana_id and _me(a.client, bob_on_b) == bob_id
        conversations = a.client.get("/api/conversations", headers=_headers(ana_on_a))
        assert conversations.status_code == 200, conversations.text
        ana_conversation = conversations.json()[0]["id"]
        for client, token in ((a.client, bob_on_a), (b.client, bob_on_b), (a.client, bob_on_b)):
            assert _history(client, token) == []
            assert client.get("/api/history", headers=_headers(token), params={"search": "cello"}).json() == []
            assert client.get("/api/conversations", headers=_headers(token)).json() == []
            leaked = client.get(f"/api/conversations/{ana_conversation}/messages", headers=_headers(token))
            assert leaked.status_code == 404, leaked.text

        assert a.process.poll() is None and b.process.poll() is None  # both still serving
