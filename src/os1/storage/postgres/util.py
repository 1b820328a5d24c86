"""Helpers shared by the PostgreSQL repositories."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime


def now_utc() -> datetime:
    return datetime.now(UTC)


def lock_key(name: str) -> int:
    """A stable 32-bit key for ``pg_advisory_xact_lock`` (Python's hash() differs between processes)."""
    return zlib.crc32(name.encode())
