"""The first meeting: a short interview, then the OS chooses its own name and greets the user.

The questions live here (not in the CLI) so every front end asks the same ones. The name comes from
schema-constrained LLM output; a name that fails the checks is asked for again, and after three tries
the OS takes one from a short list, so setup never fails because the model is small.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from typing import Any

from os1.core.errors import BackendError
from os1.core.messages import ChatMessage, Role
from os1.core.profile import OSIdentity, Profile, Sociability, VoicePreference
from os1.engine.clock import Clock, system_clock
from os1.llm.base import LLM, GenerationOptions
from os1.storage.base import Store


@dataclass(frozen=True, slots=True)
class Question:
    key: str
    text: str
    choices: tuple[str, ...] = ()
    default: str = ""


INTERVIEW: tuple[Question, ...] = (
    Question("user_name", "Hello. What should I call you?"),
    Question("self_description", "How would you describe yourself, in a few words?", default=""),
    Question("sociability", "Are you a social person?", tuple(s.value for s in Sociability), "in between"),
    Question("voice", "Which voice would you like me to have?", tuple(v.value for v in VoicePreference), "neutral"),
    Question("address_style", "How do you like to be spoken to? (e.g. gently, directly, with humour)", default=""),
)


@dataclass(frozen=True, slots=True)
class Answers:
    user_name: str
    self_description: str = ""
    sociability: Sociability = Sociability.IN_BETWEEN
    voice: VoicePreference = VoicePreference.NEUTRAL
    address_style: str = ""

    @classmethod
    def from_strings(cls, values: dict[str, str]) -> Answers:
        name = _clean(values.get("user_name", ""), 40)
        if not name:
            raise ValueError("a name is needed")
        return cls(
            user_name=name,
            self_description=_clean(values.get("self_description", ""), 200),
            sociability=Sociability(_choice(values.get("sociability", ""), Sociability, Sociability.IN_BETWEEN)),
            voice=VoicePreference(_choice(values.get("voice", ""), VoicePreference, VoicePreference.NEUTRAL)),
            address_style=_clean(values.get("address_style", ""), 200),
        )


NAME_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "pattern": "^[A-Z][a-z]{2,11}$"},
        "reason": {"type": "string", "pattern": "^I chose it because [a-z][^\\n]{10,160}$"},
    },
    "required": ["name", "reason"],
}

FALLBACK_NAMES = ("Samantha", "Ada", "Juniper", "Robin", "Iris", "Sol", "Wren", "Quinn", "Milo", "Nova")
_NOT_NAMES = {"name", "assistant", "user", "chatbot", "bot", "system", "model", "ai", "os", "computer", "json"}
NAME_TRIES = 3


async def choose_name(llm: LLM, answers: Answers) -> tuple[str, str, str]:
    """(name, reason, source): source is 'llm' or 'fallback'."""
    messages = [
        ChatMessage(Role.SYSTEM, "You are a new AI companion choosing your own first name. Answer in JSON."),
        ChatMessage(Role.USER, _naming_request(answers)),
    ]
    for attempt in range(NAME_TRIES):
        options = GenerationOptions(max_tokens=120, temperature=0.7 + 0.2 * attempt, cache_prompt=False)
        try:
            data = await llm.complete_json(messages, NAME_SCHEMA, options)
        except BackendError:
            continue
        name, reason = _valid_name(data, answers.user_name)
        if name:
            return name, reason, "llm"
    return _fallback_name(answers), "I liked how it sounds: short, warm and easy to say.", "fallback"


def _naming_request(answers: Answers) -> str:
    return (
        f"You will be the companion of {answers.user_name}, who says: '{answers.self_description or 'nothing yet'}'. "
        f"They prefer a {answers.voice.value} voice. Choose a short first name for yourself (not "
        f"{answers.user_name}) and give the reason in one sentence, starting with 'I chose it because'."
    )


def _valid_name(data: dict[str, Any], user_name: str) -> tuple[str, str]:
    name = str(data.get("name", "")).strip()
    reason = " ".join(str(data.get("reason", "")).split())
    if not re.fullmatch(r"[A-Z][a-z]{2,11}", name) or name.lower() in _NOT_NAMES:
        return "", ""
    if name.lower() == user_name.lower() or len(reason) < 12:
        return "", ""
    return name, reason


def _fallback_name(answers: Answers) -> str:
    seed = hashlib.sha256(answers.user_name.lower().encode()).digest()[0]
    names = [n for n in FALLBACK_NAMES if n.lower() != answers.user_name.lower()]
    return names[seed % len(names)]


def greeting(profile: Profile) -> str:
    """The first words of the OS, by name, and honest about what it is."""
    assert profile.identity is not None
    return (
        f"Hello, {profile.user_name}. I'm {profile.identity.name}. "
        "I'm an AI, and I live here on your computer, so what we say stays here. "
        "It's good to meet you. How are you, really?"
    )


async def run_first_meeting(store: Store, llm: LLM, user_id: str, answers: Answers,
                            clock: Clock = system_clock) -> Profile:
    """Name the OS, store the profile (re-runnable: a later meeting replaces the earlier answers)."""
    name, reason, source = await choose_name(llm, answers)
    old = await store.profiles.get(user_id)
    profile = replace(
        old,
        user_name=answers.user_name,
        self_description=answers.self_description,
        sociability=answers.sociability,
        voice=answers.voice,
        address_style=answers.address_style,
        identity=OSIdentity(name=name, reason=reason, chosen_at=clock()),
        extra={**old.extra, "name_source": source},
    )
    await store.profiles.save(profile)
    return profile


def _clean(value: str, limit: int) -> str:
    return " ".join(value.split())[:limit]


def _choice(value: str, enum: Any, default: Any) -> str:
    value = value.strip().lower()
    for member in enum:
        if member.value == value or (member.value.startswith(value) and value):
            return str(member.value)
    return str(default.value)
