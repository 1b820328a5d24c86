"""The real `os1` command: help that teaches, one-line errors, no tracebacks without --debug."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.e2e.conftest import os1_executable


def os1(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([os1_executable(), *args], env=env, capture_output=True, text=True, timeout=60)


def assert_one_line_error(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "Traceback" not in done.stderr
    for word in words:
        assert word in lines[0]


def test_help_lists_every_command(os1_env: Callable[..., dict]) -> None:
    done = os1(["--help"], os1_env())
    for command in ("chat", "setup", "history", "models", "config", "doctor"):
        assert command in done.stdout
    assert "Example: os1 history --search" in os1(["history", "--help"], os1_env()).stdout


def test_invalid_setting_is_one_line_with_a_fix(os1_env: Callable[..., dict]) -> None:
    assert_one_line_error(os1(["config", "set", "n_threads", "zero"], os1_env()), "n_threads", "—")
    assert_one_line_error(os1(["config", "set", "colour", "blue"], os1_env()), "unknown setting")


def test_broken_config_file_is_one_line(os1_home: Path, os1_env: Callable[..., dict]) -> None:
    os1_home.mkdir(parents=True)
    (os1_home / "config.toml").write_text("n_ctx = [")
    assert_one_line_error(os1(["history"], os1_env()), "config.toml", "fix or delete")


def test_missing_model_is_one_line_that_says_how_to_get_it(os1_env: Callable[..., dict]) -> None:
    done = os1(["chat"], os1_env(OS1_MODEL="llama-3.2-3b"))
    assert_one_line_error(done, "not on this machine", "os1 models pull llama-3.2-3b")


def test_doctor_reports_and_fixes(os1_env: Callable[..., dict]) -> None:
    good = os1(["doctor"], os1_env())
    assert good.returncode == 0 and "all good" in good.stdout
    bad = os1(["doctor"], os1_env(OS1_MODEL="qwen2.5-3b"))
    assert bad.returncode == 1 and "fix: run `os1 models pull qwen2.5-3b`" in bad.stdout


def test_debug_shows_the_traceback(os1_env: Callable[..., dict]) -> None:
    done = os1(["--debug", "config", "set", "colour", "blue"], os1_env())
    assert done.returncode != 0 and "Traceback" in done.stderr


def test_history_search_and_config_round_trip(os1_env: Callable[..., dict]) -> None:
    env = os1_env(OS1_LLM_BACKEND="scripted")
    assert os1(["setup", "--yes", "--name", "Theo", "--voice", "masculine"], env).returncode == 0
    chat = subprocess.run([os1_executable(), "chat"], env=env, input="my sister Ana plays cello\n/quit\n",
                          capture_output=True, text=True, timeout=60)
    assert chat.returncode == 0, chat.stderr
    found = os1(["history", "--search", "cello"], env)
    assert "cello" in found.stdout and "Ana" in found.stdout
    assert "nothing found" in os1(["history", "--search", "trumpet"], env).stdout
    assert os1(["config", "set", "n_ctx", "8192"], env).returncode == 0
    assert "8192" in os1(["config", "show"], env).stdout
