"""The user's emotion read by the chat model: one schema-constrained JSON call that refines the lexicon reading.

Lexicons read words, not intent: "Oh great, another Monday. I just love being ignored." is joy to VADER and
NRC. A capable model hears the sarcasm. It answers ``{"valence", "emotions", "sarcastic"}``, which is combined
with the lexicon reading (``combine``): the model's valence and emotions win when they are valid, and arousal
is recomputed from the emotions with the lexicon's own circumplex table, so both readers speak one scale.

Model output is never trusted blindly: numbers are clamped, unknown emotion names dropped, and a model that
turns a clearly positive or negative lexicon reading around without hearing sarcasm meets the lexicon half
way (a small model that flips a plain "I love my new job" is more often wrong than the lexicon). When the
model fails outright (an exception, a timeout, a malformed answer, a backend without JSON schemas) the
lexicon reading is returned unchanged; ``read`` never raises, and ``failures`` counts those calls.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import Mapping
from typing import Any

from os1.core.affect import EMOTIONS, NEGATIVE_EMOTIONS, POSITIVE_EMOTIONS, Emotion
from os1.core.messages import ChatMessage, Role
from os1.llm.base import LLM, GenerationOptions
from os1.persona.emotion import NEUTRAL_BAND, arousal_of

log = logging.getLogger(__name__)

MAX_EMOTIONS = 3  # more than three named feelings in one chat message is the model listing, not reading
# The answer is ~25 tokens; the cap only stops a model that rambles inside a string.
OPTIONS = GenerationOptions(max_tokens=60, temperature=0.0, cache_prompt=True)
# Runs after the reply, so nobody waits on it; the cap keeps a stuck backend from holding a background task.
TIMEOUT_S = 30.0

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "valence": {"type": "number", "minimum": -1, "maximum": 1},
        "emotions": {"type": "array", "items": {"type": "string", "enum": list(EMOTIONS)}, "maxItems": MAX_EMOTIONS},
        "sarcastic": {"type": "boolean"},
    },
    "required": ["valence", "emotions", "sarcastic"],
    "additionalProperties": False,
}

SYSTEM = f"""You read how the speaker of a chat message feels. Reply in JSON: \
{{"valence": number, "emotions": [...], "sarcastic": true or false}}.
valence: from -1 (very negative) through 0 (neutral) to 1 (very positive): how the speaker really feels, \
not the words they use.
emotions: up to {MAX_EMOTIONS} of {", ".join(EMOTIONS)}, strongest first; [] when the message shows no feeling.
sarcastic: true when the speaker means the opposite of their words."""

# Worked examples: sarcasm, grief, joy, and a message with no feeling (so that [] and 0 are answers too).
_EXAMPLES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("Fantastic, my train is cancelled again. Exactly what I needed today.",
     {"valence": -0.6, "emotions": ["anger", "disgust"], "sarcastic": True}),
    ("My grandmother passed away last night.", {"valence": -0.8, "emotions": ["sadness"], "sarcastic": False}),
    ("I finally finished my thesis, I can't believe it!",
     {"valence": 0.8, "emotions": ["joy", "surprise"], "sarcastic": False}),
    ("The shop closes at six on Sundays.", {"valence": 0.0, "emotions": [], "sarcastic": False}),
)


class LLMEmotionReader:
    """Refines a lexicon reading with ``llm``; the lexicon reading stands whenever the model cannot help."""

    def __init__(self, llm: LLM, *, options: GenerationOptions = OPTIONS, timeout_s: float = TIMEOUT_S) -> None:
        self.llm = llm
        self.options = options
        self.timeout_s = timeout_s
        self.failures = 0  # calls answered by the lexicon reading alone, for benches and logs

    async def read(self, text: str, lexicon: Emotion) -> Emotion:
        """The combined reading of ``text``, or ``lexicon`` unchanged when the model fails. Never raises
        (cancellation aside: a closing Session may cancel its background work)."""
        if not text.strip():
            return lexicon
        if not self.llm.capabilities.json_schema:  # free-form JSON from a model that cannot be held to it
            return self._fall_back(lexicon, f"{self.llm.name} cannot follow a JSON schema")
        try:
            async with asyncio.timeout(self.timeout_s):
                answer = await self.llm.complete_json(messages(text), SCHEMA, self.options)
        except TimeoutError:
            return self._fall_back(lexicon, f"no answer within {self.timeout_s:g} s")
        except Exception as exc:  # any backend failure: the lexicon reading is still a reading
            return self._fall_back(lexicon, f"model failed: {exc}")
        combined = combine(lexicon, answer)
        if combined is None:
            return self._fall_back(lexicon, f"unusable answer {str(answer)[:80]!r}")
        return combined

    def _fall_back(self, lexicon: Emotion, why: str) -> Emotion:
        self.failures += 1
        log.warning("LLM emotion reading fell back to the lexicon: %s", why)
        return lexicon


def messages(text: str) -> list[ChatMessage]:
    """The prompt: instructions, the worked examples, then the message."""
    out = [ChatMessage(Role.SYSTEM, SYSTEM)]
    for said, answer in _EXAMPLES:
        out += [ChatMessage(Role.USER, f"Message: {said}"), ChatMessage(Role.ASSISTANT, json.dumps(answer))]
    out.append(ChatMessage(Role.USER, f"Message: {text.strip()}"))
    return out


def combine(lexicon: Emotion, answer: Any) -> Emotion | None:
    """The model's answer merged into the lexicon reading, or None when the answer has nothing usable."""
    if not isinstance(answer, dict):
        return None
    valence = model_valence(answer.get("valence"))
    named = model_emotions(answer.get("emotions"))
    if valence is None and named is None:
        return None
    sarcastic = answer.get("sarcastic") is True
    if valence is None:
        # Sarcasm flips nothing blindly: without the model's own number the lexicon's valence stands.
        valence = lexicon.valence
    elif not _trust_sign(lexicon.valence, valence, sarcastic):
        # The two readers disagree and the model gives no reason: neither is taken at its word.
        valence = (lexicon.valence + valence) / 2
        return Emotion(round(valence, 4), lexicon.arousal, lexicon.emotions)
    shares = ranked_shares(named) if named else agreeing(lexicon.emotions, valence)
    return Emotion(round(valence, 4), arousal_of(shares), shares)


