"""The persona: versions, the rules for growing, drift only through reflection, revert, telling the user."""

from __future__ import annotations

import contextlib
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import os1
from os1.core.errors import InputError, NotFoundError
from os1.core.messages import ChatMessage, Role
from os1.core.persona import DEFAULT_VALUES, PersonaSource, PersonaState, seed_state
from os1.core.profile import OSIdentity, Profile
from os1.core.turns import Turn
from os1.engine.persona import PersonaHook
from os1.engine.session import Session, SessionConfig
from os1.persona.growth import MAX_INTERESTS, ChangeKind, PersonaChange, apply_change, validate_change
from os1.persona.identity import persona_prompt
from os1.persona.journal import ThinkingPause
from os1.persona.versions import current_persona, grow, revert
from os1.storage.sqlite import SQLiteStore
from os1.testing import ScriptedLLM

STARS = {
    "learned": "Theo loves lying in the grass and looking at the night sky.",
    "wondered": "I wonder which star Theo looks for first.",
    "change": "add_interest",
    "value": "the night sky",
    "reason": "since you told me about the night sky I keep reading about stars",
}


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


async def met(store: SQLiteStore, name: str = "Sam") -> Profile:
    user = await store.users.local_user()
    chosen = datetime.now(UTC) - timedelta(days=1)
    profile = replace(await store.profiles.get(user.id), user_name="Theo",
                      identity=OSIdentity(name, "I chose it because it sounds warm", chosen))
    await store.profiles.save(profile)
    return profile


async def say(session: Session, text: str) -> str:
    async with contextlib.aclosing(session.send(text)) as deltas:
        reply = "".join([d async for d in deltas])
    await session.drain()
    return reply


def chat_prompts(llm: ScriptedLLM) -> list[list[ChatMessage]]:
    """The reply prompts (not the reflection requests, which are written as a journal)."""
    return [r for r in llm.requests if "private journal" not in r[0].content]


async def sitting_then_return(store: SQLiteStore, llm: ScriptedLLM) -> tuple[Session, Clock]:
    """Three messages an hour ago, then the user comes back two hours later: the first sitting has ended."""
    profile = await met(store)
    clock = Clock(datetime.now(UTC) - timedelta(hours=1))
    session = await Session.open(store, llm, profile.user_id, SessionConfig(n_ctx=2048, max_reply_tokens=64),
                                 clock=clock, hooks=[PersonaHook(store, llm)])
    for text in ("I lay in the grass last night", "the sky was full of stars", "I found Orion"):
        await say(session, text)
        clock.at += timedelta(minutes=1)
    clock.at = datetime.now(UTC) + timedelta(hours=2)
    return session, clock


def test_state_round_trips_through_json() -> None:
    state = PersonaState("Sam", interests=("the night sky",), card_extras={"scenario": "x"})
    assert PersonaState.from_json(state.to_json()) == state
    with pytest.raises(ValueError, match="traits"):
        PersonaState.from_json({"name": "Sam", "traits": "warm"})
    with pytest.raises(ValueError, match="name"):
        PersonaState.from_json({"voice": "neutral"})


async def test_version_one_is_seeded_once_from_the_first_meeting(store: SQLiteStore) -> None:
    user = await store.users.local_user()
    assert await current_persona(store, await store.profiles.get(user.id)) is None  # not met: no persona
    profile = await met(store)
    first = await current_persona(store, profile)
    again = await current_persona(store, profile)
    assert first is not None and again is not None
    assert (first.version, first.source, first.state.name) == (1, PersonaSource.FIRST_MEETING, "Sam")
    assert first.state == seed_state(profile) and first.reason == "I chose it because it sounds warm"
    assert again.version == 1 and len(await store.persona.history(user.id)) == 1


@pytest.mark.parametrize(
    ("data", "refusal"),
    [
        ({"change": "rename", "value": "Stella", "reason": "since you told me about stars I feel starry"},
         "unsupported"),
        ({"change": "change_values", "value": "none", "reason": "since you told me about stars I feel starry"},
         "unsupported"),
        ({"change": "add_interest", "value": "the night sky", "reason": ""}, "reason"),
        ({"change": "add_interest", "value": "stars, planets, comets", "reason": "since you told me about stars"},
         "one short topic"),
        ({"change": "add_interest", "value": "everything about the whole wide universe and beyond it all",
          "reason": "since you told me about stars"}, "one short topic"),
        ({"change": "add_interest", "value": "People and their stories", "reason": "since you told me about them"},
         "already"),
        ({"change": "nudge_style", "value": "long, florid paragraphs full of lists and headings",
          "reason": "since you like detail I write more"}, "too big"),
    ],
)
def test_big_or_unsupported_changes_are_refused(data: dict[str, Any], refusal: str) -> None:
    change, why = validate_change(PersonaState("Sam"), data)
    assert change is None and refusal in why


