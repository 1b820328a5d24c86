"""The background lane: where a process runs the work no one waits for (hooks learning after a reply).

Every reply starts one job per hook. Run all at once, a busy server has hundreds of them ready at every
turn of the event loop, each taking its slice before the next user's message is even read: at 1,000
active conversations that queueing, not the work itself, was most of a reply's delay (bench/RESULTS.md).
Here at most ``width`` jobs run at a time and the rest wait their turn in order, so the work still all
gets done, a little later, while a waiting user's turn runs next.

Jobs also give way to turns: a job starts only once no turn is in its prelude (the user's message stored,
memory recalled, the prompt built, until the first delta of the reply), or once it has waited
``max_defer_s`` since it was queued, whichever comes first. A user's turn then waits behind other users'
turns, not behind the learning from them; under a load the machine cannot keep up with, jobs age past
``max_defer_s`` and run in order as before, so none waits for ever.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any

# Jobs of one process running at once. More than one, so a job waiting on the model (fact extraction,
# reflection) does not hold up the cheap ones (mood, break reminders) behind it.
DEFAULT_WIDTH = 2
# The longest a job gives way to turns, counted from when it was queued.
MAX_DEFER_S = 1.0


class Prelude:
    """One turn's prelude, as the lane counts it; ``end`` it at the first delta (more calls do nothing)."""

    __slots__ = ("_idle", "_lane")

    def __init__(self, lane: BackgroundLane, idle: asyncio.Event) -> None:
        self._lane: BackgroundLane | None = lane
        self._idle = idle  # the loop's flag it was counted on

    def end(self) -> None:
        if self._lane is not None:
            self._lane._prelude_ended(self._idle)
            self._lane = None


class BackgroundLane:
    """Runs jobs at most ``width`` at a time, first come first served, giving way to turns' preludes."""

    def __init__(self, width: int = DEFAULT_WIDTH, max_defer_s: float = MAX_DEFER_S) -> None:
        if width < 1:
            raise ValueError("a background lane needs a width of at least 1")
        self.width = width
        self.max_defer_s = max_defer_s
        self._preludes = 0
        self._gate: asyncio.Semaphore | None = None
        self._idle: asyncio.Event | None = None  # set while no turn is in its prelude
        self._loop: asyncio.AbstractEventLoop | None = None

    def prelude(self) -> Prelude:
        """Count a turn as in its prelude until the returned object's ``end``."""
        _, idle = self._here()
        self._preludes += 1
        idle.clear()
        return Prelude(self, idle)

    async def run(self, job: Coroutine[Any, Any, None]) -> None:
        """Wait for a place in the lane and for the turns' preludes (at most ``max_defer_s`` from now), then
        run ``job``; cancelled before its turn, it never starts."""
        gate, idle = self._here()
        loop = asyncio.get_running_loop()
        latest = loop.time() + self.max_defer_s
        try:
            await gate.acquire()
        except BaseException:
            job.close()  # so it is not reported as never awaited
            raise
        try:
            await _wait_until(idle, latest - loop.time())
            await job
        finally:
            job.close()  # a no-op once awaited; closes it when cancelled while giving way
            gate.release()

    def _prelude_ended(self, idle: asyncio.Event) -> None:
        if idle is not self._idle:  # counted on an event loop that is gone
            return
        self._preludes -= 1
        if self._preludes == 0:
            idle.set()

    def _here(self) -> tuple[asyncio.Semaphore, asyncio.Event]:
        """The gate and idle flag of the running event loop (they belong to one loop; tests run several)."""
        loop = asyncio.get_running_loop()
        if self._gate is None or self._idle is None or self._loop is not loop:
            self._gate, self._idle, self._loop = asyncio.Semaphore(self.width), asyncio.Event(), loop
            self._preludes = 0
            self._idle.set()
        return self._gate, self._idle


async def _wait_until(idle: asyncio.Event, timeout: float) -> None:
    if idle.is_set() or timeout <= 0:
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(idle.wait(), timeout)
