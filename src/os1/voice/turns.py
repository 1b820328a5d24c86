"""Turn-taking: who has the floor, decided from voice activity alone. Pure: no audio, no asyncio, no clock.

The caller feeds one VAD probability per frame with its time (``on_vad``) and tells the machine what the
rest of the pipeline did (``on_transcript``, ``reply_started``, ``reply_finished``, ``reply_failed``); the
machine answers with actions to carry out. Times are milliseconds on the caller's clock (the microphone's
timeline), so tests and file mode can use a simulated clock.

    listening --speech--> user_speaking --silence (endpoint)--> thinking --reply_started--> os_speaking
        ^                      ^   |                               |                          |
        |                      |   +---------------------------+   | user speaks again:       | strong, long speech:
        +----- reply_finished / reply_failed ------------------+   | CancelReply              | StopPlayback (barge-in)

Inside user_speaking: every ``partial_ms`` of speech a Partial asks for the words so far (live captions,
and the model may start reading them while the user is still talking); a Pause asks for the transcript
so far; when it comes (``on_transcript``) the machine says Speculate (the reply's prompt can be read
ahead), CancelSpeculation if the user speaks on, and the EndOfTurn says whether it ends the speculated
words. The endpoint is short after complete-sounding words, long after unfinished ones, and in between
while the transcript has not come: it never waits for one.
Inside os_speaking: a few strong frames DuckPlayback (provisional, audible at once); ResumePlayback when
the run stops short of the barge-in gate, StopPlayback when it reaches it.
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
class Partial:
    """The user is still speaking: the words from ``start_ms`` to ``end_ms`` are worth transcribing (a partial
    hypothesis). Nothing comes back to the machine: partials only caption and warm the model."""

    start_ms: int
    end_ms: int


@dataclass(frozen=True, slots=True)
class Speculate:
    """The pause's transcript came and nothing was said since: the reply's prompt for ``text`` may be read
    ahead (nothing generated, heard or stored) in case the endpoint confirms these words."""

    start_ms: int
    end_ms: int
    text: str


@dataclass(frozen=True, slots=True)
class CancelSpeculation:
    """The user spoke on after the pause: what was prepared for the pause's words is moot."""


@dataclass(frozen=True, slots=True)
class EndOfTurn:
    """The user finished the utterance spoken from ``start_ms`` to ``end_ms``: answer it. ``speculated``:
    these are exactly the words a Speculate was given (the pause's transcript is the final one)."""

    start_ms: int
    end_ms: int
    speculated: bool = False


@dataclass(frozen=True, slots=True)
class CancelReply:
    """The user went on speaking before the reply was heard: drop the reply being prepared."""


@dataclass(frozen=True, slots=True)
class StopPlayback:
    """Barge-in: stop the OS's voice now; the reply is kept as played up to ``at_ms``."""

    at_ms: int


@dataclass(frozen=True, slots=True)
class DuckPlayback:
    """Strong speech while the OS speaks: hold its voice now (provisionally) so the user hears it stop at
    once; StopPlayback confirms the barge-in, ResumePlayback takes it back."""

    at_ms: int


@dataclass(frozen=True, slots=True)
class ResumePlayback:
    """The speech that ducked the OS's voice stopped short of a barge-in: go on where it was held."""


Action = (UserStarted | Partial | Pause | Speculate | CancelSpeculation | EndOfTurn | CancelReply | DuckPlayback
          | ResumePlayback | StopPlayback)


@dataclass(frozen=True, slots=True)
class TurnConfig:
    frame_ms: int = 32  # Silero's 512 samples at 16 kHz
    speech_threshold: float = 0.5  # a frame is speech from here...
    silence_threshold: float = 0.35  # ...and stays speech down to here once the user is talking (hysteresis)
    min_speech_ms: int = 96  # shorter bursts (a click, a cough) do not take the floor
    pause_ms: int = 96  # after this much silence the words so far are worth transcribing (and writing a reply to)
    partial_ms: int = 640  # while the user speaks, a partial hypothesis this often (0: none)
    complete_silence_ms: int = 384  # silence that ends an utterance whose transcript sounds complete
    endpoint_silence_ms: int = 600  # silence that ends it while the transcript has not come (never waited for)
    unfinished_extra_ms: int = 700  # more patience when the words so far sound unfinished
    # While the OS speaks the microphone also hears the speaker: only strong, sustained speech is the user.
    barge_in_threshold: float = 0.8
    duck_ms: int = 64  # strong speech that holds the OS's voice at once, provisionally...
    duck_timeout_ms: int = 192  # ...for at most this long unless the barge-in is confirmed (echo, a cough)
    barge_in_ms: int = 160  # strong speech that confirms the barge-in