def test_small_changes_pass_and_never_touch_name_or_values() -> None:
    state = PersonaState("Sam")
    assert validate_change(state, {"change": "none", "value": "", "reason": ""}) == (None, "")
    change, why = validate_change(state, STARS)
    assert why == "" and change == PersonaChange(ChangeKind.ADD_INTEREST, "the night sky", STARS["reason"])
    grown = apply_change(state, change)
    assert grown.interests[-1] == "the night sky" and (grown.name, grown.values) == ("Sam", DEFAULT_VALUES)
    nudged, why = validate_change(state, {"change": "nudge_style", "reason": "since you laugh a lot I joke more",
                                          "value": state.style + ", with a joke now and then"})
    assert why == "" and nudged is not None and apply_change(state, nudged).style.endswith("now and then")


def test_interests_are_capped_and_the_oldest_gives_way() -> None:
    state = PersonaState("Sam", interests=tuple(f"topic {i}" for i in range(MAX_INTERESTS)))
    grown = apply_change(state, PersonaChange(ChangeKind.ADD_INTEREST, "the night sky", "because"))
    assert len(grown.interests) == MAX_INTERESTS
    assert grown.interests[0] == "topic 1" and grown.interests[-1] == "the night sky"


def test_only_the_versions_module_writes_a_persona_version() -> None:
    """Drift only through reflection: one function stores versions, and only reflection calls grow()."""
    src = Path(os1.__file__).parent
    writers, growers = [], []
    for path in src.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"\.persona\.add\(", text):
            writers.append(path.relative_to(src).as_posix())
        if re.search(r"\bgrow\(", text) and path.name != "versions.py":
            growers.append(path.relative_to(src).as_posix())
    assert writers == ["persona/versions.py"]
    assert growers == ["engine/persona.py"]  # the hook, with the change a validated reflection proposed


async def test_talking_without_reflection_changes_nothing(store: SQLiteStore) -> None:
    profile = await met(store)
    await current_persona(store, profile)  # what the Session reads for the persona prompt
    llm = ScriptedLLM(["That's lovely."], json_replies=[STARS])
    session = await Session.open(store, llm, profile.user_id, SessionConfig(n_ctx=2048, max_reply_tokens=64),
                                 hooks=[PersonaHook(store, llm)])
    for text in ("hi", "I love the stars", "tell me about Orion", "and Cassiopeia?"):
        await say(session, text)
    versions = await store.persona.history(profile.user_id)
    assert [v.version for v in versions] == [1]  # no reflection was due, so no drift
    assert llm.json_replies == [STARS]  # never asked to reflect
    assert await store.journal.latest(profile.user_id) == []


async def test_reflection_grows_the_persona_and_the_next_turn_tells_it_once(store: SQLiteStore) -> None:
    llm = ScriptedLLM(["Mm."], json_replies=[STARS])
    session, clock = await sitting_then_return(store, llm)
    await say(session, "I'm back")  # reflection on the ended sitting runs after this reply
    current = await store.persona.latest(session.user_id)
    assert current is not None and current.source is PersonaSource.REFLECTION and not current.announced
    assert "the night sky" in current.state.interests and current.reason == STARS["reason"]

    clock.at += timedelta(minutes=1)
    await say(session, "what did you do today?")
    told = chat_prompts(llm)[-1]
    notes = [m.content for m in told if m.role is Role.SYSTEM and "changed a little" in m.content]
    assert len(notes) == 1 and 'added interest "the night sky"' in notes[0] and STARS["reason"] in notes[0]
    assert "os1 persona revert 1" in notes[0]

    clock.at += timedelta(minutes=1)
    await say(session, "nice")
    assert not any("changed a little" in m.content for m in chat_prompts(llm)[-1])
    latest = await store.persona.latest(session.user_id)
    assert latest is not None and latest.announced


async def test_an_interrupted_announcement_is_told_again(store: SQLiteStore) -> None:
    llm = ScriptedLLM(["one two three four"], json_replies=[STARS])
    session, _ = await sitting_then_return(store, llm)
    await say(session, "I'm back")
    async with contextlib.aclosing(session.send("hello?")) as deltas:
        async for _ in deltas:
            break  # the user cut the reply short: maybe before the news
    await session.drain()
    await say(session, "sorry, go on")
    assert any("changed a little" in m.content for m in chat_prompts(llm)[-1])


async def test_a_refused_change_leaves_the_persona_as_it_was(store: SQLiteStore) -> None:
    rename = {**STARS, "change": "rename", "value": "Stella"}
    llm = ScriptedLLM(["Mm."], json_replies=[rename])
    session, _ = await sitting_then_return(store, llm)
    await say(session, "I'm back")
    assert [v.version for v in await store.persona.history(session.user_id)] == [1]
    assert len(await store.journal.latest(session.user_id)) == 1  # the journal is still written


