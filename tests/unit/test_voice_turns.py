"""The turn-taking state machine: every transition, endpointing by silence, the semantic wait, barge-in."""

from __future__ import annotations

import itertools

import pytest

from os1.voice.playback import PlaybackLedger
from os1.voice.turns import (
    Action,
    CancelReply,
    CancelSpeculation,
    DuckPlayback,
    EndOfTurn,
    Partial,
    Pause,
    ResumePlayback,
    Speculate,
    StopPlayback,
    TurnConfig,
    TurnState,
    TurnTaker,
    UserStarted,
    sounds_unfinished,
)

CONFIG = TurnConfig()
FRAME = CONFIG.frame_ms


def state(taker: TurnTaker) -> TurnState:
    """Read through a call, so the type checker does not narrow the state across the machine's inputs."""
    return taker.state


class Clock:
    """Feeds the machine frames on a simulated timeline and collects every action with its time."""

    def __init__(self, taker: TurnTaker) -> None:
        self.taker = taker
        self.now = 0
        self.actions: list[tuple[int, Action]] = []

    def feed(self, probability: float, ms: int) -> list[Action]:
        got: list[Action] = []
        for _ in range(ms // FRAME):
            self.now += FRAME
            for action in self.taker.on_vad(self.now, probability):
                self.actions.append((self.now, action))
                got.append(action)
        return got


def speaking_user() -> tuple[TurnTaker, Clock]:
    taker = TurnTaker(CONFIG)
    clock = Clock(taker)
    clock.feed(0.0, 320)
    clock.feed(0.9, 640)
    assert state(taker) is TurnState.USER_SPEAKING
    return taker, clock


def os_speaking() -> tuple[TurnTaker, Clock]:
    taker, clock = speaking_user()
    clock.feed(0.0, 1000)
    assert state(taker) is TurnState.THINKING
    taker.reply_started()
    assert state(taker) is TurnState.OS_SPEAKING
    return taker, clock


def test_starts_listening_and_silence_changes_nothing() -> None:
    taker = TurnTaker(CONFIG)
    assert state(taker) is TurnState.LISTENING
    assert Clock(taker).feed(0.1, 2000) == []
    assert state(taker) is TurnState.LISTENING


def test_speech_takes_the_floor_from_its_first_frame() -> None:
    taker = TurnTaker(CONFIG)
    clock = Clock(taker)
    clock.feed(0.0, 320)
    actions = clock.feed(0.9, 160)
    assert actions == [UserStarted(at_ms=320)]
    assert state(taker) is TurnState.USER_SPEAKING


def test_a_click_shorter_than_min_speech_is_ignored() -> None:
    taker = TurnTaker(CONFIG)
    clock = Clock(taker)
    clock.feed(0.9, FRAME * 2)  # 64 ms < 96 ms
    clock.feed(0.0, 320)
    assert clock.actions == []
    assert state(taker) is TurnState.LISTENING


def test_endpoint_after_the_silence_with_the_utterance_bounds() -> None:
    taker, clock = speaking_user()
    spoke_until = clock.now
    frames = -(-CONFIG.endpoint_silence_ms // FRAME)  # the first frame that completes the silence
    clock.feed(0.0, (frames - 1) * FRAME)
    assert state(taker) is TurnState.USER_SPEAKING
    assert clock.feed(0.0, FRAME) == [EndOfTurn(start_ms=320, end_ms=spoke_until)]
    assert state(taker) is TurnState.THINKING
    assert [t for t, a in clock.actions if isinstance(a, EndOfTurn)] == [spoke_until + frames * FRAME]


def test_a_pause_asks_for_the_transcript_once_before_the_endpoint() -> None:
    _, clock = speaking_user()
    clock.feed(0.0, CONFIG.endpoint_silence_ms)
    pauses = [(t, a) for t, a in clock.actions if isinstance(a, Pause)]
    assert len(pauses) == 1
    assert pauses[0][0] - 960 == CONFIG.pause_ms
    assert pauses[0][1] == Pause(start_ms=320, end_ms=960)


def test_hysteresis_keeps_a_weak_frame_inside_the_utterance() -> None:
    taker, clock = speaking_user()
    clock.feed(0.4, 2000)  # below the start threshold, above the silence threshold
    assert state(taker) is TurnState.USER_SPEAKING
    assert not any(isinstance(a, EndOfTurn) for _, a in clock.actions)


def test_unfinished_words_make_the_endpoint_wait_longer() -> None:
    taker, clock = speaking_user()
    clock.feed(0.0, CONFIG.pause_ms + FRAME)
    taker.on_transcript("I went to the shop because")
    assert taker.endpoint_wait_ms() == CONFIG.endpoint_silence_ms + CONFIG.unfinished_extra_ms
    clock.feed(0.0, CONFIG.endpoint_silence_ms)
    assert state(taker) is TurnState.USER_SPEAKING  # a complete-sounding utterance would have ended by now
    clock.feed(0.0, CONFIG.unfinished_extra_ms)
    assert state(taker) is TurnState.THINKING


def test_a_finished_sentence_ends_at_the_short_silence() -> None:
    taker, clock = speaking_user()
    clock.feed(0.0, CONFIG.pause_ms + FRAME)
    taker.on_transcript("I went to the shop.")
    assert taker.endpoint_wait_ms() == CONFIG.complete_silence_ms < CONFIG.endpoint_silence_ms
    clock.feed(0.0, CONFIG.complete_silence_ms - CONFIG.pause_ms - FRAME)
    assert state(taker) is TurnState.THINKING
    ends = [t for t, a in clock.actions if isinstance(a, EndOfTurn)]
    assert ends == [960 + -(-CONFIG.complete_silence_ms // FRAME) * FRAME]  # not a frame later than needed


def test_a_late_transcript_does_not_hold_the_turn_open() -> None:
    taker, clock = speaking_user()
    clock.feed(0.0, CONFIG.endpoint_silence_ms + FRAME)  # the pause's transcript never came
    assert state(taker) is TurnState.THINKING
    assert [a for _, a in clock.actions if isinstance(a, EndOfTurn)] == [EndOfTurn(320, 960, speculated=False)]


def test_a_complete_transcript_arriving_after_the_short_silence_ends_the_turn_at_the_next_frame() -> None:
    taker, clock = speaking_user()
    clock.feed(0.0, CONFIG.complete_silence_ms + 2 * FRAME)  # still waiting: no words to judge yet
    assert state(taker) is TurnState.USER_SPEAKING
    taker.on_transcript("That sounds good.")
    assert clock.feed(0.0, FRAME) == [EndOfTurn(320, 960, speculated=True)]


def test_speaking_again_after_a_pause_drops_the_stale_transcript() -> None:
    taker, clock = speaking_user()
    clock.feed(0.0, CONFIG.pause_ms + FRAME)
    taker.on_transcript("and then")
    clock.feed(0.9, 320)
    assert taker.endpoint_wait_ms() == CONFIG.endpoint_silence_ms
    taker.on_transcript("too late")  # no pause asked for it: ignored
    assert taker.endpoint_wait_ms() == CONFIG.endpoint_silence_ms


def test_reply_started_then_finished_returns_to_listening() -> None:
    taker, _ = os_speaking()
    taker.reply_finished()
    assert state(taker) is TurnState.LISTENING


def test_reply_failed_while_thinking_returns_to_listening() -> None:
    taker, clock = speaking_user()
    clock.feed(0.0, 1000)
    taker.reply_failed()
    assert state(taker) is TurnState.LISTENING


def test_speech_while_thinking_cancels_the_reply() -> None:
    taker, clock = speaking_user()
    clock.feed(0.0, 1000)
    start = clock.now
    actions = clock.feed(0.9, 160)
    assert actions == [CancelReply(), UserStarted(at_ms=start)]
    assert state(taker) is TurnState.USER_SPEAKING


def test_the_os_own_voice_does_not_interrupt_it() -> None:
    taker, clock = os_speaking()
    clock.feed(0.7, 3000)  # echo: speech-like but below the barge-in level
    clock.feed(0.95, CONFIG.barge_in_ms - FRAME)  # strong but too short
    clock.feed(0.0, 100)
    assert state(taker) is TurnState.OS_SPEAKING
    assert not any(isinstance(a, StopPlayback) for _, a in clock.actions)


def test_barge_in_stops_playback_when_strong_speech_lasts() -> None:
    taker, clock = os_speaking()
    clock.feed(0.0, 500)
    onset = clock.now
    clock.feed(0.6, 2 * FRAME)  # the soft onset of the user's words
    actions = clock.feed(0.95, CONFIG.barge_in_ms)
    ducked = onset + 2 * FRAME + CONFIG.duck_ms
    assert actions == [DuckPlayback(at_ms=ducked), StopPlayback(at_ms=clock.now), UserStarted(at_ms=onset)]
    assert state(taker) is TurnState.USER_SPEAKING
    clock.feed(0.0, 1000)
    ends = [a for _, a in clock.actions if isinstance(a, EndOfTurn)]
    assert ends[-1].start_ms == onset


def test_barge_in_survives_a_dip_between_syllables_but_not_a_pause() -> None:
    taker, clock = os_speaking()
    clock.feed(0.9, CONFIG.barge_in_ms - FRAME)
    clock.feed(0.6, FRAME)  # a weaker frame inside the word: the run goes on, it just does not count
    assert state(taker) is TurnState.OS_SPEAKING
    assert clock.feed(0.9, FRAME)[0] == StopPlayback(at_ms=clock.now)
    taker, clock = os_speaking()
    clock.feed(0.9, CONFIG.barge_in_ms - FRAME)
    clock.feed(0.1, FRAME)  # silence: the run is over and its strong frames are forgotten
    clock.feed(0.9, CONFIG.barge_in_ms - FRAME)
    assert state(taker) is TurnState.OS_SPEAKING


def test_barge_in_truncation_point_is_what_was_played() -> None:
    ledger = PlaybackLedger()
    ledger.add("Mercury is the closest planet.", 1000)
    ledger.add("Venus is the hottest one of all.", 1400)
    assert ledger.heard(0) == ""
    assert ledger.heard(199) == ""  # under a word's share of the first chunk
    assert ledger.heard(500) == "Mercury is"
    assert ledger.heard(1000) == "Mercury is the closest planet."
    assert ledger.heard(1000 + 700) == "Mercury is the closest planet. Venus is the"
    assert ledger.heard(10_000) == "Mercury is the closest planet. Venus is the hottest one of all."


@pytest.mark.parametrize(("text", "unfinished"), [
    ("I went to the store and", True),
    ("I went to the store and.", True),
    ("but", True),
    ("I need it because", True),
    ("Could you give me the", True),
    ("Well, I was thinking,", True),
    ("So I said...", True),
    ("so I said", True),
    ("I went to the store.", False),
    ("What time is it?", False),
    ("That's great!", False),
    ("", False),
])
def test_sounds_unfinished(text: str, unfinished: bool) -> None:
    assert sounds_unfinished(text) is unfinished


# -- speculation ----------------------------------------------------------------------------------------------
def paused_user() -> tuple[TurnTaker, Clock, Pause]:
    taker, clock = speaking_user()
    clock.feed(0.0, CONFIG.pause_ms + FRAME)
    pauses = [a for _, a in clock.actions if isinstance(a, Pause)]
    assert len(pauses) == 1
    return taker, clock, pauses[0]


def test_the_pause_transcript_starts_a_speculation() -> None:
    taker, _, pause = paused_user()
    assert taker.on_transcript("How are you?", pause) == [Speculate(320, 960, "How are you?")]


def test_nothing_heard_at_the_pause_is_not_speculated_on() -> None:
    taker, _, pause = paused_user()
    assert taker.on_transcript("  ", pause) == []


def test_speaking_on_cancels_the_speculation() -> None:
    taker, clock, pause = paused_user()
    taker.on_transcript("My sister is coming.", pause)
    assert clock.feed(0.9, FRAME) == [CancelSpeculation()]
    assert taker.endpoint_wait_ms() == CONFIG.endpoint_silence_ms  # the words are no longer judged
    clock.feed(0.0, CONFIG.endpoint_silence_ms)
    clock.feed(0.0, FRAME)
    assert [a for _, a in clock.actions if isinstance(a, EndOfTurn)][-1].speculated is False


def test_speaking_on_without_a_speculation_cancels_nothing() -> None:
    _, clock, _ = paused_user()
    assert clock.feed(0.9, FRAME) == []


def test_the_endpoint_confirms_the_speculation() -> None:
    taker, clock, pause = paused_user()
    taker.on_transcript("I had a long day.", pause)
    clock.feed(0.0, CONFIG.complete_silence_ms)
    assert [a for _, a in clock.actions if isinstance(a, EndOfTurn)] == [EndOfTurn(320, 960, speculated=True)]


def test_an_earlier_pause_transcript_arriving_late_is_ignored() -> None:
    taker, clock, old = paused_user()
    clock.feed(0.9, 320)
    clock.feed(0.0, CONFIG.pause_ms + FRAME)
    assert taker.on_transcript("My sister", old) == []
    assert taker.endpoint_wait_ms() == CONFIG.endpoint_silence_ms
    current = [a for _, a in clock.actions if isinstance(a, Pause)][-1]
    assert taker.on_transcript("My sister is here.", current) == [Speculate(320, current.end_ms, "My sister is here.")]


def test_a_transcript_after_the_turn_ended_is_ignored() -> None:
    taker, clock, pause = paused_user()
    clock.feed(0.0, CONFIG.endpoint_silence_ms + FRAME)
    assert state(taker) is TurnState.THINKING
    assert taker.on_transcript("Too late.", pause) == []


# -- provisional barge-in -------------------------------------------------------------------------------------
def test_strong_speech_ducks_the_voice_before_the_gate_decides() -> None:
    taker, clock = os_speaking()
    assert clock.feed(0.95, CONFIG.duck_ms) == [DuckPlayback(at_ms=clock.now)]
    assert state(taker) is TurnState.OS_SPEAKING
    assert clock.feed(0.95, FRAME) == []  # held once, not again


def test_a_short_burst_ducks_then_resumes_without_a_barge_in() -> None:
    taker, clock = os_speaking()
    clock.feed(0.95, CONFIG.barge_in_ms - FRAME)
    assert clock.feed(0.1, FRAME) == [ResumePlayback()]
    assert state(taker) is TurnState.OS_SPEAKING
    assert not any(isinstance(a, StopPlayback) for _, a in clock.actions)
    assert clock.feed(0.1, FRAME) == []  # resumed once


def test_echo_below_the_barge_in_level_never_ducks() -> None:
    taker, clock = os_speaking()
    assert clock.feed(0.7, 2000) == []
    assert state(taker) is TurnState.OS_SPEAKING


def test_a_finished_reply_forgets_the_duck() -> None:
    taker, clock = os_speaking()
    clock.feed(0.95, CONFIG.duck_ms)
    taker.reply_finished()
    assert state(taker) is TurnState.LISTENING
    assert clock.feed(0.0, FRAME) == []  # no ResumePlayback for a reply that is over


def test_a_duck_not_confirmed_in_time_resumes_even_while_speech_like_echo_goes_on() -> None:
    taker, clock = os_speaking()
    clock.feed(0.95, CONFIG.duck_ms)
    ducked = clock.now
    clock.feed(0.6, CONFIG.duck_timeout_ms - FRAME)  # speech-like, never strong: most likely echo
    assert clock.actions[-1] == (ducked, DuckPlayback(at_ms=ducked))
    assert clock.feed(0.6, FRAME) == [ResumePlayback()]
    assert clock.feed(0.95, CONFIG.duck_ms) == [DuckPlayback(at_ms=clock.now)]  # counted afresh
    assert state(taker) is TurnState.OS_SPEAKING


def test_a_slow_gate_still_confirms_a_barge_in_after_the_duck() -> None:
    taker, clock = os_speaking()
    taker.config = TurnConfig(barge_in_ms=CONFIG.duck_timeout_ms * 2)
    actions = clock.feed(0.95, taker.config.barge_in_ms)
    assert [type(a) for a in actions] == [DuckPlayback, StopPlayback, UserStarted]


def partials(clock: Clock) -> list[tuple[int, Partial]]:
    return [(t, a) for t, a in clock.actions if isinstance(a, Partial)]


def test_long_speech_asks_for_partial_words_at_a_steady_pace() -> None:
    _, clock = speaking_user()  # speech from 320 ms
    clock.feed(0.9, 2000)
    got = partials(clock)
    assert [a.start_ms for _, a in got] == [320] * len(got)
    assert [a.end_ms for _, a in got] == [t for t, _ in got]  # up to the frame that asked
    gaps = [b - a for (a, _), (b, _) in itertools.pairwise(got)]
    assert len(got) >= 3 and all(CONFIG.partial_ms <= g < CONFIG.partial_ms + FRAME for g in gaps)
    assert got[0][0] - 320 >= CONFIG.partial_ms


def test_no_partials_in_silence_or_while_the_os_speaks() -> None:
    taker, clock = os_speaking()
    before = len(partials(clock))
    clock.feed(0.0, 2000)
    clock.feed(0.6, 2000)  # the OS's own voice coming back: weak, never the user
    assert len(partials(clock)) == before
    assert state(taker) is TurnState.OS_SPEAKING


def test_partials_can_be_turned_off() -> None:
    taker = TurnTaker(TurnConfig(partial_ms=0))
    clock = Clock(taker)
    clock.feed(0.9, 3000)
    assert state(taker) is TurnState.USER_SPEAKING and partials(clock) == []


def test_a_new_utterance_counts_its_partials_from_its_own_start() -> None:
    taker, clock = speaking_user()
    clock.feed(0.0, 1000)  # endpoint
    taker.reply_failed()
    clock.feed(0.9, CONFIG.partial_ms + 2 * FRAME)
    last = partials(clock)[-1][1]
    assert last.start_ms > 960 and last.end_ms - last.start_ms >= CONFIG.partial_ms
