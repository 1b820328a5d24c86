"""Python's garbage collector in a server holding thousands of connections.

A full collection scans every tracked object, and each open WebSocket keeps dozens alive (its protocol,
tasks, coroutine frames): at 10,000 connections one full collection paused the event loop for up to 0.47 s,
in the middle of other users' replies (bench/RESULTS.md). What survives a full collection (connections,
Sessions, caches) mostly lives on, so after each one it is frozen: later full collections scan only what
is newer. Frozen objects are never reclaimed, even when they become garbage in a cycle (a closed
connection's), so every ``THAW_EVERY_S`` the next full collection is let to see everything again.
"""

from __future__ import annotations

import gc
import time
from typing import Any

FULL = 2  # the oldest generation: a collection of it is a full one
THAW_EVERY_S = 600.0


class FreezeSurvivors:
    """A ``gc.callbacks`` entry: freeze after each full collection, thaw every ``thaw_every_s``."""

    def __init__(self, thaw_every_s: float = THAW_EVERY_S) -> None:
        self.thaw_every_s = thaw_every_s
        self._thawed_at = time.monotonic()

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase != "stop" or info.get("generation") != FULL:
            return
        now = time.monotonic()
        if now - self._thawed_at >= self.thaw_every_s:
            self._thawed_at = now
            gc.unfreeze()  # the next full collection scans (and reclaims among) everything
        else:
            gc.freeze()


def install(thaw_every_s: float = THAW_EVERY_S) -> FreezeSurvivors:
    """Freeze what start-up loaded (none of it becomes garbage), then each full collection's survivors."""
    gc.collect()
    gc.freeze()
    hook = FreezeSurvivors(thaw_every_s)
    gc.callbacks.append(hook)
    return hook
