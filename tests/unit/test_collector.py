"""The server's garbage-collector tuning: survivors of a full collection are frozen, and thawed again
every so often so that garbage among them is reclaimed."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from os1.server.collector import FreezeSurvivors


@pytest.fixture
def hooked() -> Iterator[None]:
    """Whatever a test adds to the collector's callbacks, and whatever it freezes, is undone after it."""
    callbacks = list(gc.callbacks)
    yield
    gc.callbacks[:] = callbacks
    gc.unfreeze()


def test_what_survives_a_full_collection_is_frozen_but_young_collections_freeze_nothing(
    hooked: None,
) -> None:
    gc.unfreeze()
    hook = FreezeSurvivors(thaw_every_s=3600)
    gc.callbacks.append(hook)
    gc.collect(0)
    assert gc.get_freeze_count() == 0
    kept = [object() for _ in range(10)], {"a": []}
    gc.collect()
    assert gc.get_freeze_count() > 0 and kept


def test_a_full_collection_after_the_thaw_interval_unfreezes_everything_so_cycles_are_reclaimed(
    hooked: None,
) -> None:
    hook = FreezeSurvivors(thaw_every_s=3600)
    gc.callbacks.append(hook)
    gc.collect()
    assert gc.get_freeze_count() > 0
    node = _Node()
    node.me = node  # a cycle: only the collector can reclaim it
    gone = weakref.ref(node)
    gc.collect()  # it survives (still referenced) and is frozen with the rest
    del node
    gc.collect()
    assert gone() is not None  # frozen garbage stays
    hook.thaw_every_s = 0.0
    gc.collect()  # this one thaws ...
    assert gc.get_freeze_count() == 0
    gc.collect()  # ... and the next one reclaims it
    assert gone() is None


class _Node:
    me: object = None
