import pytest

from os1.core.profile import Sociability, VoicePreference
from os1.engine.first_meeting import FALLBACK_NAMES, Answers, choose_name, greeting, run_first_meeting
from os1.storage.sqlite import SQLiteStore
from os1.testing import ScriptedLLM


def test_answers_are_cleaned_and_choices_matched() -> None:
    a = Answers.from_strings({"user_name": "  Theo  ", "sociability": "Priv", "voice": "FEMININE"})
    assert (a.user_name, a.sociability, a.voice) == ("Theo", Sociability.PRIVATE, VoicePreference.FEMININE)
    assert Answers.from_strings({"user_name": "Theo", "voice": "robot"}).voice is VoicePreference.NEUTRAL
    with pytest.raises(ValueError):
        Answers.from_strings({"user_name": "   "})


async def test_a_valid_llm_name_is_taken() -> None:
    llm = ScriptedLLM(json_replies=[{"name": "Iris", "reason": "I chose it because it sounds like light."}])
    assert await choose_name(llm, Answers("Theo")) == ("Iris", "I chose it because it sounds like light.", "llm")


async def test_bad_names_are_retried_then_fall_back() -> None:
    bad = [{"name": "Theo", "reason": "I chose it because it is yours."},
           {"name": "assistant", "reason": "I chose it because it is what I am."},
           {"name": "x", "reason": ""}]
    name, reason, source = await choose_name(ScriptedLLM(json_replies=bad), Answers("Theo"))
    assert source == "fallback" and name in FALLBACK_NAMES and name != "Theo" and reason


async def test_first_meeting_is_stored_and_can_be_rerun(store: SQLiteStore) -> None:
    user = await store.users.local_user()
    llm = ScriptedLLM(json_replies=[{"name": "Iris", "reason": "I chose it because it sounds like light."},
                                    {"name": "Wren", "reason": "I chose it because small birds sing."}])
    first = await run_first_meeting(store, llm, user.id, Answers("Theo", "a writer", voice=VoicePreference.FEMININE))
    assert first.identity is not None and first.identity.name == "Iris"
    assert "Theo" in greeting(first) and "Iris" in greeting(first) and "AI" in greeting(first)
    await run_first_meeting(store, llm, user.id, Answers("Theodore"))
    again = await store.profiles.get(user.id)
    assert again.user_name == "Theodore" and again.identity is not None and again.identity.name == "Wren"
