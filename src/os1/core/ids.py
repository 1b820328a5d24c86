"""Prefixed, sortable ids: ``msg_01J...``. The ULID part sorts by creation time."""

from __future__ import annotations

from ulid import ULID


def new_id(prefix: str) -> str:
    """A new id such as ``msg_01JB8...``; ids made later sort after ids made earlier."""
    return f"{prefix}_{ULID()}"


def id_prefix(value: str) -> str:
    """The prefix of an id (``msg`` for ``msg_01J...``); empty when there is none."""
    head, sep, _ = value.partition("_")
    return head if sep else ""
