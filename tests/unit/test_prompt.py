from datetime import UTC, datetime

import pytest

from os1.core.errors import InputError
from os1.core.messages import Role, StoredMessage
from os1.engine.prompt import MESSAGE_OVERHEAD_TOKENS, build_prompt, keep_from


async def words(text: str) -> int:
    return len(text.split())


def msg(i: int, role: Role, text: str) -> StoredMessage:
    return StoredMessage(f"msg_{i:03d}", "conv_1", "usr_1", role, text, datetime(2026, 1, 1, tzinfo=UTC))


def test_keep_from_drops_oldest_first() -> None:
    assert keep_from([5, 5, 5], 100) == 0
    assert keep_from([5, 5, 5], 10) == 1
    assert keep_from([5, 5, 5], 4) == 3


async def test_persona_first_time_note_before_the_new_message() -> None:
    dialogue = [msg(1, Role.USER, "hi"), msg(2, Role.ASSISTANT, "hello"), msg(3, Role.USER, "how are you")]
    out = await build_prompt("PERSONA", dialogue, "Now: Monday", 1000, words)
    assert [(m.role, m.content) for m in out] == [
        (Role.SYSTEM, "PERSONA"),
        (Role.USER, "hi"),
        (Role.ASSISTANT, "hello"),
        (Role.SYSTEM, "Now: Monday"),
        (Role.USER, "how are you"),
    ]


async def test_budget_drops_oldest_turns_never_the_persona() -> None:
    dialogue = [msg(i, Role.USER if i % 2 else Role.ASSISTANT, f"turn {i} " * 5) for i in range(1, 20)]
    dialogue.append(msg(99, Role.USER, "latest"))
    per_message = 10 + MESSAGE_OVERHEAD_TOKENS
    fixed = (1 + MESSAGE_OVERHEAD_TOKENS) * 3
    out = await build_prompt("PERSONA", dialogue, "note", fixed + 3 * per_message, words)
    assert out[0].content == "PERSONA" and out[-1].content == "latest"
    kept = out[1:-2]
    assert [m.content for m in kept] == [m.content for m in dialogue[-4:-1]]


async def test_message_larger_than_budget_is_an_input_error() -> None:
    with pytest.raises(InputError, match="too long"):
        await build_prompt("PERSONA", [msg(1, Role.USER, "word " * 500)], "note", 100, words)
