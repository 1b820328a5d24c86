"""`os1 mood` draws a real PNG after a few scripted turns through the real runtime (hooks as wired)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from os1.cli.main import app
from os1.cli.mood import draw
from os1.config import load_settings
from os1.core.affect import Speaker
from os1.core.errors import InputError
from os1.engine.runtime import open_companion
from os1.persona.mood import resting

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
runner = CliRunner()


@pytest.fixture(autouse=True)
def scripted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OS1_LLM_BACKEND", "scripted")
    monkeypatch.setenv("OS1_SCRIPTED_REPLIES", json.dumps(["I'm sorry to hear that.", "That's wonderful!", "Okay."]))


async def _talk(lines: list[str]) -> tuple[int, int]:
    """Talk through the runtime as `os1 chat` does; returns how many user readings and moods were kept."""
    companion = await open_companion(load_settings())
    try:
        session = await companion.open_session()
        for line in lines:
            async with contextlib.aclosing(session.send(line)) as deltas:
                async for _ in deltas:
                    pass
        await session.drain()
        readings = await companion.store.affect.readings(session.user_id, speaker=Speaker.USER)
        return len(readings), len(await companion.store.affect.moods(session.user_id))
    finally:
        await companion.aclose()


def test_mood_draws_a_png_of_both_moods(tmp_path: Path, os1_home: Path) -> None:
    kept = asyncio.run(_talk(["I feel sad and lonely today.", "I got the job, I'm so happy!", "The bus is at 9."]))
    assert kept == (3, 3)  # the runtime's hooks read every message and moved the mood after every reply
    out = tmp_path / "charts" / "mine.png"
    result = runner.invoke(app, ["mood", "--days", "7", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(out)
    data = out.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 20_000  # a drawn 1000x600 chart, not an empty file
    result = runner.invoke(app, ["mood"])
    assert result.exit_code == 0, result.output
    assert (os1_home / "mood.png").read_bytes().startswith(PNG_SIGNATURE)


def test_mood_without_data_says_so_and_writes_nothing(os1_home: Path) -> None:
    result = runner.invoke(app, ["mood"])
    assert result.exit_code == 0, result.output
    assert "no mood data yet" in result.output and len(result.output.strip().splitlines()) == 1
    assert not (os1_home / "mood.png").exists()


def test_mood_into_an_unwritable_place_is_a_one_line_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")  # a file where a folder would have to be
    mood = resting(datetime.now(UTC))
    with pytest.raises(InputError, match="cannot write"):
        draw(blocker / "sub" / "m.png", [], [mood], mood.at, "OS1")
