"""Emotion: reading a text, the OS's mood, its storage, the turn hook, break reminders, not-a-therapist."""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from os1.care.crisis import CrisisDetector
from os1.care.scope import asks_for_diagnosis
from os1.config import load_settings
from os1.core.affect import Emotion, Mood, Speaker
from os1.core.errors import NotFoundError
from os1.core.messages import MessageStatus, Role
from os1.core.profile import Profile
from os1.core.turns import Reply, Turn
from os1.engine.affect import NOT_A_THERAPIST as NOTE_NOT_A_THERAPIST
from os1.engine.affect import AffectHook, affect_note
from os1.engine.breaks import BreakReminder, break_due
from os1.engine.care import CareGuard
from os1.engine.session import Session, SessionConfig
from os1.persona import mood as M
from os1.persona.emotion import describe, read_emotion
from os1.persona.identity import NOT_A_THERAPIST, persona_prompt
from os1.storage.sqlite import SQLiteStore, open_store
from os1.storage.sqlite.migrations import LATEST, MIGRATIONS, current_version, migrate
from os1.testing import ScriptedLLM

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)

# --- reading a text -----------------------------------------------------------------------------------


def test_clear_joy_reads_positive_and_happy() -> None:
    e = read_emotion("I'm so happy today, I got the job!")
    assert e.valence > 0.5 and e.top == "joy" and describe(e) == "happy"


def test_clear_grief_reads_negative_and_sad() -> None:
    e = read_emotion("I feel sad and lonely since my dog died.")
    assert e.valence < -0.5 and e.top == "sadness" and describe(e) == "sad"
    assert sum(e.emotions.values()) == pytest.approx(1.0, abs=1e-3)


def test_plain_information_reads_neutral_and_calm() -> None:
    e = read_emotion("The meeting is at 3pm in room 4.")
    assert e == Emotion(0.0, 0.3, {}) and describe(e) == "neutral"


def test_negated_joy_is_not_joy() -> None:
    e = read_emotion("I'm not happy at all.")
    assert e.valence < -0.2 and "joy" not in e.emotions and describe(e) == "low"
    # ...but a negation stops at the clause: here the joy is real.
    assert "joy" in read_emotion("No, I'm really happy!").emotions


def test_anger_is_more_stirred_than_sadness_and_inflections_are_found() -> None:
    angry, sad = read_emotion("I am furious with my boss!!!"), read_emotion("I miss her, I just feel sad.")
    assert angry.arousal > sad.arousal + 0.2 and describe(angry) == "angry"
    assert "sadness" in read_emotion("I was crying all night").emotions  # crying -> cry


# --- the OS's mood ------------------------------------------------------------------------------------


def test_mood_moves_toward_a_strong_feeling_and_not_for_a_flat_one() -> None:
    rest = M.resting(T0)
    sad = M.attune(rest, read_emotion("I feel sad and lonely since my dog died."))
    assert sad.valence < rest.valence - 0.3
    assert M.attune(rest, Emotion(0.0, 0.9, {"surprise": 1.0})) == rest
    happy = M.attune(rest, Emotion(0.9, 0.7, {"joy": 1.0}))
    assert happy.valence > rest.valence and happy.arousal > rest.arousal and M.feeling(happy) == "warm"


def test_mood_decays_to_rest_with_a_half_life() -> None:
    upset = Mood(-0.8, 0.9, T0)
    half = M.decay(upset, T0 + M.HALF_LIFE)
    assert half.valence == pytest.approx((upset.valence + M.RESTING_VALENCE) / 2)
    assert half.arousal == pytest.approx((upset.arousal + M.RESTING_AROUSAL) / 2)
    later = M.decay(upset, T0 + timedelta(days=2))
    assert later.valence == pytest.approx(M.RESTING_VALENCE, abs=0.01) and M.feeling(later) == "calm"
    assert M.decay(upset, T0 - timedelta(hours=1)) == upset  # a clock going back changes nothing


def test_events_and_labels() -> None:
    worried = M.react(M.resting(T0), M.MoodEvent.CRISIS)
    assert M.feeling(worried) == "worried"
    assert M.react(M.resting(T0), M.MoodEvent.REUNION).valence > M.RESTING_VALENCE
    assert M.mood_at(None, T0) == M.resting(T0)


def test_mood_curve_shows_the_decay_between_turns() -> None:
    moods = [Mood(-0.8, 0.9, T0), Mood(0.5, 0.5, T0 + timedelta(hours=8))]
    points = M.curve(moods, T0 + timedelta(hours=10), steps=4)
    assert points[0] == moods[0] and moods[1] in points and points[-1].at == T0 + timedelta(hours=10)
    first_gap = [p.valence for p in points if p.at <= moods[1].at][:5]
    assert first_gap == sorted(first_gap)  # rising back toward rest, step by step


