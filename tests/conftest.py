"""Shared fixtures: every test gets its own OS1_HOME; nothing touches ~/.os1, the network or a hub."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from os1.storage.sqlite import SQLiteStore, open_store


@pytest.fixture(autouse=True)
def os1_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "os1-home"
    monkeypatch.setenv("OS1_HOME", str(home))
    for var in ("OS1_LLM_BACKEND", "OS1_MODEL", "OS1_SCRIPTED_REPLIES", "OS1_SCRIPTED_DELAY", "HF_ENDPOINT"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
async def store(os1_home: Path) -> AsyncIterator[SQLiteStore]:
    s = open_store(os1_home / "os1.db")
    yield s
    await s.close()
