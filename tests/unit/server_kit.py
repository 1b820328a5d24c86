"""Building blocks of the server tests: an app on a real SQLite home with the scripted LLM, and users."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.testclient import TestClient, WebSocketTestSession

from os1.config import Settings
from os1.server import create_app
from os1.server.ratelimit import RateLimiter
from os1.testing import ScriptedLLM

PASSWORD = "correct horse battery"


class MovableClock:
    """A clock the test moves forward (tokens expire by it)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def settings_for(home: Path, **overrides: Any) -> Settings:
    # Keyword memory only (no embedder to load) and no thinking pause: fast, and still the real engine.
    values: dict[str, Any] = {"home": home, "llm_backend": "scripted", "memory_embedder": "none",
                              "reflect_pause_s": 0, **overrides}
    return Settings(**values)


def make_app(home: Path, replies: Sequence[str] = (), *, delay_s: float = 0.0,
             clock: Callable[[], datetime] | None = None, limiter: RateLimiter | None = None,
             **overrides: Any) -> FastAPI:
    extra: dict[str, Any] = {"clock": clock} if clock else {}
    return create_app(settings_for(home, **overrides), llm=ScriptedLLM(replies, delay_s=delay_s),
                      login_limiter=limiter, **extra)


@dataclass
class Account:
    username: str
    token: str
    user_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def sign_up(client: TestClient, username: str) -> Account:
    created = client.post("/api/accounts", json={"username": username, "password": PASSWORD})
    assert created.status_code == 201, created.text
    login = client.post("/api/login", json={"username": username, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return Account(username, login.json()["token"], created.json()["user_id"])


def chat(client: TestClient, account: Account, text: str) -> str:
    answer = client.post("/v1/chat/completions", headers=account.headers,
                         json={"model": "os1", "messages": [{"role": "user", "content": text}]})
    assert answer.status_code == 200, answer.text
    content: str = answer.json()["choices"][0]["message"]["content"]
    return content


def wait_for(check: Callable[[], Any], timeout_s: float = 10.0) -> Any:
    """Poll until ``check`` returns something truthy (background learning runs after the reply)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def until_done(ws: WebSocketTestSession) -> list[dict[str, Any]]:
    """The realtime events up to and including ``response.done``."""
    events = []
    while True:
        events.append(ws.receive_json())
        if events[-1]["type"] == "response.done":
            return events
