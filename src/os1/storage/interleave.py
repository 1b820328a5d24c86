"""Helpers that every store backend shares: logic over rows, no database of its own."""

from __future__ import annotations


def interleave_by_entity(pairs: list[tuple[str, str]], limit: int) -> list[tuple[str, str]]:
    """(item id, entity) pairs taken from each entity in turn, so one much-mentioned name does not crowd out
    the others; at most ``limit``."""
    by_entity: dict[str, list[tuple[str, str]]] = {}
    for pair in pairs:
        by_entity.setdefault(pair[1], []).append(pair)
    out: list[tuple[str, str]] = []
    queues = list(by_entity.values())
    while queues and len(out) < limit:
        queues = [q for q in queues if q]
        for q in queues:
            if len(out) < limit:
                out.append(q.pop(0))
    return out
