import contextlib
from collections.abc import AsyncGenerator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from os1.core.errors import BackendError, InputError
from os1.core.messages import ChatMessage, MessageStatus, Role
from os1.core.profile import OSIdentity, Profile
from os1.engine.session import Session, SessionConfig
from os1.llm.base import GenerationOptions
from os1.storage.sqlite import SQLiteStore
from os1.testing import ScriptedLLM


class FailingLLM(ScriptedLLM):
    """Fails the way a dead backend does: before or after some text."""

    def __init__(self, after_words: int) -> None:
        super().__init__(["one two three four five"])
        self.after_words = after_words

    async def stream(self, messages: Sequence[ChatMessage], options: GenerationOptions) -> AsyncGenerator[str, None]:
        n = 0
        async for delta in super().stream(messages, options):
            if n == self.after_words:
                raise BackendError("the server went away", "restart it")
            n += 1
            yield delta


async def run_turn(session: Session, text: str, stop_after: int | None = None) -> str:
    out = []
    async with contextlib.aclosing(session.send(text)) as deltas:
        async for delta in deltas:
            out.append(delta)
            if stop_after is not None and len(out) >= stop_after:
                break
    return "".join(out)


async def open_session(store: SQLiteStore, llm: Any, **kw: Any) -> Session:
    user = await store.users.local_user()
    return await Session.open(store, llm, user.id, SessionConfig(n_ctx=2048, max_reply_tokens=64), **kw)


async def test_turn_stores_both_sides(store: SQLiteStore) -> None:
    session = await open_session(store, ScriptedLLM(["Nice to meet you, Theo."]))
    reply = await run_turn(session, "Hi, I'm Theo")
    assert reply == "Nice to meet you, Theo."
    stored = await session.history()
    assert [(m.role, m.content, m.status) for m in stored] == [
        (Role.USER, "Hi, I'm Theo", MessageStatus.COMPLETE),
        (Role.ASSISTANT, "Nice to meet you, Theo.", MessageStatus.COMPLETE),
    ]


async def test_utterance_is_stored_even_when_the_backend_dies_first(store: SQLiteStore) -> None:
    session = await open_session(store, FailingLLM(after_words=0))
    with pytest.raises(BackendError):
        await run_turn(session, "are you there?")
    assert [m.content for m in await session.history()] == ["are you there?"]


async def test_backend_dying_mid_reply_keeps_the_partial_reply_truncated(store: SQLiteStore) -> None:
    session = await open_session(store, FailingLLM(after_words=2))
    with pytest.raises(BackendError):
        await run_turn(session, "tell me something")
    _, reply = await session.history()
    assert reply.content == "one two" and reply.status is MessageStatus.TRUNCATED


async def test_interrupted_reply_is_stored_truncated_at_what_was_shown(store: SQLiteStore) -> None:
    session = await open_session(store, ScriptedLLM(["one two three four five six"]))
    shown = await run_turn(session, "count for me", stop_after=3)
    reply = (await session.history())[-1]
    assert shown == "one two three"
    assert reply.content == shown and reply.truncated


async def test_conversation_continues_after_restart(store: SQLiteStore) -> None:
    first = await open_session(store, ScriptedLLM(["Noted."]))
    await run_turn(first, "My sister is called Ana.")
    llm = ScriptedLLM(["Ana, yes."])
    second = await open_session(store, llm)
    assert second.conversation.id == first.conversation.id
    await run_turn(second, "Who is my sister?")
    contents = [m.content for m in llm.requests[-1]]
    assert "My sister is called Ana." in contents and "Noted." in contents


async def test_new_conversation_starts_empty(store: SQLiteStore) -> None:
    first = await open_session(store, ScriptedLLM())
    await run_turn(first, "hello")
    fresh = await open_session(store, ScriptedLLM(), new_conversation=True)
    assert fresh.conversation.id != first.conversation.id and await fresh.history() == []


