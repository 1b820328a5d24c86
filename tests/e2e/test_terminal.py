"""A real `os1` process driven through a pseudo-terminal, as a user would."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pexpect
import pytest

from os1.core.messages import MessageStatus, Role
from os1.storage.sqlite import open_store
from tests.e2e.conftest import os1_executable

pytestmark = pytest.mark.e2e

SLOW_REPLY = " ".join(f"word{i}" for i in range(1, 61))


def spawn(args: list[str], env: dict[str, str], timeout: float = 120) -> pexpect.spawn:
    return pexpect.spawn(os1_executable(), args, env=env, encoding="utf-8", timeout=timeout, dimensions=(50, 200))


def messages(home: Path) -> list[tuple[str, str, str]]:
    async def read() -> list[tuple[str, str, str]]:
        store = open_store(home / "os1.db", recover=False)
        user = await store.users.local_user()
        got = await store.messages.history(user.id, 100)
        await store.close()
        return [(m.role.value, m.content, m.status.value) for m in got]

    return asyncio.run(read())


@pytest.mark.integration
def test_first_meeting_then_a_chat_turn_with_the_real_model(os1_home: Path, os1_env: Callable[..., dict]) -> None:
    child = spawn([], os1_env())
    for question, answer in [("call you", "Theo"), ("describe yourself", "a writer who walks a lot"),
                             ("social person", "private"), ("voice", "feminine"), ("spoken to", "gently")]:
        child.expect(question)
        child.sendline(answer)
    child.expect(r"Hello, Theo\. I'm (\w+)\.")
    os_name = child.match.group(1)
    child.expect("you>")
    child.sendline("Hi! What did you do today?")
    child.expect(f"{os_name}:")
    child.expect("you>")  # the reply has finished streaming
    child.sendline("/quit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    stored = messages(os1_home)
    assert stored[0] == ("user", "Hi! What did you do today?", "complete")
    role, reply, status = stored[1]
    assert role == "assistant" and reply.strip() and status == "complete"


def _meet(env: dict[str, str]) -> None:
    done = subprocess.run([os1_executable(), "setup", "--yes", "--name", "Theo"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Hello, Theo" in done.stdout


def test_sigkill_mid_reply_loses_nothing(os1_home: Path, os1_env: Callable[..., dict]) -> None:
    env = os1_env(OS1_LLM_BACKEND="scripted", OS1_SCRIPTED_REPLIES=json.dumps([SLOW_REPLY]),
                  OS1_SCRIPTED_DELAY="0.1")
    _meet(env)
    child = spawn(["chat"], env)
    child.expect("you>")
    child.sendline("tell me a long story")
    child.expect("word8 ")
    os.kill(child.pid, signal.SIGKILL)
    child.expect(pexpect.EOF)
    child.close()

    # Before any restart the database on disk already holds the utterance and part of the reply.
    con = sqlite3.connect(os1_home / "os1.db")
    rows = con.execute("SELECT role, content, status FROM messages ORDER BY id").fetchall()
    con.close()
    assert rows[0] == ("user", "tell me a long story", "complete")
    assert rows[1][0] == "assistant" and rows[1][1].startswith("word1 word2") and rows[1][2] == "streaming"

    # After a restart the partial reply is marked truncated and shown as interrupted.
    shown = subprocess.run([os1_executable(), "history"], env=env, capture_output=True, text=True, timeout=60)
    assert "tell me a long story" in shown.stdout and "(interrupted)" in shown.stdout
    stored = messages(os1_home)
    assert stored[1][2] == MessageStatus.TRUNCATED.value and SLOW_REPLY.startswith(stored[1][1])
    assert len(stored[1][1]) < len(SLOW_REPLY)


def test_ctrl_c_stops_the_reply_and_the_chat_goes_on(os1_home: Path, os1_env: Callable[..., dict]) -> None:
    env = os1_env(OS1_LLM_BACKEND="scripted", OS1_SCRIPTED_REPLIES=json.dumps([SLOW_REPLY, "Short answer."]),
                  OS1_SCRIPTED_DELAY="0.05")
    _meet(env)
    child = spawn(["chat"], env)
    child.expect("you>")
    child.sendline("go on and on")
    child.expect("word5 ")
    child.sendintr()
    child.expect("interrupted")
    child.expect("you>")
    child.sendline("and now?")
    child.expect("Short answer.")
    child.expect("you>")
    child.sendline("/quit")
    child.expect(pexpect.EOF)
    stored = messages(os1_home)
    assert [(r, s) for r, _, s in stored] == [("user", "complete"), ("assistant", "truncated"),
                                               ("user", "complete"), ("assistant", "complete")]


def test_two_processes_on_one_home_do_not_corrupt_it(os1_home: Path, os1_env: Callable[..., dict]) -> None:
    env = os1_env(OS1_LLM_BACKEND="scripted")
    _meet(env)
    turns = 40
    procs = [
        subprocess.Popen([os1_executable(), "chat"], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for n, proc in enumerate(procs):
        script = "".join(f"process {n} line {i}\n" for i in range(turns)) + "/quit\n"
        assert proc.stdin is not None
        proc.stdin.write(script)
        proc.stdin.close()
    for proc in procs:
        assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
    con = sqlite3.connect(os1_home / "os1.db")
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    counts = dict(con.execute("SELECT role, count(*) FROM messages GROUP BY role").fetchall())
    users = con.execute("SELECT count(*) FROM users").fetchone()[0]
    con.close()
    assert counts == {Role.USER.value: 2 * turns, Role.ASSISTANT.value: 2 * turns}
    assert users == 1


@pytest.mark.integration
def test_memory_learns_in_chat_and_forgets_on_request(os1_home: Path, os1_env: Callable[..., dict]) -> None:
    """The real OS with the real model and embedder: a chat teaches facts, `os1 memory` shows and forgets."""
    env = os1_env()
    _meet(env)
    child = spawn(["chat"], env)
    child.expect("you>")
    child.sendline("I love rock climbing. My sister Mira lives in Oslo.")
    child.expect("you>")
    child.sendline("/quit")
    child.expect(pexpect.EOF)

    def run(*args: str) -> str:
        done = subprocess.run([os1_executable(), "memory", *args], env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    facts = run("list", "--kind", "fact")
    assert "rock climbing" in facts and "Mira" in facts
    run("forget", "--about", "my sister", "--yes")
    assert "Mira" not in run("list", "-n", "100")
    assert not any("Mira" in content for _, content, _ in messages(os1_home))