class TurnTaker:
    def __init__(self, config: TurnConfig | None = None) -> None:
        self.config = config or TurnConfig()
        self.state = TurnState.LISTENING
        self._run_start: int | None = None  # start of the current voiced run (listening, os_speaking)
        self._onset: int | None = None  # while the OS speaks: where the current speech-like run began
        self._strong_ms = 0  # ...and how much of it was strong enough to be the user
        self._utterance_start = 0
        self._last_voiced_end = 0
        self._last_partial = 0  # when the latest Partial was asked for
        self._transcript = ""
        self._paused = False
        self._pause: Pause | None = None  # the pause whose transcript is awaited or in
        self._judged = False  # the pause's transcript has come: the endpoint may be judged by its words
        self._speculating = False  # a Speculate went out for the current pause
        self._ducked = False  # the OS's voice is held for the current speech-like run
        self._ducked_at = 0

    # -- inputs ---------------------------------------------------------------------------------
    def on_vad(self, now_ms: int, probability: float) -> list[Action]:
        """One frame ending at ``now_ms`` with the VAD's speech probability."""
        if self.state is TurnState.USER_SPEAKING:
            return self._while_user_speaks(now_ms, probability)
        if self.state is TurnState.OS_SPEAKING:
            return self._while_os_speaks(now_ms, probability)
        return self._while_waiting(now_ms, probability)

    def on_transcript(self, text: str, pause: Pause | None = None) -> list[Action]:
        """What the user has said so far (answering ``pause``, by default the latest); it decides how long
        the endpoint waits, and non-empty words may be speculated on."""
        if self.state is not TurnState.USER_SPEAKING or not self._paused or self._pause is None:
            return []  # stale: speech went on, or the turn is over
        if pause is not None and pause != self._pause:
            return []  # the words of an earlier pause, arriving late
        self._transcript, self._judged = text, True
        if not text.strip():
            return []
        self._speculating = True
        return [Speculate(self._pause.start_ms, self._pause.end_ms, text)]

    def reply_started(self) -> None:
        if self.state is TurnState.THINKING:
            self.state = TurnState.OS_SPEAKING
            self._run_start = self._onset = None
            self._strong_ms = 0

    def reply_finished(self) -> None:
        if self.state in (TurnState.THINKING, TurnState.OS_SPEAKING):
            self.state = TurnState.LISTENING
            self._run_start = None
            self._ducked = False

    reply_failed = reply_finished  # nothing to say (empty transcript, an error): listen again

    def endpoint_wait_ms(self) -> int:
        """Silence needed to end the turn now: short after complete-sounding words, long after unfinished
        ones, and the base silence while the pause's transcript has not come (a late one does not hold
        the turn open)."""
        if not self._judged:
            return self.config.endpoint_silence_ms
        if sounds_unfinished(self._transcript):
            return self.config.endpoint_silence_ms + self.config.unfinished_extra_ms
        return self.config.complete_silence_ms

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
        not be consecutive: real voices dip for a frame or two between syllables. The voice is ducked
        after ``duck_ms`` of them already, so the user hears it stop well before the gate decides."""
        if probability < self.config.speech_threshold:
            resume: list[Action] = [ResumePlayback()] if self._ducked else []
            self._onset, self._strong_ms, self._ducked = None, 0, False
            return resume
        if self._onset is None:
            self._onset = now_ms - self.config.frame_ms  # the softer onset is where the words began
        if probability >= self.config.barge_in_threshold:
            self._strong_ms += self.config.frame_ms
        if self._strong_ms >= self.config.barge_in_ms:
            duck: list[Action] = [] if self._ducked else [DuckPlayback(now_ms)]
            return [*duck, StopPlayback(now_ms), *self._user_takes_floor(self._onset, now_ms)]
        return self._provisional_duck(now_ms)

    def _provisional_duck(self, now_ms: int) -> list[Action]:
        """Hold the voice at the first strong frames; let it go when the gate has not confirmed a barge-in
        in time (a long run of speech-like echo with a few strong frames is not the user)."""
        if not self._ducked and self._strong_ms >= self.config.duck_ms:
            self._ducked, self._ducked_at = True, now_ms
            return [DuckPlayback(now_ms)]
        # Never shorter than the gate itself, or a slow gate (a larger barge_in_ms) could never confirm.
        timeout = max(self.config.duck_timeout_ms, self.config.barge_in_ms)
        if self._ducked and now_ms - self._ducked_at >= timeout:
            self._ducked, self._strong_ms = False, 0
            return [ResumePlayback()]
        return []

    def _while_user_speaks(self, now_ms: int, probability: float) -> list[Action]:
        if probability >= self.config.silence_threshold:
            self._last_voiced_end = now_ms
            return self._speaking_on() if self._paused else self._partial(now_ms)
        silence = now_ms - self._last_voiced_end
        if silence >= self.endpoint_wait_ms():
            self.state = TurnState.THINKING
            self._run_start = None
            speculated, self._speculating = self._speculating, False
            return [EndOfTurn(self._utterance_start, self._last_voiced_end, speculated)]
        if silence >= self.config.pause_ms and not self._paused:
            self._paused = True
            self._pause = Pause(self._utterance_start, self._last_voiced_end)
            return [self._pause]
        return []

    def _partial(self, now_ms: int) -> list[Action]:
        every = self.config.partial_ms
        if every <= 0 or now_ms - self._last_partial < every:
            return []
        self._last_partial = now_ms
        return [Partial(self._utterance_start, now_ms)]

    def _speaking_on(self) -> list[Action]:
        """Speech again after a pause: its transcript is stale, and so is anything speculated on it."""
        cancel: list[Action] = [CancelSpeculation()] if self._speculating else []
        self._transcript, self._paused, self._pause, self._judged, self._speculating = "", False, None, False, False
        return cancel

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
        self._utterance_start, self._last_voiced_end, self._last_partial = started_ms, now_ms, started_ms
        self._transcript, self._paused, self._run_start = "", False, None
        self._pause, self._judged, self._speculating, self._ducked = None, False, False, False
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
