"""How long the server itself takes to start answering: for each text turn, the time from receiving the
user's message to sending the first delta of the reply (EVAL.md §4's "turn overhead"). Kept in memory for
the most recent turns only, as numbers with nothing of the conversation in them; `os1 serve --stats FILE`
writes them out when the server stops (bench/concurrency.py reads them)."""

from __future__ import annotations

import json
from array import array
from pathlib import Path

# The most recent turns kept: 100,000 floats are 400 KB, whatever the server's uptime.
KEPT = 100_000


class TurnTimes:
    """A ring of the last ``kept`` turn overheads, in milliseconds."""

    def __init__(self, kept: int = KEPT) -> None:
        self.kept = kept
        self._ms = array("f")
        self._next = 0  # where the next one goes once the ring is full

    def add(self, ms: float) -> None:
        if len(self._ms) < self.kept:
            self._ms.append(ms)
        else:
            self._ms[self._next] = ms
            self._next = (self._next + 1) % self.kept

    def values(self) -> list[float]:
        """Oldest first."""
        return [*self._ms[self._next:], *self._ms[: self._next]]

    def write(self, path: Path) -> None:
        path.write_text(json.dumps({"turn_overhead_ms": [round(v, 3) for v in self.values()]}))
