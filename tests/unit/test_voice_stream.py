"""The playback buffer, frame re-blocking and the wall-clock sound card, on a fake clock."""

from __future__ import annotations

import contextlib

import numpy as np

from os1.engine.paced import PacedMicrophone, PacedOutput
from os1.voice.stream import FrameBlocker, PlaybackBuffer


class Enough(Exception):
    """Ends a loop that would run forever."""


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def ramp(n: int, start: int = 0) -> np.ndarray:
    return np.arange(start, start + n, dtype=np.float32)


def test_the_buffer_plays_in_order_across_writes_and_pads_an_underrun_with_silence() -> None:
    clock = FakeClock()
    buffer = PlaybackBuffer(16_000, clock=clock)
    buffer.write(ramp(3, 1))
    buffer.write(ramp(2, 4))
    assert buffer.pull(2).tolist() == [1, 2]
    assert buffer.first_played_at == 100.0
    clock.now = 101.0
    assert buffer.pull(5).tolist() == [3, 4, 5, 0, 0]
    assert (buffer.played, buffer.pending, buffer.first_played_at) == (5, 0, 100.0)


def test_stop_drops_what_is_queued_and_counts_the_next_reply_afresh() -> None:
    clock = FakeClock()
    buffer = PlaybackBuffer(16_000, clock=clock)
    buffer.write(ramp(10, 1))
    buffer.pull(4)
    clock.now = 102.0
    assert buffer.stop() == 4
    assert (buffer.pending, buffer.played, buffer.stopped_at) == (0, 0, 102.0)
    assert buffer.pull(3).tolist() == [0, 0, 0]
    buffer.write(ramp(2, 7))
    clock.now = 103.0
    assert buffer.pull(2).tolist() == [7, 8]
    assert buffer.first_played_at == 103.0


def test_frames_come_out_whole_whatever_the_chunk_size() -> None:
    blocker = FrameBlocker(4)
    assert blocker.push(ramp(3)) == []
    frames = blocker.push(ramp(6, 3))
    assert [f.tolist() for f in frames] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert [f.tolist() for f in blocker.push(ramp(3, 9))] == [[8, 9, 10, 11]]


async def test_the_microphone_delivers_on_time_and_tells_where_a_recording_starts() -> None:
    clock = FakeClock()
    mic = PacedMicrophone(rate=1000, chunk_ms=10, clock=clock, sleep=clock.sleep)  # 10 samples a chunk
    got = []
    started = None
    async for chunk in mic.chunks():
        got.append(chunk.tolist())
        if len(got) == 1:
            started = mic.say(ramp(15, 1))
        if len(got) == 4:
            mic.close()
    assert clock.sleeps == [0.01, 0.01, 0.01, 0.01]  # each chunk once its last sample was "captured"
    assert got[0] == [0] * 10 and got[1] == list(range(1, 11)) and got[2] == [*range(11, 16), 0, 0, 0, 0, 0]
    assert started is not None and started.result() == 10
    assert mic.time_of(10) == 100.01


async def test_a_late_microphone_catches_up_instead_of_stretching_time() -> None:
    clock = FakeClock()
    mic = PacedMicrophone(rate=1000, chunk_ms=10, clock=clock, sleep=clock.sleep)
    count = 0
    async for _ in mic.chunks():
        count += 1
        if count == 1:
            clock.now += 0.035  # the consumer was busy for three and a half chunks
        if count == 5:
            mic.close()
    assert clock.sleeps == [0.01, 0.0, 0.0, 0.0, 0.005]


async def test_the_output_takes_one_block_per_block_of_time() -> None:
    clock = FakeClock()
    buffer = PlaybackBuffer(1000, clock=clock)
    buffer.write(ramp(25, 1))
    output = PacedOutput(buffer, block_ms=10, clock=clock, sleep=clock.sleep)

    async def stop_after_three(seconds: float) -> None:
        await clock.sleep(seconds)
        if output.blocks == 3:
            raise Enough

    output._sleep = stop_after_three
    with contextlib.suppress(Enough):
        await output.run()
    assert (buffer.played, buffer.pending) == (25, 0)
    assert clock.sleeps == [0.01, 0.01, 0.01]


def test_hold_fades_out_keeps_the_rest_and_release_goes_on_where_it_stopped() -> None:
    buffer = PlaybackBuffer(1000, clock=FakeClock())  # 5 ms of fade = 5 samples
    buffer.write(np.ones(40, np.float32))
    buffer.pull(10)
    buffer.hold()
    faded = buffer.pull(10)
    assert faded[:5].tolist() == [1.0, 0.75, 0.5, 0.25, 0.0] and not faded[5:].any()
    assert buffer.held_at == 100.0
    assert not buffer.pull(10).any() and buffer.pending == 25  # held: nothing is lost
    buffer.release()
    resumed = buffer.pull(10)
    assert resumed[0] == 0.0 and resumed[5:].tolist() == [1.0] * 5 and buffer.played == 25
    assert buffer.held_at is None


def test_stop_while_held_counts_only_what_was_heard() -> None:
    buffer = PlaybackBuffer(1000, clock=FakeClock())
    buffer.write(np.ones(40, np.float32))
    buffer.pull(10)
    buffer.hold()
    buffer.pull(10)
    assert buffer.stop() == 15
    buffer.write(np.ones(4, np.float32))
    assert buffer.pull(4).tolist() == [1.0] * 4  # the next reply is not held