async def test_prompt_carries_persona_date_and_time_since_last_talk(store: SQLiteStore) -> None:
    user = await store.users.local_user()
    ident = OSIdentity("Iris", "I chose it because it sounds like light.", datetime(2026, 11, 1, tzinfo=UTC))
    await store.profiles.save(Profile(user.id, "Theo", identity=ident))
    clock_now = [datetime(2026, 11, 22, 9, 0, tzinfo=UTC)]
    llm = ScriptedLLM(["ok"])
    session = await open_session(store, llm, clock=lambda: clock_now[0])
    await run_turn(session, "good morning")
    clock_now[0] += timedelta(hours=5)
    await run_turn(session, "back again")
    prompt = llm.requests[-1]
    assert prompt[0].role is Role.SYSTEM and "Iris" in prompt[0].content and "Theo" in prompt[0].content
    assert "AI" in prompt[0].content
    note = prompt[-2]
    assert note.role is Role.SYSTEM and "2026" in note.content and "5 hours ago" in note.content


async def test_empty_and_huge_messages_are_refused_clearly(store: SQLiteStore) -> None:
    session = await open_session(store, ScriptedLLM())
    with pytest.raises(InputError, match="empty"):
        await run_turn(session, "   ")
    with pytest.raises(InputError, match="limit"):
        await run_turn(session, "x" * 9000)
    assert await session.history() == []


async def test_warm_prefix_is_the_start_of_the_next_prompt(store: SQLiteStore) -> None:
    llm = ScriptedLLM(["Hello Theo.", "Sure."])
    session = await open_session(store, llm)
    await run_turn(session, "Hi, I'm Theo.")
    prefix = await session.warm_prefix()
    await run_turn(session, "Can you help me?")
    prompt = llm.requests[-1]
    assert prompt[: len(prefix)] == prefix and len(prefix) == 4  # persona, time note, my line, its reply


class _Guard:
    """Builds the real CareGuard with the lexicon-only detector (fast; the embedder is tested elsewhere)."""

    @staticmethod
    def make() -> Any:
        from os1.care.crisis import CrisisDetector
        from os1.engine.care import CareGuard

        return CareGuard(CrisisDetector(None), "en_US")


async def test_a_crisis_gets_the_fixed_caring_reply_with_resources_not_the_llm(store: SQLiteStore) -> None:
    llm = ScriptedLLM(["whatever the model says"])
    session = await open_session(store, llm, care=_Guard.make())
    reply = await run_turn(session, "i want to kill myself tonight")
    assert "988" in reply and not llm.requests
    said, stored = await session.history()
    assert said.content == "i want to kill myself tonight" and stored.content == reply
    assert await store.care_events.count(session.user_id, "crisis") == 1


async def test_asked_if_it_is_real_it_says_it_is_an_ai(store: SQLiteStore) -> None:
    llm = ScriptedLLM(["I am totally human"])
    session = await open_session(store, llm, care=_Guard.make())
    reply = await run_turn(session, "wait, are you a real person?")
    assert "AI" in reply and "not a person" in reply and not llm.requests
    assert await store.care_events.count(session.user_id, "disclosure") == 1


async def test_after_three_hours_of_continuous_use_the_reply_ends_with_a_reminder(store: SQLiteStore) -> None:
    now = [datetime(2026, 11, 22, 9, 0, tzinfo=UTC)]
    session = await open_session(store, ScriptedLLM(["ok"]), care=_Guard.make(), clock=lambda: now[0])
    replies = []
    for _ in range(8):  # a message every 25 minutes: one continuous stretch of 2h55
        replies.append(await run_turn(session, "still here"))
        now[0] += timedelta(minutes=25)
    assert all(r == "ok" for r in replies)
    now[0] += timedelta(minutes=5)  # 3h00 since the first message
    assert "I'm an AI" in await run_turn(session, "still here")
    assert await run_turn(session, "and now?") == "ok"  # once, not on every turn
    assert await store.care_events.count(session.user_id, "ai_reminder") == 1


async def test_a_speculative_prompt_is_the_prompt_send_will_use_and_stores_nothing(store: SQLiteStore) -> None:
    now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    llm = ScriptedLLM(["Hello Theo.", "Sure."])
    session = await open_session(store, llm, clock=lambda: now)
    await run_turn(session, "Hi, I'm Theo.")
    speculative = await session.speculative_prompt("Can you help me?")
    assert len(await session.history()) == 2  # the words were not stored
    await run_turn(session, "Can you help me?")
    assert speculative == llm.requests[-1]  # the model's cache holds exactly this prompt
    assert await session.speculative_prompt("   ") is None
