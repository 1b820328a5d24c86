"""The background lane: after-reply work runs a few jobs at a time, in order, and all of it gets done."""

from __future__ import annotations

import asyncio

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
