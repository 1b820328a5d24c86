"""`os1 memory` through Typer's CliRunner, on memories made by the real Memory (SQLite, static embedder)."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from os1.cli import main
from os1.cli import memory as memory_cli
from os1.core.errors import InputError, NotFoundError
from os1.core.memory import MemoryKind
from os1.core.messages import Role
from os1.embeddings import load_embedder
from os1.memory.episodes import Utterance
from os1.memory.service import Memory
from os1.storage.sqlite import SQLiteStore, open_store

T0 = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
runner = CliRunner()


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OS1_MEMORY_EMBEDDER", "static")
    monkeypatch.setenv("COLUMNS", "200")


async def _seed(db: Path) -> dict[str, str]:
    """Four things said, as `os1 chat` would store them (messages, then memories citing them)."""
    store = open_store(db)
    try:
        user = await store.users.local_user()
        conv = await store.conversations.create(user.id)
        memory = Memory(store, load_embedder("static"))
        said = [("My sister Zelda is getting married in June.", T0), ("I adopted a cat named Biscuit.", T0),
                ("I really love coffee in the morning.", T0), ("Honestly I can't stand coffee anymore.",
                                                                T0 + timedelta(days=9))]
        ids: dict[str, str] = {"user": user.id}
        for text, at in said:
            msg = await store.messages.add(user.id, conv.id, Role.USER, text, created_at=at)
            [item] = [i for i in await memory.remember(user.id, [Utterance(text, "Me", at, msg.id, conv.id)])]
            ids[text.split()[-1].strip(".")] = item.id
            ids["msg:" + text.split()[-1].strip(".")] = msg.id
        facts = await store.memory.list_items(user.id, [MemoryKind.FACT], current_only=False)
        ids["old_fact"] = next(f.id for f in facts if not f.current and "coffee" in f.text)
        ids["new_fact"] = next(f.id for f in facts if f.current and "coffee" in f.text)
        return ids
    finally:
        await store.close()


@pytest.fixture
def ids(os1_home: Path) -> dict[str, str]:
    os1_home.mkdir(parents=True, exist_ok=True)
    return asyncio.run(_seed(os1_home / "os1.db"))


def ok(*args: str, input: str | None = None) -> str:
    result = runner.invoke(memory_cli.app, list(args), input=input)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def line_of(output: str, needle: str) -> str:
    return next(line for line in output.splitlines() if needle in line)


def test_list_shows_id_date_kind_speaker_and_hides_replaced_facts_unless_all(ids: dict[str, str]) -> None:
    out = ok("list")
    row = line_of(out, ids["June"])
    assert "2026-03-02" in row and "episode" in row and "Me: My sister Zelda is getting married in June." in row
    assert ids["new_fact"] in out and ids["old_fact"] not in out
    everything = ok("list", "--all")
    assert "(replaced)" in line_of(everything, ids["old_fact"]) and "(replaced)" not in line_of(everything, ids["June"])
    facts = ok("list", "--kind", "fact", "--all", "-n", "50")
    assert ids["old_fact"] in facts and ids["June"] not in facts
    assert len([line for line in ok("list", "-n", "2").splitlines() if line.startswith("mem_")]) == 2


def test_list_on_an_empty_memory_says_how_memories_are_made() -> None:
    assert "os1 chat" in ok("list")


def test_search_ranks_the_relevant_memory_first_with_score_and_date(ids: dict[str, str]) -> None:
    out = ok("search", "the cat Biscuit", "-n", "3")
    first = out.splitlines()[0]
    assert ids["Biscuit"] in first and "2026-03-02" in first and "words+meaning" in first
    assert float(first.split()[0]) > 0 and len(out.splitlines()) == 3
    nearest = ok("search", "xylophone").splitlines()
    assert nearest and not any("words" in line for line in nearest)  # only nearest by meaning, no word in common


def test_search_on_an_empty_memory_finds_nothing() -> None:
    assert "nothing found for 'cat'" in ok("search", "cat")


def test_show_gives_sources_supersession_and_history(ids: dict[str, str]) -> None:
    out = ok("show", ids["June"])
    assert ids["msg:June"] in out and "you: My sister Zelda is getting married in June." in out
    assert re.search(rf"add\s+episode\s+{ids['June']}", out)
    old = ok("show", ids["old_fact"])
    assert f"replaced by {ids['new_fact']}" in old and "supersede" in old and f"by {ids['new_fact']}" in old
    assert ids["msg:morning"] in old and "I really love coffee in the morning." in old
    assert f"replaces {ids['old_fact']}" in ok("show", ids["new_fact"])


def test_edit_corrects_the_text_and_re_embeds_it(ids: dict[str, str], os1_home: Path) -> None:
    out = ok("edit", ids["Biscuit"], "I adopted a dog named Pretzel.")
    assert "corrected" in out and "Pretzel" in out
    assert ids["Biscuit"] in ok("search", "Pretzel the dog").splitlines()[0]
    assert "Biscuit" not in ok("list")
    assert " edit " in ok("show", ids["Biscuit"])

    async def stored_vector() -> bytes:
        store = open_store(os1_home / "os1.db")
        try:
            user = await store.users.local_user()
            rows = await store.memory.vectors(user.id, load_embedder("static").name)
            return next(blob for _, item_id, blob in rows if item_id == ids["Biscuit"])
        finally:
            await store.close()

    vector = np.frombuffer(asyncio.run(stored_vector()), dtype=np.float32)
    expected = load_embedder("static").embed_passages(["Me: I adopted a dog named Pretzel."])[0]
    assert np.allclose(vector, expected, atol=1e-6)


def test_forget_about_a_topic_removes_it_everywhere_and_the_history_says_so(
    ids: dict[str, str], tmp_path: Path
) -> None:
    out = ok("forget", "--about", "my sister", "--yes")
    assert "will be forgotten" in out and "Zelda" in out and "forgot" in out
    assert "Zelda" not in ok("list", "--all") and "Biscuit" in ok("list")
    ok("export", "--out", str(tmp_path / "after.json"))
    exported = (tmp_path / "after.json").read_text()
    assert "zelda" not in exported.lower() and "married" not in exported
    data = json.loads(exported)
    assert {"action": "forget", "item_id": ids["June"]}.items() <= next(
        c for c in data["audit"] if c["item_id"] == ids["June"] and c["action"] == "forget").items()
    history = ok("history", "-n", "100")
    assert "(forgotten)" in line_of(history, ids["June"]) and "forget" in history
    assert "nothing stored about" in ok("forget", "--about", "Zelda", "--yes")


def test_forget_by_id_takes_what_was_learned_from_the_same_words(ids: dict[str, str]) -> None:
    ok("forget", ids["new_fact"], "--yes")
    remaining = ok("list", "--all")
    assert ids["new_fact"] not in remaining and ids["anymore"] not in remaining  # the episode it came from
    assert ids["morning"] in remaining  # an earlier, separate utterance stays
    with pytest.raises(StopIteration):
        line_of(ok("show", ids["morning"]), "anymore")


def test_forget_without_a_terminal_or_yes_refuses_and_keeps_everything(ids: dict[str, str]) -> None:
    result = runner.invoke(memory_cli.app, ["forget", ids["Biscuit"]])
    assert isinstance(result.exception, InputError) and "--yes" in result.exception.one_line()
    assert ids["Biscuit"] in ok("list")


def test_forget_asks_first_on_a_terminal(ids: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory_cli, "can_ask", lambda: True)
    kept = ok("forget", ids["Biscuit"], input="n\n")
    assert "Forget these for good?" in kept and "nothing forgotten" in kept
    assert ids["Biscuit"] in ok("list")
    ok("forget", ids["Biscuit"], input="y\n")
    assert ids["Biscuit"] not in ok("list", "--all")


def test_export_writes_every_item_with_sources_and_the_audit(ids: dict[str, str], tmp_path: Path) -> None:
    data = json.loads(ok("export"))
    assert data["version"] == 1 and data["user"]["id"] == ids["user"] and data["exported_at"]
    by_id = {i["id"]: i for i in data["items"]}
    assert {ids["June"], ids["Biscuit"], ids["old_fact"], ids["new_fact"]} <= set(by_id)
    assert by_id[ids["June"]]["sources"] == [ids["msg:June"]] and by_id[ids["June"]]["kind"] == "episode"
    assert by_id[ids["old_fact"]]["superseded_by"] == ids["new_fact"] and not by_id[ids["old_fact"]]["current"]
    assert [i["occurred_at"] for i in data["items"]] == sorted(i["occurred_at"] for i in data["items"])
    actions = {(c["item_id"], c["action"]) for c in data["audit"]}
    assert (ids["old_fact"], "supersede") in actions and (ids["June"], "add") in actions
    out = tmp_path / "sub" / "memories.json"
    assert "exported" in ok("export", "-o", str(out))
    assert json.loads(out.read_text())["items"] == data["items"]


@pytest.mark.parametrize("command", [["show", "mem_nope"], ["edit", "mem_nope", "text"],
                                     ["forget", "mem_nope", "--yes"]])
def test_an_unknown_id_is_one_error_with_a_fix(command: list[str]) -> None:
    result = runner.invoke(memory_cli.app, command)
    assert isinstance(result.exception, NotFoundError)
    line = result.exception.one_line()
    assert "no memory mem_nope" in line and "os1 memory list" in line and "\n" not in line


def test_forget_needs_ids_or_a_topic_but_not_both(ids: dict[str, str]) -> None:
    for args in (["forget"], ["forget", ids["June"], "--about", "sister"]):
        assert isinstance(runner.invoke(memory_cli.app, args).exception, InputError)
    assert ids["June"] in ok("list")


def test_the_os1_command_prints_one_line_errors(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["os1", "memory", "show", "mem_nope"])
    with pytest.raises(SystemExit) as exited:
        main.run()
    assert exited.value.code == 1
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and err[0].startswith("error: no memory mem_nope —")


def test_registered_on_os1_and_every_help_has_an_example() -> None:
    result = runner.invoke(main.app, ["memory", "--help"])
    assert result.exit_code == 0 and "Example" in result.output
    for command in ("list", "search", "show", "edit", "forget", "export", "history"):
        assert "Example" in runner.invoke(main.app, ["memory", command, "--help"]).output, command


def test_a_bad_option_is_a_usage_error_not_an_unexpected_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["os1", "memory", "list", "--kind", "bogus"])
    with pytest.raises(SystemExit) as exited:
        main.run()
    err = capsys.readouterr().err
    assert exited.value.code == 2 and "Invalid value for '--kind'" in err and "unexpected" not in err


async def test_memory_edit_refuses_empty_text_and_unknown_ids(store: SQLiteStore) -> None:
    user = await store.users.create("ana")
    memory = Memory(store, load_embedder("static"))
    [item] = await memory.remember(user.id, [Utterance("I play the cello.", "Ana", T0, "a")])
    with pytest.raises(InputError):
        await memory.edit(user.id, item.id, "   ")
    assert await memory.edit(user.id, "mem_nope", "x") is None
    other = await store.users.create("ben")
    assert await memory.edit(other.id, item.id, "Ben's now") is None  # another user's memory is not theirs
    edited = await memory.edit(user.id, item.id, " I play the viola. ")
    assert edited is not None and edited.text == "I play the viola."
    assert (await store.memory.get(user.id, [item.id]))[0].text == "I play the viola."
    # Still findable by who said it: the keyword index keeps the speaker's name with the new text.
    assert [i for i, _ in await store.memory.keyword(user.id, '"ana" AND "viola"', 5)] == [item.id]
    assert [c.action.value for c in await store.memory.audit(user.id, item_id=item.id)] == ["edit", "add"]