def _trust_sign(lexicon: float, model: float, sarcastic: bool) -> bool:
    """Whether the model's valence may stand: it agrees in sign with the lexicon, one of them is about
    neutral, or the model heard sarcasm in words the lexicon took as positive."""
    if abs(lexicon) < NEUTRAL_BAND or abs(model) < NEUTRAL_BAND or (lexicon > 0) == (model > 0):
        return True
    return sarcastic and lexicon > 0


def model_valence(value: Any) -> float | None:
    """A number clamped to [-1, 1]; None for anything else (a bool is not a number here, nor NaN)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return min(1.0, max(-1.0, float(value)))


def model_emotions(value: Any) -> list[str] | None:
    """Known NRC emotion names, deduplicated, strongest first, at most MAX_EMOTIONS; [] when the model
    named none; None when the answer is not a list or names only unknown feelings."""
    if not isinstance(value, list):
        return None
    names: list[str] = []
    for item in value:
        name = item.strip().lower() if isinstance(item, str) else ""
        if name in EMOTIONS and name not in names:
            names.append(name)
    if value and not names:
        return None
    return names[:MAX_EMOTIONS]


def ranked_shares(names: list[str]) -> dict[str, float]:
    """Shares for emotions listed strongest first: 1, 1/2, 1/3 of a weight, normalised to sum to one."""
    weights = [1 / (rank + 1) for rank in range(len(names))]
    total = sum(weights)
    return {name: round(w / total, 4) for name, w in zip(names, weights, strict=True)}


def agreeing(emotions: Mapping[str, float], valence: float) -> dict[str, float]:
    """The lexicon's emotions that fit ``valence`` (a sarcastic "love" is no joy), shares renormalised."""
    if abs(valence) < NEUTRAL_BAND:
        return dict(emotions)
    opposite = POSITIVE_EMOTIONS if valence < 0 else NEGATIVE_EMOTIONS
    kept = {e: share for e, share in emotions.items() if e not in opposite}
    total = sum(kept.values())
    return {e: round(share / total, 4) for e, share in kept.items()} if total else {}
