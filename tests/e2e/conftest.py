"""Helpers to drive a real `os1` process."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest


def os1_executable() -> str:
    candidate = Path(sys.executable).with_name("os1")
    found = str(candidate) if candidate.exists() else shutil.which("os1")
    if not found:
        pytest.fail("the os1 command is not installed; run `bash scripts/install.sh --dev`")
    return found


@pytest.fixture
def os1_env(os1_home: Path) -> Callable[..., dict[str, str]]:
    def make(**extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS1_")}
        env.update({"OS1_HOME": str(os1_home), "OS1_N_THREADS": "1", "TERM": "dumb", "COLUMNS": "200"})
        env.update(extra)
        return env

    return make
