"""Prefixed, sortable ids: ``msg_01J...``. The ULID part sorts by creation time."""

from __future__ import annotations

import threading

from ulid import ULID

_lock = threading.Lock()
_last = 0


def new_id(prefix: str) -> str:
    """A new id such as ``msg_01JB8...``; within a process, ids made later sort after ids made earlier.

    A plain ULID is random within its millisecond, so two made in the same one may sort either way; like
    the ULID spec's monotonic mode, an id that would not sort after the last one is the last one plus one.
    """
    global _last
    with _lock:
        value = max(int(ULID()), _last + 1)
        _last = value
    return f"{prefix}_{ULID.from_int(value)}"


def id_prefix(value: str) -> str:
    """The prefix of an id (``msg`` for ``msg_01J...``); empty when there is none."""
    head, sep, _ = value.partition("_")
    return head if sep else ""
