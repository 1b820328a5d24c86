"""The chat model's emotion reading: refining the lexicon, sarcasm, robust fallbacks, and the hook's timing."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from os1.config import load_settings
from os1.core.affect import Emotion, Speaker
from os1.core.messages import ChatMessage, MessageStatus, Role
from os1.core.turns import Reply, Turn
from os1.engine.affect import AffectHook
from os1.engine.runtime import affect_hook
from os1.engine.session import Session, SessionConfig
from os1.llm.base import GenerationOptions, LLMCapabilities
from os1.persona import mood as M
from os1.persona.emotion import AROUSAL, read_emotion
from os1.persona.llm_emotion import LLMEmotionReader, combine
from os1.storage.sqlite import SQLiteStore
from os1.testing import ScriptedLLM

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
SARCASM = "Oh great, another Monday. I just love being ignored."


def _answer(valence: Any, emotions: Any, sarcastic: Any = False) -> dict[str, Any]:
    return {"valence": valence, "emotions": emotions, "sarcastic": sarcastic}


class RaisingLLM(ScriptedLLM):
    async def complete_json(
        self, messages: Sequence[ChatMessage], schema: dict[str, Any], options: GenerationOptions
    ) -> dict[str, Any]:
        self.requests.append(list(messages))
        raise ConnectionError("backend died")


class SlowLLM(ScriptedLLM):
    async def complete_json(
        self, messages: Sequence[ChatMessage], schema: dict[str, Any], options: GenerationOptions
    ) -> dict[str, Any]:
        await asyncio.sleep(10)
        return _answer(-0.9, ["anger"])


# --- reading ------------------------------------------------------------------------------------------


async def test_a_valid_answer_refines_valence_and_emotions_with_arousal_from_the_table() -> None:
    text = "My sister is coming home after two years away."
    lexicon = read_emotion(text)
    reader = LLMEmotionReader(ScriptedLLM(json_replies=[_answer(0.7, ["joy", "anticipation"])]))
    got = await reader.read(text, lexicon)
    assert got.valence == 0.7 and list(got.emotions) == ["joy", "anticipation"]
    assert got.emotions["joy"] > got.emotions["anticipation"] and sum(got.emotions.values()) == pytest.approx(1)
    expected = AROUSAL["joy"] * got.emotions["joy"] + AROUSAL["anticipation"] * got.emotions["anticipation"]
    assert got.arousal == pytest.approx(expected, abs=1e-3) and reader.failures == 0


async def test_sarcasm_reads_negative_when_the_model_hears_it() -> None:
    lexicon = read_emotion(SARCASM)
    assert lexicon.valence > 0.2 and "joy" in lexicon.emotions  # what the lexicons alone make of it
    llm = ScriptedLLM(json_replies=[_answer(-0.6, ["sadness", "anger"], sarcastic=True)])
    got = await LLMEmotionReader(llm).read(SARCASM, lexicon)
    assert got.valence == -0.6 and got.top == "sadness" and "joy" not in got.emotions
    assert llm.requests[-1][-1].content.endswith(SARCASM)  # the message itself is what the model reads


def test_sarcasm_without_the_models_valence_flips_nothing() -> None:
    lexicon = read_emotion(SARCASM)
    got = combine(lexicon, _answer("very bad", [], sarcastic=True))
    assert got is not None and got.valence == lexicon.valence


def test_a_sign_flip_without_sarcasm_meets_the_lexicon_half_way() -> None:
    lexicon = Emotion(0.8, 0.65, {"joy": 1.0})
    got = combine(lexicon, _answer(-0.6, ["sadness"], sarcastic=False))
    assert got == Emotion(0.1, 0.65, {"joy": 1.0})
    sarcastic = combine(lexicon, _answer(-0.6, ["sadness"], sarcastic=True))
    assert sarcastic is not None and sarcastic.valence == -0.6


def test_an_empty_list_keeps_the_lexicon_emotions_that_fit_the_valence() -> None:
    lexicon = Emotion(0.5, 0.5, {"joy": 0.5, "sadness": 0.5})
    got = combine(lexicon, _answer(-0.5, [], sarcastic=True))
    assert got is not None and dict(got.emotions) == {"sadness": 1.0} and got.arousal == AROUSAL["sadness"]


@pytest.mark.parametrize(
    ("answer", "valence", "emotions"),
    [
        (_answer(-3.0, ["anger"]), -1.0, ["anger"]),  # out of range: clamped
        (_answer(7, ["Joy", "joy", "bliss", "trust", "fear", "surprise"]), 1.0, ["joy", "trust", "fear"]),
        (_answer(float("nan"), ["fear"]), 0.0, ["fear"]),  # NaN is no valence: the lexicon's (0.0) stands
    ],
)
async def test_out_of_range_and_messy_answers_are_clamped_and_cleaned(
    answer: dict[str, Any], valence: float, emotions: list[str]
) -> None:
    lexicon = Emotion(0.0, 0.3, {})
    got = await LLMEmotionReader(ScriptedLLM(json_replies=[answer])).read("whatever it was", lexicon)
    assert got.valence == valence and list(got.emotions) == emotions and 0.0 <= got.arousal <= 1.0


@pytest.mark.parametrize(
    "answer",
    [
        {"mood": "bad"},  # none of the fields
        _answer("negative", "anger"),  # wrong types
        _answer(None, ["bliss", "rage"]),  # no number, only unknown feelings
        _answer(True, None),  # a bool is not a valence
    ],
)
async def test_malformed_answers_fall_back_to_the_lexicon_and_are_counted(answer: dict[str, Any]) -> None:
    lexicon = read_emotion(SARCASM)
    reader = LLMEmotionReader(ScriptedLLM(json_replies=[answer]))
    assert await reader.read(SARCASM, lexicon) is lexicon
    assert reader.failures == 1


async def test_a_raising_slow_or_incapable_model_falls_back_and_never_raises() -> None:
    lexicon = read_emotion(SARCASM)
    raising = LLMEmotionReader(RaisingLLM())
    assert await raising.read(SARCASM, lexicon) is lexicon and raising.failures == 1
    slow = LLMEmotionReader(SlowLLM(), timeout_s=0.05)
    assert await slow.read(SARCASM, lexicon) is lexicon and slow.failures == 1
    incapable = ScriptedLLM(json_replies=[_answer(-0.6, ["anger"], True)])
    incapable.capabilities = LLMCapabilities(json_schema=False)
    reader = LLMEmotionReader(incapable)
    assert await reader.read(SARCASM, lexicon) is lexicon and reader.failures == 1 and not incapable.requests


# --- the hook -----------------------------------------------------------------------------------------


async def _said(store: SQLiteStore, text: str, at: datetime = T0) -> Turn:
    user = await store.users.local_user()
    conv = await store.conversations.latest(user.id) or await store.conversations.create(user.id)
    msg = await store.messages.add(user.id, conv.id, Role.USER, text, created_at=at)
    return Turn(user.id, conv.id, msg.id, text, at)


async def _reply(store: SQLiteStore, turn: Turn, text: str) -> Reply:
    answer = await store.messages.add(turn.user_id, turn.conversation_id, Role.ASSISTANT, text)
    return Reply(answer.id, text, MessageStatus.COMPLETE, turn.at + timedelta(seconds=5))


async def test_the_hook_refines_the_stored_reading_after_the_reply_and_never_before(store: SQLiteStore) -> None:
    llm = ScriptedLLM(json_replies=[_answer(-0.7, ["sadness", "anger"], sarcastic=True)])
    hook = AffectHook(store, llm_reader=LLMEmotionReader(llm))
    turn = await _said(store, SARCASM)
    note = await hook.before_reply(turn)
    assert not llm.requests  # no model call may delay the reply
    assert note is not None and "sounds happy" in note  # the prompt's note is the lexicon's
    before = await store.affect.reading(turn.user_id, turn.message_id, Speaker.USER)
    assert before is not None and before.emotion == read_emotion(SARCASM)
    await hook.after_reply(turn, await _reply(store, turn, "That sounds frustrating."))
    assert len(llm.requests) == 1
    after = await store.affect.reading(turn.user_id, turn.message_id, Speaker.USER)
    assert after is not None and after.emotion.valence == -0.7 and after.emotion.top == "sadness"
    assert after.created_at == T0 and len(await store.affect.readings(turn.user_id, speaker=Speaker.USER)) == 1
    mood = await store.affect.mood(turn.user_id)
    assert mood is not None and mood.valence < M.RESTING_VALENCE  # attuned to the refined, negative reading


async def test_a_failing_model_leaves_the_lexicon_reading_and_the_turn_intact(store: SQLiteStore) -> None:
    hook = AffectHook(store, llm_reader=LLMEmotionReader(RaisingLLM()))
    turn = await _said(store, SARCASM)
    await hook.before_reply(turn)
    await hook.after_reply(turn, await _reply(store, turn, "Oh no."))
    stored = await store.affect.reading(turn.user_id, turn.message_id, Speaker.USER)
    assert stored is not None and stored.emotion == read_emotion(SARCASM)
    assert await store.affect.mood(turn.user_id) is not None


async def test_a_session_sends_no_emotion_request_before_the_reply_is_streamed(store: SQLiteStore) -> None:
    llm = ScriptedLLM(["I hear you."], json_replies=[_answer(-0.6, ["anger"], sarcastic=True)])
    user = await store.users.local_user()
    hook = AffectHook(store, llm_reader=LLMEmotionReader(llm))
    session = await Session.open(store, llm, user.id, SessionConfig(n_ctx=2048, max_reply_tokens=64), hooks=[hook])
    async with contextlib.aclosing(session.send(SARCASM)) as deltas:
        assert "".join([d async for d in deltas]) == "I hear you."
    assert len(llm.requests) == 1  # only the reply so far
    await session.drain()
    assert len(llm.requests) == 2 and llm.requests[-1][0].content.startswith("You read how the speaker")
    (reading,) = await store.affect.readings(user.id, speaker=Speaker.USER)
    assert reading.emotion.valence == -0.6


@pytest.mark.parametrize("enabled", [False, True])
async def test_the_setting_decides_whether_the_model_is_asked(store: SQLiteStore, enabled: bool) -> None:
    settings = load_settings()
    assert settings.emotion_llm is False  # off by default
    llm = ScriptedLLM(json_replies=[_answer(-0.6, ["anger"], sarcastic=True)])
    hook = affect_hook(settings.model_copy(update={"emotion_llm": enabled}), store, llm)
    turn = await _said(store, SARCASM)
    await hook.before_reply(turn)
    await hook.after_reply(turn, await _reply(store, turn, "Mondays, huh."))
    assert len(llm.requests) == (1 if enabled else 0)
