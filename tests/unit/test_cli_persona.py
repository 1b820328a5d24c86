"""`os1 persona ...` and `os1 journal` through Typer's CliRunner, and one real process for the one-line error."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from os1.cli.main import app
from os1.core.errors import NotFoundError
from os1.core.persona import JournalSource, NewJournalEntry, PersonaSource
from os1.core.profile import OSIdentity
from os1.persona.cards import CardError
from os1.persona.growth import ChangeKind, PersonaChange
from os1.persona.versions import current_persona, grow
from os1.storage.sqlite import open_store

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")


def meet_and_grow(home: Path) -> None:
    """A met OS that has grown once and written in its journal."""

    async def go() -> None:
        store = open_store(home / "os1.db")
        user = await store.users.local_user()
        identity = OSIdentity("Sam", "I chose it because it sounds warm", datetime.now(UTC) - timedelta(days=1))
        profile = replace(await store.profiles.get(user.id), user_name="Theo", identity=identity)
        await store.profiles.save(profile)
        await current_persona(store, profile)
        await grow(store, profile, PersonaChange(ChangeKind.ADD_INTEREST, "the night sky",
                                                 "since you told me about the night sky I keep reading about stars"))
        await store.journal.add(user.id, NewJournalEntry("Theo found Orion.", "I wonder about Rigel.",
                                                         JournalSource.LLM))
        await store.close()

    asyncio.run(go())


def sources(home: Path) -> list[PersonaSource]:
    async def go() -> list[PersonaSource]:
        store = open_store(home / "os1.db")
        user = await store.users.local_user()
        versions = await store.persona.history(user.id)
        await store.close()
        return [v.source for v in versions]

    return asyncio.run(go())


def test_show_history_revert_journal(os1_home: Path) -> None:
    meet_and_grow(os1_home)
    shown = runner.invoke(app, ["persona", "show"])
    assert shown.exit_code == 0, shown.output
    assert "Sam — persona version 2 (reflection" in shown.output and "the night sky" in shown.output
    history = runner.invoke(app, ["persona", "history"])
    assert 'v2' in history.output and 'added interest "the night sky"' in history.output
    assert "since you told me about the night sky" in history.output
    reverted = runner.invoke(app, ["persona", "revert", "1"])
    assert reverted.exit_code == 0, reverted.output
    assert "now version 3" in reverted.output and "os1 persona revert 2" in reverted.output
    assert sources(os1_home) == [PersonaSource.FIRST_MEETING, PersonaSource.REFLECTION, PersonaSource.REVERT]
    journal = runner.invoke(app, ["journal"])
    assert "Theo found Orion. I wonder about Rigel." in journal.output


def test_export_then_import_a_card(os1_home: Path, tmp_path: Path) -> None:
    meet_and_grow(os1_home)
    card = tmp_path / "ada.json"
    card.write_text(json.dumps({"spec": "chara_card_v2", "spec_version": "2.0",
                                "data": {"name": "Ada", "personality": "wry, patient"}}), encoding="utf-8")
    imported = runner.invoke(app, ["persona", "import", str(card)])
    assert imported.exit_code == 0, imported.output
    assert "Imported Ada as persona version 3" in imported.output and "revert 2" in imported.output
    png = tmp_path / "ada.png"
    exported = runner.invoke(app, ["persona", "export", str(png)])
    assert exported.exit_code == 0 and png.read_bytes().startswith(b"\x89PNG")
    again = runner.invoke(app, ["persona", "import", str(png)])
    assert isinstance(again.exception, Exception) and "already have" in str(again.exception)
    assert sources(os1_home)[-1] is PersonaSource.IMPORT


def test_errors_before_meeting_and_for_bad_cards(os1_home: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["persona", "show"])
    assert isinstance(result.exception, NotFoundError)
    bad = tmp_path / "bad.json"
    bad.write_text("[]", encoding="utf-8")
    result = runner.invoke(app, ["persona", "import", str(bad)])
    assert isinstance(result.exception, CardError)


def test_a_bad_card_is_one_line_in_a_real_process(os1_home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"spec": "chara_card_v2", "data": {"name": "Ada", "tags": "space"}}', encoding="utf-8")
    env = {**os.environ, "OS1_HOME": str(os1_home), "OS1_LLM_BACKEND": "scripted"}
    done = subprocess.run([sys.executable, "-c", "from os1.cli.main import run; run()", "persona", "import", str(bad)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "error: the card's tags is not a list of text — make data.tags a list of strings"]
