"""A real `os1 serve` (uvicorn on a loopback port, scripted LLM) and a real headless Debian chromium, for the
web page's tests. Without chromium or playwright the tests skip and say how to get them."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from os1.server import create_app
from os1.server.lean_ws import uvicorn_options
from os1.testing import ScriptedLLM
from tests.unit.server_kit import settings_for

CHROMIUM = "/usr/bin/chromium"
# Headless, offline, and a fake microphone (STACK.md "Browser tests"); the WAV is added per test.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                  "--autoplay-policy=no-user-gesture-required"]


def chromium_or_skip() -> str:
    found = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if found is None:
        pytest.skip("Debian chromium is not installed: run `bash scripts/test.sh` as root (it runs "
                    "`apt-get install -y chromium`), or install it yourself")
    pytest.importorskip("playwright", reason="playwright is missing: `pip install -e .[dev]`")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serving(home: Path, replies: list[str], **overrides: Any) -> Iterator[str]:
    """The app on uvicorn in a thread, as `os1 serve` runs it; yields its base URL."""
    app = create_app(settings_for(home, **overrides), llm=ScriptedLLM(replies, delay_s=0.05))
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **uvicorn_options())
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise AssertionError("the server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@contextmanager
def browser_page(extra_flags: list[str] | None = None) -> Iterator[Any]:
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS + (extra_flags or []))
        try:
            context = browser.new_context()
            context.grant_permissions(["microphone"])
            yield context.new_page()
        finally:
            browser.close()
