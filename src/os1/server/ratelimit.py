"""An in-memory token bucket per key (login name + client address): slows password guessing down."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

# Forgetting full buckets past this many keys bounds the memory a flood of made-up names can take.
MAX_KEYS = 10_000


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """``capacity`` tries at once, then one more every ``1 / per_second`` seconds."""

    def __init__(self, capacity: int = 5, per_second: float = 5 / 60,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(capacity)
        self.per_second = per_second
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def allow(self, key: str) -> bool:
        """Take one try from ``key``'s bucket; False when it is empty."""
        now = self.clock()
        bucket = self._buckets.get(key) or _Bucket(self.capacity, now)
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.per_second)
        bucket.updated = now
        self._buckets[key] = bucket
        if len(self._buckets) > MAX_KEYS:
            self._forget_full(now)
        if bucket.tokens < 1:
            return False
        bucket.tokens -= 1
        return True

    def retry_after(self, key: str) -> int:
        """Whole seconds until ``key`` may try again."""
        bucket = self._buckets.get(key)
        if bucket is None or bucket.tokens >= 1:
            return 0
        return max(1, int((1 - bucket.tokens) / self.per_second + 0.999))

    def _forget_full(self, now: float) -> None:
        full = [k for k, b in self._buckets.items()
                if b.tokens + (now - b.updated) * self.per_second >= self.capacity]
        for key in full:
            del self._buckets[key]
