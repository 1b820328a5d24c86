"""The background lane: where a process runs the work no one waits for (hooks learning after a reply).

Every reply starts one job per hook. Run all at once, a busy server has hundreds of them ready at every
turn of the event loop, each taking its slice before the next user's message is even read: at 1,000
active conversations that queueing, not the work itself, was most of a reply's delay (bench/RESULTS.md).
Here at most ``width`` jobs run at a time and the rest wait their turn in order, so the work still all
gets done, a little later, while a waiting user's turn runs next.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

# Jobs of one process running at once. More than one, so a job waiting on the model (fact extraction,
# reflection) does not hold up the cheap ones (mood, break reminders) behind it.
DEFAULT_WIDTH = 2


class BackgroundLane:
    """Runs jobs at most ``width`` at a time, first come first served."""

    def __init__(self, width: int = DEFAULT_WIDTH) -> None:
        if width < 1:
            raise ValueError("a background lane needs a width of at least 1")
        self.width = width
        self._gate: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def run(self, job: Coroutine[Any, Any, None]) -> None:
        """Wait for a place in the lane, then run ``job``; cancelled before its turn, it never starts."""
        gate = self._gate_here()
        try:
            await gate.acquire()
        except BaseException:
            job.close()  # so it is not reported as never awaited
            raise
        try:
            await job
        finally:
            gate.release()

    def _gate_here(self) -> asyncio.Semaphore:
        """The gate of the running event loop (a semaphore belongs to one loop; tests run several)."""
        loop = asyncio.get_running_loop()
        if self._gate is None or self._loop is not loop:
            self._gate, self._loop = asyncio.Semaphore(self.width), loop
        return self._gate
