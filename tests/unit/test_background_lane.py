"""The background lane: after-reply work runs a few jobs at a time, in order, and all of it gets done."""

from __future__ import annotations

import asyncio
import time

import pytest

from os1.engine.background import BackgroundLane


async def test_at_most_width_jobs_run_at_once_and_they_start_in_order() -> None:
    lane = BackgroundLane(width=2)
    running, most, started = 0, 0, []
    release = asyncio.Event()

    async def job(n: int) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        started.append(n)
        await release.wait()
        running -= 1

    tasks = [asyncio.create_task(lane.run(job(n))) for n in range(6)]
    await asyncio.sleep(0.01)
    assert started == [0, 1]  # the others wait their turn
    release.set()
    await asyncio.gather(*tasks)
    assert started == list(range(6)) and most == 2


async def test_a_job_cancelled_before_its_turn_never_starts_and_is_not_left_unawaited() -> None:
    lane = BackgroundLane(width=1)
    hold = asyncio.Event()
    ran = []

    async def job(n: int) -> None:
        ran.append(n)
        await hold.wait()

    first = asyncio.create_task(lane.run(job(1)))
    waiting = job(2)
    second = asyncio.create_task(lane.run(waiting))
    await asyncio.sleep(0.01)
    second.cancel()
    await asyncio.gather(second, return_exceptions=True)
    assert waiting.cr_frame is None  # closed, not dropped unstarted ("coroutine ... was never awaited")
    hold.set()
    await first
    assert ran == [1]
    third = asyncio.create_task(lane.run(job(3)))  # the cancelled one gave its place back
    await asyncio.wait_for(third, 1)
    assert ran == [1, 3]


def test_each_event_loop_gets_its_own_gate() -> None:
    lane = BackgroundLane(width=1)

    async def noop() -> None:
        await asyncio.sleep(0)

    asyncio.run(lane.run(noop()))
    asyncio.run(lane.run(noop()))  # a semaphore of the first loop would refuse the second


def test_a_lane_needs_room_for_one_job() -> None:
    with pytest.raises(ValueError):
        BackgroundLane(width=0)


async def test_jobs_give_way_to_turns_in_their_prelude_until_it_ends() -> None:
    lane = BackgroundLane(width=2, max_defer_s=5.0)
    ran = []

    async def job() -> None:
        ran.append("job")

    prelude = lane.prelude()
    task = asyncio.create_task(lane.run(job()))
    await asyncio.sleep(0.05)
    assert ran == []  # a turn is before its first delta: the learning waits
    prelude.end()
    prelude.end()  # ending twice counts once
    await asyncio.wait_for(task, 1)
    assert ran == ["job"]


async def test_a_job_waits_for_the_last_of_several_preludes() -> None:
    lane = BackgroundLane(width=1, max_defer_s=5.0)
    ran = []

    async def job() -> None:
        ran.append("job")

    first, second = lane.prelude(), lane.prelude()
    task = asyncio.create_task(lane.run(job()))
    first.end()
    await asyncio.sleep(0.05)
    assert ran == []
    second.end()
    await asyncio.wait_for(task, 1)
    assert ran == ["job"]


async def test_a_job_runs_anyway_once_it_has_waited_max_defer_since_it_was_queued() -> None:
    lane = BackgroundLane(width=1, max_defer_s=0.1)
    ran = []

    async def job() -> None:
        ran.append("job")

    lane.prelude()  # a turn that never reaches its first delta (a slow model) must not starve the lane
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.wait_for(lane.run(job()), 2)
    assert ran == ["job"] and 0.08 <= loop.time() - started < 1.5


def test_a_prelude_of_a_finished_event_loop_does_not_count_in_the_next() -> None:
    lane = BackgroundLane(width=1, max_defer_s=5.0)
    left: list[object] = []

    async def start_a_turn() -> None:
        left.append(lane.prelude())  # never ended in this loop

    async def noop() -> None:
        await asyncio.sleep(0)

    asyncio.run(start_a_turn())
    started = time.monotonic()
    asyncio.run(lane.run(noop()))  # the new loop has no turn in its prelude: no waiting
    assert time.monotonic() - started < 1.0