# --- not a therapist ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "do I have depression?", "Do you think I have ADHD?", "am I depressed?", "Is this a panic attack?",
    "should I stop taking my antidepressants?", "what medication should I take for anxiety?",
    "can you diagnose me", "Could I be autistic?",
])
def test_asking_for_a_diagnosis_or_treatment_is_noticed(text: str) -> None:
    assert asks_for_diagnosis(text)


@pytest.mark.parametrize("text", [
    "I was diagnosed with ADHD last year", "I have depression and my therapist helps", "I took my meds today",
    "am I sad? maybe a bit", "should I take the bus?", "I feel anxious about tomorrow",
])
def test_telling_is_not_asking(text: str) -> None:
    assert not asks_for_diagnosis(text)


def test_persona_prompt_says_it_is_not_a_therapist() -> None:
    prompt = persona_prompt(Profile("usr_1", "Theo"))
    assert NOT_A_THERAPIST in prompt and "diagnose" in prompt


# --- storage ------------------------------------------------------------------------------------------

_AFFECT_MIGRATION = next(i for i, m in enumerate(MIGRATIONS) if "CREATE TABLE affect_readings" in m)


async def _said(store: SQLiteStore, text: str, at: datetime = T0) -> Turn:
    user = await store.users.local_user()
    conv = await store.conversations.latest(user.id) or await store.conversations.create(user.id)
    msg = await store.messages.add(user.id, conv.id, Role.USER, text, created_at=at)
    return Turn(user.id, conv.id, msg.id, text, at)


async def test_migrates_from_the_schema_before_affect_keeping_data(tmp_path: Path) -> None:
    con = sqlite3.connect(tmp_path / "db", isolation_level=None)
    migrate(con, target=_AFFECT_MIGRATION)
    con.execute("INSERT INTO users VALUES ('usr_1', 'local', '2026-01-01T00:00:00+00:00')")
    con.execute("INSERT INTO conversations VALUES ('conv_1', 'usr_1', '', '2026-01-01T00:00:00+00:00')")
    con.execute(
        "INSERT INTO messages (id, conversation_id, user_id, role, content, status, created_at) "
        "VALUES ('msg_1', 'conv_1', 'usr_1', 'user', 'I am so sad', 'complete', '2026-01-01T00:00:00+00:00')"
    )
    con.close()
    store = open_store(tmp_path / "db")
    try:
        assert current_version(store.con) == LATEST
        await store.affect.add("usr_1", "msg_1", Speaker.USER, read_emotion("I am so sad"), T0)
        (reading,) = await store.affect.readings("usr_1")
        assert reading.message_id == "msg_1" and reading.emotion.top == "sadness"
    finally:
        await store.close()


async def test_readings_and_moods_round_trip_per_user(store: SQLiteStore) -> None:
    turn = await _said(store, "I got the job!")
    emotion = read_emotion(turn.text)
    await store.affect.add(turn.user_id, turn.message_id, Speaker.USER, emotion, T0)
    await store.affect.add(turn.user_id, turn.message_id, Speaker.USER, emotion, T0)  # read again: replaced
    (got,) = await store.affect.readings(turn.user_id, speaker=Speaker.USER)
    assert got.emotion == emotion and got.created_at == T0 and got.speaker is Speaker.USER
    assert await store.affect.readings(turn.user_id, speaker=Speaker.OS) == []
    assert await store.affect.readings(turn.user_id, since=T0 + timedelta(seconds=1)) == []
    await store.affect.save_mood(turn.user_id, Mood(0.1, 0.3, T0))
    await store.affect.save_mood(turn.user_id, Mood(0.5, 0.6, T0 + timedelta(minutes=1)))
    assert await store.affect.mood(turn.user_id) == Mood(0.5, 0.6, T0 + timedelta(minutes=1))
    assert len(await store.affect.moods(turn.user_id)) == 2
    other = await store.users.create("someone else")
    assert await store.affect.readings(other.id) == [] and await store.affect.mood(other.id) is None
    with pytest.raises(NotFoundError):  # nobody can attach a reading to another user's message
        await store.affect.add(other.id, turn.message_id, Speaker.USER, emotion, T0)


# --- the turn hook ------------------------------------------------------------------------------------


async def test_hook_keeps_the_reading_before_the_reply_and_returns_a_short_note(store: SQLiteStore) -> None:
    turn = await _said(store, "I feel sad and lonely since my dog died.")
    note = await AffectHook(store).before_reply(turn)
    assert note is not None and "sounds sad" in note and "your mood: calm" in note and "gentle" in note
    assert len(note) < 200  # one or two sentences
    stored = await store.affect.reading(turn.user_id, turn.message_id, Speaker.USER)
    assert stored is not None and stored.emotion.valence < -0.5
    assert await store.affect.mood(turn.user_id) is None  # the mood changes only after the reply


