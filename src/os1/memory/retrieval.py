"""Recall scoring: how keyword, vector, entity, time, recency and importance evidence combine.

Pure functions over candidates gathered by ``Memory.recall``; no I/O, so the ranking can be tested and
tuned on its own. Each signal is scaled to [0, 1] within the query before weighting: BM25 and cosine
live on different scales, and plain reciprocal-rank fusion of the two lost to BM25 alone on LoCoMo
(EVAL.md), so the fusion is score-based with weights chosen by measurement (bench/memory_locomo.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from os1.core.memory import MemoryItem, MemoryKind
from os1.memory.text import content_words, entity_mentions
from os1.memory.timeref import TimeSpan, resolve

_WHEN = re.compile(r"^\s*(when|what (date|day|time|year|month)|how long ago)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Query:
    text: str
    terms: tuple[str, ...]
    entities: tuple[str, ...]
    spans: tuple[TimeSpan, ...]
    asks_when: bool


def analyse(text: str, now: datetime, known_entities: Iterable[str] = ()) -> Query:
    known = set(known_entities)
    entities = [e for e in entity_mentions(text, known) if e in known or not known]
    return Query(text, tuple(content_words(text)), tuple(entities), tuple(resolve(text, now)),
                 bool(_WHEN.search(text)))


@dataclass(frozen=True, slots=True)
class Weights:
    keyword: float = 1.0
    vector: float = 1.0
    entity: float = 0.1  # the item mentions a person or thing the query names
    speaker: float = 0.3  # the item was said by the person the query names
    time: float = 0.4  # the item happened within the time the query names
    recency: float = 0.05  # newer is slightly more likely to be what is meant
    importance: float = 0.5  # how much an utterance tells (episodes.importance): statements over reactions
    fact: float = 0.05  # a fact distils what was said: a small edge over the raw turn
    # Summaries and digests cite several turns at once: below a matching turn unless clearly better.
    summary: float = -0.5
    hop: float = 0.8  # items reached by following entities of the first hits count at this fraction


@dataclass(slots=True)
class Candidate:
    item: MemoryItem
    keyword: float = 0.0  # BM25, higher is better
    vector: float = 0.0  # cosine
    hop: float = 0.0  # score of the hit whose entities led here (multi-hop)
    signals: set[str] = field(default_factory=set)


def _scaled(values: Sequence[float]) -> list[float]:
    """Min-max to [0, 1]; all-equal values scale to 1 if positive (a lone match is a full match)."""
    if not values:
        return []
    lo, hi = min(values), max(values)
    if hi - lo < 1e-9:
        return [1.0 if hi > 0 else 0.0 for _ in values]
    return [(v - lo) / (hi - lo) for v in values]


def _within(item: MemoryItem, spans: Sequence[TimeSpan]) -> bool:
    day = item.occurred_at.date()
    return any(s.start <= day < s.end for s in spans)


def _recency(item: MemoryItem, now: datetime, half_life_days: float = 90.0) -> float:
    age = max(0.0, (now - item.occurred_at).total_seconds() / 86400)
    return math.pow(0.5, age / half_life_days)


def score(cands: Sequence[Candidate], query: Query, now: datetime, w: Weights = Weights()) -> list[float]:
    """The fused score of each candidate, in order."""
    kws = _scaled([c.keyword for c in cands])
    vec_floor = min((c.vector for c in cands if c.vector > 0), default=0.0)
    vecs = _scaled([max(c.vector, vec_floor) for c in cands])
    names = set(query.entities)
    out = []
    for c, kw, vec in zip(cands, kws, vecs, strict=True):
        s = w.keyword * kw + w.vector * vec
        mentioned = names.intersection(c.item.entities)
        if mentioned:
            s += w.entity * len(mentioned) / len(names)
        if c.item.speaker.lower() in names:
            s += w.speaker
        if query.spans and _within(c.item, query.spans):
            s += w.time
            c.signals.add("time")
        if c.item.kind is MemoryKind.FACT:
            s += w.fact
        elif c.item.kind is not MemoryKind.EPISODE:
            s += w.summary
        s += w.recency * _recency(c.item, now) + w.importance * c.item.importance
        s = max(s, w.hop * c.hop) if c.hop else s
        out.append(s)
    return out


def rank(
    cands: Sequence[Candidate], query: Query, now: datetime, w: Weights = Weights()
) -> list[tuple[Candidate, float]]:
    scored = list(zip(cands, score(cands, query, now, w), strict=True))
    scored.sort(key=lambda cs: (-cs[1], cs[0].item.id))
    return scored



def day_of(item: MemoryItem) -> date:
    return item.occurred_at.date()


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def coverage(terms: Sequence[str], text: str) -> float:
    """Share of the query's content words that ``text`` contains (plural-insensitive)."""
    if not terms:
        return 0.0
    have = {_stem(w) for w in content_words(text)}
    return sum(_stem(t) in have for t in terms) / len(terms)
