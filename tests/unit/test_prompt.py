from datetime import UTC, datetime, timedelta

import pytest

from os1.core.errors import InputError
from os1.core.messages import Role, StoredMessage
from os1.engine.prompt import MESSAGE_OVERHEAD_TOKENS, build_prefix, build_prompt, keep_from, time_notes

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


async def words(text: str) -> int:
    return len(text.split())


def msg(i: int, role: Role, text: str, minutes: float = 0) -> StoredMessage:
    return StoredMessage(f"msg_{i:03d}", "conv_1", "usr_1", role, text, T0 + timedelta(minutes=minutes))


def test_keep_from_drops_oldest_first() -> None:
    assert keep_from([5, 5, 5], 100) == 0
    assert keep_from([5, 5, 5], 10) == 1
    assert keep_from([5, 5, 5], 4) == 3


def test_time_notes_open_each_sitting() -> None:
    dialogue = [msg(1, Role.USER, "hi", 0), msg(2, Role.ASSISTANT, "hello", 0.1), msg(3, Role.USER, "ok", 2),
                msg(4, Role.ASSISTANT, "yes", 2.1), msg(5, Role.USER, "back", 300), msg(6, Role.USER, "still", 301)]
    notes = time_notes(dialogue, None)
    assert sorted(notes) == [0, 4]
    assert "first time" in notes[0] and "5 hours ago" in notes[4]
    assert "2 days ago" in time_notes(dialogue, T0 - timedelta(days=2))[0]


def test_a_long_sitting_is_told_the_time_again_every_hour() -> None:
    dialogue = [msg(i, Role.USER, "talk", minutes=i * 20) for i in range(8)]  # 2h20 without a pause
    assert sorted(time_notes(dialogue, None)) == [0, 4]


async def test_prompt_order_persona_then_dialogue_with_notes() -> None:
    dialogue = [msg(1, Role.USER, "hi"), msg(2, Role.ASSISTANT, "hello", 0.1), msg(3, Role.USER, "how are you", 1)]
    out = await build_prompt("PERSONA", dialogue, 1000, words)
    assert [m.role for m in out] == [Role.SYSTEM, Role.SYSTEM, Role.USER, Role.ASSISTANT, Role.USER]
    assert out[0].content == "PERSONA" and "November" in out[1].content and out[-1].content == "how are you"


async def test_each_turn_starts_with_the_previous_turns_prompt() -> None:
    """What makes prefix caching work: nothing earlier in the prompt changes from turn to turn."""
    dialogue = [msg(1, Role.USER, "hi"), msg(2, Role.ASSISTANT, "hello", 0.1), msg(3, Role.USER, "news?", 1),
                msg(4, Role.ASSISTANT, "none", 1.1), msg(5, Role.USER, "later", 90)]
    earlier = await build_prompt("PERSONA", dialogue[:3], 1000, words)
    later = await build_prompt("PERSONA", dialogue, 1000, words)
    assert later[: len(earlier)] == earlier
    assert await build_prefix("PERSONA", dialogue[:4], 1000, words) == later[: len(earlier) + 1]


async def test_budget_drops_oldest_turns_never_the_persona() -> None:
    dialogue = [msg(i, Role.USER if i % 2 else Role.ASSISTANT, f"turn {i} " * 5, i * 0.1) for i in range(1, 20)]
    dialogue.append(msg(99, Role.USER, "latest", 3))
    per_message = 10 + MESSAGE_OVERHEAD_TOKENS
    fixed = (1 + MESSAGE_OVERHEAD_TOKENS) * 2
    out = await build_prompt("PERSONA", dialogue, fixed + 3 * per_message, words)
    assert out[0].content == "PERSONA" and out[-1].content == "latest"
    assert [m.content for m in out[1:-1]] == [m.content for m in dialogue[-4:-1]]


async def test_message_larger_than_budget_is_an_input_error() -> None:
    with pytest.raises(InputError, match="too long"):
        await build_prompt("PERSONA", [msg(1, Role.USER, "word " * 500)], 100, words)
