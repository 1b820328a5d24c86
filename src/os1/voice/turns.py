"""Turn-taking: who has the floor, decided from voice activity alone. Pure: no audio, no asyncio, no clock.

The caller feeds one VAD probability per frame with its time (``on_vad``) and tells the machine what the
rest of the pipeline did (``on_transcript``, ``reply_started``, ``reply_finished``, ``reply_failed``); the
machine answers with actions to carry out. Times are milliseconds on the caller's clock (the microphone's
timeline), so tests and file mode can use a simulated clock.

    listening --speech--> user_speaking --silence (endpoint)--> thinking --reply_started--> os_speaking
        ^                      ^   |                               |                          |
        |                      |   +---------------------------+   | user speaks again:       | strong, long speech:
        +----- reply_finished / reply_failed ------------------+   | CancelReply              | StopPlayback (barge-in)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class TurnState(Enum):
    LISTENING = "listening"
    USER_SPEAKING = "user_speaking"
    THINKING = "thinking"
    OS_SPEAKING = "os_speaking"


@dataclass(frozen=True, slots=True)
class UserStarted:
    """The user began to speak at ``at_ms`` (the first voiced frame's start)."""

    at_ms: int


@dataclass(frozen=True, slots=True)
class Pause:
    """The user paused: transcribe what was said so far and report it with ``on_transcript``."""

    start_ms: int
    end_ms: int


@dataclass(frozen=True, slots=True)
class EndOfTurn:
    """The user finished the utterance spoken from ``start_ms`` to ``end_ms``: answer it."""

    start_ms: int
    end_ms: int


@dataclass(frozen=True, slots=True)
class CancelReply:
    """The user went on speaking before the reply was heard: drop the reply being prepared."""


@dataclass(frozen=True, slots=True)
class StopPlayback:
    """Barge-in: stop the OS's voice now; the reply is kept as played up to ``at_ms``."""

    at_ms: int


Action = UserStarted | Pause | EndOfTurn | CancelReply | StopPlayback


@dataclass(frozen=True, slots=True)
class TurnConfig:
    frame_ms: int = 32  # Silero's 512 samples at 16 kHz
    speech_threshold: float = 0.5  # a frame is speech from here...
    silence_threshold: float = 0.35  # ...and stays speech down to here once the user is talking (hysteresis)
    min_speech_ms: int = 96  # shorter bursts (a click, a cough) do not take the floor
    pause_ms: int = 224  # after this much silence the partial transcript is worth having
    endpoint_silence_ms: int = 600  # silence that ends a complete-sounding utterance
    unfinished_extra_ms: int = 700  # more patience when the words so far sound unfinished
    # While the OS speaks the microphone also hears the speaker: only strong, sustained speech is the user.
    barge_in_threshold: float = 0.8
    barge_in_ms: int = 224


class TurnTaker:
    def __init__(self, config: TurnConfig | None = None) -> None:
        self.config = config or TurnConfig()
        self.state = TurnState.LISTENING
        self._run_start: int | None = None  # start of the current voiced run (listening, os_speaking)
        self._onset: int | None = None  # while the OS speaks: where the current speech-like run began
        self._strong_ms = 0  # ...and how much of it was strong enough to be the user
        self._utterance_start = 0
        self._last_voiced_end = 0
        self._transcript = ""
        self._paused = False

    # -- inputs ---------------------------------------------------------------------------------
    def on_vad(self, now_ms: int, probability: float) -> list[Action]:
        """One frame ending at ``now_ms`` with the VAD's speech probability."""
        if self.state is TurnState.USER_SPEAKING:
            return self._while_user_speaks(now_ms, probability)
        if self.state is TurnState.OS_SPEAKING:
            return self._while_os_speaks(now_ms, probability)
        return self._while_waiting(now_ms, probability)

    def on_transcript(self, text: str) -> None:
        """What the user has said so far (answering a Pause); it decides how long the endpoint waits."""
        if self.state is TurnState.USER_SPEAKING and self._paused:  # else it is stale: speech went on
            self._transcript = text

    def reply_started(self) -> None:
        if self.state is TurnState.THINKING:
            self.state = TurnState.OS_SPEAKING
            self._run_start = self._onset = None
            self._strong_ms = 0

    def reply_finished(self) -> None:
        if self.state in (TurnState.THINKING, TurnState.OS_SPEAKING):
            self.state = TurnState.LISTENING
            self._run_start = None

    reply_failed = reply_finished  # nothing to say (empty transcript, an error): listen again

    def endpoint_wait_ms(self) -> int:
        """Silence needed to end the turn now: longer while the words so far sound unfinished."""
        extra = self.config.unfinished_extra_ms if sounds_unfinished(self._transcript) else 0
        return self.config.endpoint_silence_ms + extra

    # -- states ---------------------------------------------------------------------------------
    def _while_waiting(self, now_ms: int, probability: float) -> list[Action]:
        """Listening, or thinking: speech that lasts takes the floor (while thinking, it cancels the reply)."""
        started = self._voiced_run(now_ms, probability >= self.config.speech_threshold, self.config.min_speech_ms)
        if started is None:
            return []
        actions: list[Action] = [CancelReply()] if self.state is TurnState.THINKING else []
        return [*actions, *self._user_takes_floor(started, now_ms)]

    def _while_os_speaks(self, now_ms: int, probability: float) -> list[Action]:
        """The gate: weaker speech is most likely the OS's own voice coming back through the microphone,
        so only a run of speech holding ``barge_in_ms`` of strong frames interrupts. Strong frames need
        not be consecutive: real voices dip for a frame or two between syllables."""
        if probability < self.config.speech_threshold:
            self._onset, self._strong_ms = None, 0
            return []
        if self._onset is None:
            self._onset = now_ms - self.config.frame_ms  # the softer onset is where the words began
        if probability >= self.config.barge_in_threshold:
            self._strong_ms += self.config.frame_ms
        if self._strong_ms < self.config.barge_in_ms:
            return []
        return [StopPlayback(now_ms), *self._user_takes_floor(self._onset, now_ms)]

    def _while_user_speaks(self, now_ms: int, probability: float) -> list[Action]:
        if probability >= self.config.silence_threshold:
            if self._paused:  # speaking again after a pause: the old partial transcript is stale
                self._transcript, self._paused = "", False
            self._last_voiced_end = now_ms
            return []
        silence = now_ms - self._last_voiced_end
        if silence >= self.endpoint_wait_ms():
            self.state = TurnState.THINKING
            self._run_start = None
            return [EndOfTurn(self._utterance_start, self._last_voiced_end)]
        if silence >= self.config.pause_ms and not self._paused:
            self._paused = True
            return [Pause(self._utterance_start, self._last_voiced_end)]
        return []

    def _voiced_run(self, now_ms: int, voiced: bool, needed_ms: int) -> int | None:
        """The start of a voiced run once it has lasted ``needed_ms``; a silent frame breaks the run."""
        if not voiced:
            self._run_start = None
            return None
        if self._run_start is None:
            self._run_start = now_ms - self.config.frame_ms
        return self._run_start if now_ms - self._run_start >= needed_ms else None

    def _user_takes_floor(self, started_ms: int, now_ms: int) -> list[Action]:
        self.state = TurnState.USER_SPEAKING
        self._utterance_start, self._last_voiced_end = started_ms, now_ms
        self._transcript, self._paused, self._run_start = "", False, None
        return [UserStarted(started_ms)]


# Words after which a sentence cannot be over: conjunctions, prepositions, articles, possessives.
UNFINISHED_LAST_WORDS = frozenset({
    "and", "but", "or", "nor", "so", "because", "since", "although", "though", "if", "unless", "while",
    "when", "whereas", "that", "which", "who", "whose", "where", "then", "than", "as", "like",
    "the", "a", "an", "my", "your", "his", "her", "our", "their", "its", "this", "these", "those",
    "to", "of", "in", "on", "at", "for", "with", "from", "by", "about", "into", "onto", "over", "under",
    "after", "before", "between", "through", "without", "um", "uh", "er", "is", "was", "am", "are", "were",
})
_LAST_WORD = re.compile(r"([A-Za-z']+)\W*$")


def sounds_unfinished(text: str) -> bool:
    """A cheap semantic endpoint check on a partial transcript: a trailing "and", "because", "the", a
    comma or ellipsis, or no final punctuation at all means the user is probably not done."""
    text = text.strip()
    if not text:
        return False  # nothing to judge: the silence alone decides
    if text.endswith(("...", "…", ",", "-", "—", ";", ":")) or text[-1] not in ".!?\"'”’":
        return True
    last = _LAST_WORD.search(text)
    return bool(last and last.group(1).lower() in UNFINISHED_LAST_WORDS)