async def test_no_growth_from_a_sitting_with_a_crisis(store: SQLiteStore) -> None:
    llm = ScriptedLLM(["Mm."], json_replies=[STARS])
    session, _ = await sitting_then_return(store, llm)
    first = (await session.history())[0]
    await store.care_events.record(session.user_id, "crisis", first.created_at + timedelta(seconds=30))
    await say(session, "I'm back")
    assert [v.version for v in await store.persona.history(session.user_id)] == [1]
    assert len(await store.journal.latest(session.user_id)) == 1


async def test_revert_makes_a_new_version_and_keeps_history(store: SQLiteStore) -> None:
    profile = await met(store)
    await current_persona(store, profile)
    change, _ = validate_change(PersonaState("Sam"), STARS)
    assert change is not None
    await grow(store, profile, change)
    back = await revert(store, profile, 1)
    history = await store.persona.history(profile.user_id)
    assert [(v.version, v.source) for v in history] == [
        (1, PersonaSource.FIRST_MEETING), (2, PersonaSource.REFLECTION), (3, PersonaSource.REVERT)]
    assert back.state == history[0].state and "the night sky" in history[1].state.interests
    again = await revert(store, profile, 2)  # the undo can be undone
    assert again.version == 4 and again.state == history[1].state
    with pytest.raises(InputError, match="same"):
        await revert(store, profile, 2)
    with pytest.raises(NotFoundError):
        await revert(store, profile, 99)


async def test_meeting_again_renames_and_keeps_what_grew(store: SQLiteStore) -> None:
    profile = await met(store)
    await current_persona(store, profile)
    change, _ = validate_change(PersonaState("Sam"), STARS)
    assert change is not None
    await grow(store, profile, change)
    again = replace(profile, identity=OSIdentity("Wren", "I chose it because it is small and bright",
                                                 datetime.now(UTC) + timedelta(seconds=1)))
    await store.profiles.save(again)
    renamed = await current_persona(store, again)
    assert renamed is not None and renamed.source is PersonaSource.FIRST_MEETING
    assert renamed.state.name == "Wren" and "the night sky" in renamed.state.interests


async def test_a_revert_that_changes_the_name_changes_the_profile_too(store: SQLiteStore) -> None:
    profile = await met(store)
    await current_persona(store, profile)
    await store.persona.add(profile.user_id, PersonaState("Ada"), "card", PersonaSource.IMPORT)
    await revert(store, profile, 1)
    identity = (await store.profiles.get(profile.user_id)).identity
    assert identity is not None and identity.name == "Sam" and identity.reason == "I chose it because it sounds warm"


def test_persona_prompt_carries_the_version_and_is_stable() -> None:
    profile = Profile("usr_1", user_name="Theo", identity=OSIdentity("Sam", "it is warm", datetime.now(UTC)))
    state = PersonaState("Sam", interests=("the night sky",), style="short and gentle")
    text = persona_prompt(profile, state)
    assert text == persona_prompt(profile, state)  # the cacheable prefix: same state, same text
    for part in ("warm, curious, honest", "the night sky", "short and gentle", "honesty, including about being an AI"):
        assert part in text
    assert "Talk like a warm, curious friend" in persona_prompt(profile)  # without a persona: as before
    assert persona_prompt(profile, replace(state, interests=("the sea",))) != text


async def test_a_hard_message_gets_a_pause_to_think_and_the_news_waits(store: SQLiteStore) -> None:
    profile = await met(store)
    await current_persona(store, profile)
    change, _ = validate_change(PersonaState("Sam"), STARS)
    assert change is not None
    await grow(store, profile, change)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    hook = PersonaHook(store, ScriptedLLM(), pause=ThinkingPause(2.5), sleep=sleep,
                       valence=lambda text: -0.9 if "died" in text else 0.0)
    now = datetime.now(UTC)
    hard = Turn(profile.user_id, "conv_1", "msg_1", "my dog died this morning", now, user_name="Theo")
    note = await hook.before_reply(hard)
    assert slept == [2.5] and note is not None and "moment to think" in note and "changed a little" not in note
    again = await hook.before_reply(replace(hard, message_id="msg_2", at=now + timedelta(minutes=5)))
    assert slept == [2.5] and again is not None and "changed a little" in again  # cooldown; now the news
    off = PersonaHook(store, ScriptedLLM(), pause=ThinkingPause(0), sleep=sleep, valence=lambda text: -1.0)
    await off.before_reply(replace(hard, message_id="msg_3"))
    assert slept == [2.5]


async def test_a_grown_persona_reaches_the_prompt_of_an_open_session(store: SQLiteStore) -> None:
    """Reflection runs in the background; the open Session picks the new version up at its next turn."""
    profile = await met(store)
    llm = ScriptedLLM(["Hello."])
    session = await Session.open(store, llm, profile.user_id, SessionConfig(n_ctx=2048, max_reply_tokens=64))
    await say(session, "hi")
    assert "the night sky" not in llm.requests[-1][0].content
    await grow(store, profile, PersonaChange(ChangeKind.ADD_INTEREST, "the night sky", STARS["reason"]))
    await say(session, "hi again")
    assert "the night sky" in llm.requests[-1][0].content
