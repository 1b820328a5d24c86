"""Emotion in the turn: the user's feeling is read and kept, the OS's mood follows it, replies attune to both.

Before the reply the user's message is read (VADER + NRC) and stored at once, so it is kept even when the
reply fails; a short note tells the model how the user sounds and how the OS feels. After the reply the
OS's mood decays to now, moves toward the user's feeling and toward events (a crisis, a reunion), takes a
little of the OS's own words, and is stored. The repository calls do not yield to the event loop between
reading and saving the mood, so two turns of one process cannot interleave that update.

With an LLM reader (setting ``emotion_llm``) the user's message is read again by the chat model after the
reply, never before it: the model would delay the reply by a JSON call, and on a local model it would also
push the conversation out of the prompt cache. So the prompt's note always comes from the lexicons; the
refined reading replaces the stored one and is what the mood attunes to.
"""

from __future__ import annotations

from collections.abc import Callable

from os1.care.scope import asks_for_diagnosis
from os1.core.affect import Emotion, Mood, Speaker
from os1.core.turns import Reply, Turn
from os1.engine.care import CareKind
from os1.persona.emotion import describe, read_emotion
from os1.persona.llm_emotion import LLMEmotionReader
from os1.persona.mood import REUNION_AFTER, SELF_WEIGHT, MoodEvent, attune, decay, feeling, mood_at, react
from os1.storage.base import Store

# A user message at least this negative (or positive) gets a line of guidance, not just a description.
GUIDE_AT = 0.3
NOT_A_THERAPIST = (
    "They are asking for a diagnosis or treatment: you are not a therapist or a doctor, so do not diagnose "
    "or advise on medication; listen, and suggest they talk to a doctor or a mental-health professional."
)


def affect_note(emotion: Emotion, mood: Mood, asks_diagnosis: bool = False) -> str | None:
    """One or two sentences for the prompt: how the user sounds, how the OS feels, what to do about it.
    None when there is nothing to attune to (a neutral message, a calm OS): small models tend to echo notes."""
    if describe(emotion) == "neutral" and feeling(mood) == "calm" and not asks_diagnosis:
        return None
    parts = [f"The user sounds {describe(emotion)} (valence {emotion.valence:+.2f}); your mood: {feeling(mood)}."]
    if emotion.valence <= -GUIDE_AT:
        parts.append("Be gentle: acknowledge how they feel before anything else.")
    elif emotion.valence >= GUIDE_AT:
        parts.append("Share their good spirits.")
    if asks_diagnosis:
        parts.append(NOT_A_THERAPIST)
    return " ".join(parts)


class AffectHook:
    """The turn hook. ``read`` is the emotion reader (the lexicons by default); ``llm_reader``, when given,
    refines the user's reading after the reply."""

    name = "affect"

    def __init__(self, store: Store, read: Callable[[str], Emotion] = read_emotion,
                 llm_reader: LLMEmotionReader | None = None) -> None:
        self.store = store
        self.read = read
        self.llm_reader = llm_reader

    async def before_reply(self, turn: Turn) -> str | None:
        return await self._note(turn, await self._user_emotion(turn))

    async def preview(self, turn: Turn) -> str | None:
        """The same note, with the reading not stored."""
        return await self._note(turn, self.read(turn.text))

    async def _note(self, turn: Turn, emotion: Emotion) -> str | None:
        mood = mood_at(await self.store.affect.mood(turn.user_id), turn.at)
        return affect_note(emotion, mood, asks_for_diagnosis(turn.text))

    async def after_reply(self, turn: Turn, reply: Reply) -> None:
        stored = await self.store.affect.reading(turn.user_id, turn.message_id, Speaker.USER)
        # A fixed care reply (crisis, disclosure) skips before_reply, so that reading may be missing.
        emotion = stored.emotion if stored else await self._user_emotion(turn)
        # Before the mood is read: the model call yields to the event loop, the mood update below must not.
        emotion = await self._refined(turn, emotion)
        previous = await self.store.affect.mood(turn.user_id)
        mood = mood_at(previous, turn.at)
        if previous is not None and turn.at - previous.at >= REUNION_AFTER:
            mood = react(mood, MoodEvent.REUNION)
        mood = attune(mood, emotion)
        if await self._was_crisis(turn):
            mood = react(mood, MoodEvent.CRISIS)
        if reply.message_id is not None and reply.text.strip():
            said = self.read(reply.text)
            await self.store.affect.add(turn.user_id, reply.message_id, Speaker.OS, said, reply.at)
            mood = attune(decay(mood, reply.at), said, SELF_WEIGHT)
        await self.store.affect.save_mood(turn.user_id, mood)

    async def _user_emotion(self, turn: Turn) -> Emotion:
        emotion = self.read(turn.text)
        await self.store.affect.add(turn.user_id, turn.message_id, Speaker.USER, emotion, turn.at)
        return emotion

    async def _refined(self, turn: Turn, lexicon: Emotion) -> Emotion:
        """The LLM's reading of the user's message, stored in place of the lexicon's (``add`` replaces the
        reading of a message), or the lexicon reading when there is no LLM reader or it could not help."""
        if self.llm_reader is None:
            return lexicon
        refined = await self.llm_reader.read(turn.text, lexicon)
        if refined != lexicon:
            await self.store.affect.add(turn.user_id, turn.message_id, Speaker.USER, refined, turn.at)
        return refined

    async def _was_crisis(self, turn: Turn) -> bool:
        """The Session records a crisis at the turn's own time when it gives the fixed crisis reply."""
        last = await self.store.care_events.last(turn.user_id, CareKind.CRISIS.value)
        return last is not None and last >= turn.at