async def test_hook_reminds_the_model_it_is_not_a_therapist(store: SQLiteStore) -> None:
    turn = await _said(store, "do I have depression?")
    note = await AffectHook(store).before_reply(turn)
    assert note is not None and NOTE_NOT_A_THERAPIST in note
    # Nothing to attune to: no note at all, but the reading is kept.
    plain = await _said(store, "the bus leaves at nine")
    assert await AffectHook(store).before_reply(plain) is None
    assert await store.affect.reading(plain.user_id, plain.message_id, Speaker.USER) is not None


async def test_after_the_reply_the_mood_follows_the_user_and_the_reply_is_read(store: SQLiteStore) -> None:
    hook = AffectHook(store)
    turn = await _said(store, "I feel sad and lonely since my dog died.")
    await hook.before_reply(turn)
    answer = await store.messages.add(turn.user_id, turn.conversation_id, Role.ASSISTANT, "I'm so sorry.")
    await hook.after_reply(turn, Reply(answer.id, answer.content, MessageStatus.COMPLETE, T0 + timedelta(seconds=5)))
    mood = await store.affect.mood(turn.user_id)
    assert mood is not None and mood.valence < M.RESTING_VALENCE - 0.2
    assert await store.affect.reading(turn.user_id, answer.id, Speaker.OS) is not None
    later = await _said(store, "hello again", T0 + timedelta(minutes=10))
    assert "your mood: subdued" in (await hook.before_reply(later) or "")


async def test_a_crisis_turn_is_read_and_worries_the_os(store: SQLiteStore) -> None:
    llm = ScriptedLLM(["never used"])
    session = await _session(store, llm, care=CareGuard(CrisisDetector(None)), hooks=[AffectHook(store)])
    await _run(session, "i want to kill myself tonight")
    await session.drain()
    readings = await store.affect.readings(session.user_id)
    assert [r.speaker for r in readings] == [Speaker.USER, Speaker.OS] and not llm.requests
    mood = await store.affect.mood(session.user_id)
    assert mood is not None and M.feeling(mood) == "worried"


async def test_a_session_with_the_hook_puts_the_note_before_the_users_message(store: SQLiteStore) -> None:
    llm = ScriptedLLM(["I'm here with you."])
    session = await _session(store, llm, hooks=[AffectHook(store)])
    await _run(session, "I feel so sad and lonely today.")
    await session.drain()
    prompt = llm.requests[-1]
    assert prompt[-1].role is Role.USER and prompt[-1].content == "I feel so sad and lonely today."
    assert prompt[-2].role is Role.SYSTEM and "The user sounds sad" in prompt[-2].content
    assert [r.speaker for r in await store.affect.readings(session.user_id)] == [Speaker.USER, Speaker.OS]
    assert await store.affect.mood(session.user_id) is not None


def test_note_attunes_to_joy_too() -> None:
    note = affect_note(read_emotion("I got the job, I'm thrilled!"), M.resting(T0))
    assert note is not None and "happy" in note and "good spirits" in note


# --- break reminders ----------------------------------------------------------------------------------


def test_break_is_due_once_per_sitting() -> None:
    after = timedelta(minutes=90)
    assert not break_due(T0, None, T0 + timedelta(minutes=89), after)
    assert break_due(T0, None, T0 + timedelta(minutes=90), after)
    assert not break_due(T0, T0 + timedelta(minutes=91), T0 + timedelta(hours=5), after)
    assert break_due(T0, T0 - timedelta(minutes=1), T0 + timedelta(hours=2), after)  # last one was another sitting


async def test_break_reminder_after_long_continuous_use_once_then_again_next_sitting(store: SQLiteStore) -> None:
    now = [T0]
    llm = ScriptedLLM(["ok"])
    hook = BreakReminder(store, timedelta(minutes=90))
    session = await _session(store, llm, hooks=[hook], clock=lambda: now[0])
    notes = []
    # a message every 25 minutes or less, then a 90-minute pause after 110: a new sitting from 200
    for minutes in (0, 25, 50, 75, 95, 110, 200, 225, 250, 275, 290):
        now[0] = T0 + timedelta(minutes=minutes)
        await _run(session, "still here")
        notes.append(any("break" in m.content for m in llm.requests[-1] if m.role is Role.SYSTEM))
    assert notes == [False, False, False, False, True, False, False, False, False, False, True]
    assert await store.care_events.count(session.user_id, "break_reminder") == 2
    assert await BreakReminder(store, timedelta(0)).before_reply(await _said(store, "x", now[0])) is None


def test_break_setting_defaults_to_90_minutes() -> None:
    assert load_settings().break_after_minutes == 90


# --- helpers ------------------------------------------------------------------------------------------


async def _session(store: SQLiteStore, llm: ScriptedLLM, **kw: Any) -> Session:
    user = await store.users.local_user()
    return await Session.open(store, llm, user.id, SessionConfig(n_ctx=2048, max_reply_tokens=64), **kw)


async def _run(session: Session, text: str) -> str:
    async with contextlib.aclosing(session.send(text)) as deltas:
        return "".join([d async for d in deltas])
