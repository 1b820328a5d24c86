"""Reading LoCoMo-format data and scoring ranked turn ids (EVAL.md §1). No OS1 imports: pure helpers."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

CATEGORIES = ("1", "2", "3", "4")
KS = (1, 5, 10, 20)
_EVIDENCE = re.compile(r"D\s*:?\s*(\d+)\s*:\s*(\d+)", re.IGNORECASE)


def norm_ids(raw: Any) -> list[str]:
    """Evidence ids in any of the seen spellings (D1:3, D:1:3, D1:03, several per string) as D<s>:<t>."""
    items = raw if isinstance(raw, list) else [raw]
    out: list[str] = []
    for item in items:
        out += [f"D{int(s)}:{int(t)}" for s, t in _EVIDENCE.findall(str(item))]
    return list(dict.fromkeys(out))


@dataclass(frozen=True)
class Turn:
    dia_id: str
    speaker: str
    text: str
    caption: str
    at: datetime
    session: int


@dataclass(frozen=True)
class Question:
    qid: str
    text: str
    category: str
    evidence: tuple[str, ...]


def parse_when(value: str) -> datetime:
    """LoCoMo session times look like "1:56 pm on 8 May, 2023"."""
    for fmt in ("%I:%M %p on %d %B, %Y", "%I:%M %p on %d %b, %Y", "%H:%M on %d %B, %Y"):
        try:
            return datetime.strptime(value.strip(), fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise ValueError(f"unrecognised session time {value!r}")


def sessions(sample: dict[str, Any]) -> Iterator[tuple[int, datetime, list[dict[str, Any]]]]:
    conv = sample["conversation"]
    numbers = sorted(int(m.group(1)) for k in conv if (m := re.fullmatch(r"session_(\d+)", k)))
    for n in numbers:
        yield n, parse_when(conv[f"session_{n}_date_time"]), conv[f"session_{n}"]


def turns(sample: dict[str, Any]) -> list[Turn]:
    out = []
    for n, at, session in sessions(sample):
        for turn in session:
            ids = norm_ids(turn.get("dia_id", ""))
            if ids:
                out.append(Turn(ids[0], turn.get("speaker", ""), turn.get("text", ""),
                                turn.get("blip_caption", "") or "", at, n))
    return out


def questions(sample: dict[str, Any], index: int, corrections: dict[str, list[str]]) -> list[Question]:
    out = []
    for j, qa in enumerate(sample.get("qa", [])):
        category = str(qa.get("category"))
        if category not in CATEGORIES:
            continue
        qid = f"locomo_{index}_qa{j}"
        evidence = corrections.get(qid, qa.get("evidence", []))
        out.append(Question(qid, str(qa["question"]), category, tuple(norm_ids(evidence))))
    return out


def load_corrections(path: Path | None, data: list[dict[str, Any]]) -> dict[str, list[str]]:
    """question id -> corrected evidence, for audited questions whose citation was wrong."""
    if path is None:
        return {}
    fixes = {}
    for entry in json.loads(path.read_text()):
        correct = entry.get("correct_evidence")
        if not correct or norm_ids(correct) == norm_ids(entry.get("cited_evidence", [])):
            continue
        m = re.fullmatch(r"locomo_(\d+)_qa(\d+)", entry.get("question_id", ""))
        if not m:
            continue
        i, j = int(m.group(1)), int(m.group(2))
        qa = data[i]["qa"][j] if i < len(data) and j < len(data[i].get("qa", [])) else None
        if qa is not None and qa.get("question", "").strip() == entry.get("question", "").strip():
            fixes[entry["question_id"]] = norm_ids(correct)
    return fixes


def _dcg(ranked: Sequence[str], gold: set[str], k: int) -> float:
    return sum(1.0 / math.log2(i + 2) for i, t in enumerate(ranked[:k]) if t in gold)


def per_question(ranked: Sequence[str], gold: set[str]) -> dict[str, float]:
    m: dict[str, float] = {}
    for k in KS:
        top = set(ranked[:k])
        m[f"recall_any@{k}"] = float(bool(top & gold))
        m[f"recall_all@{k}"] = float(gold <= top)
    ideal = _dcg(sorted(gold), gold, 10)
    m["ndcg@10"] = _dcg(ranked, gold, 10) / ideal if ideal else 0.0
    first = next((i for i, t in enumerate(ranked) if t in gold), None)
    m["mrr"] = 1.0 / (first + 1) if first is not None else 0.0
    return m


def summarise(rows: list[tuple[str, dict[str, float]]]) -> dict[str, Any]:
    """Mean of each metric overall and per category; rows are (category, per-question metrics)."""

    def mean(selected: list[dict[str, float]]) -> dict[str, float]:
        if not selected:
            return {}
        return {key: round(sum(r[key] for r in selected) / len(selected), 4) for key in selected[0]}

    out: dict[str, Any] = mean([m for _, m in rows])
    out["by_category"] = {c: {**mean([m for cat, m in rows if cat == c]), "n": sum(1 for cat, _ in rows if cat == c)}
                          for c in CATEGORIES}
    return out


_STEM = re.compile(r"(ing|edly|edly|ed|ies|es|s|ly)$")
_BM25_STOP = frozenset(
    """a an and are as at be but by did do does for from had has have he her his how i in is it its me my of on
    or our she so that the their them they this to was we were what when where which who why will with you
    your""".split()  # noqa: SIM905
)


def bm25_tokens(text: str) -> list[str]:
    """The baseline's tokens: lowercase words, stopwords out, light suffix stemming."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return [_STEM.sub("", w) if len(w) > 4 else w for w in words if w not in _BM25_STOP]


class BM25:
    """Okapi BM25 over turns (k1 = 1.5, b = 0.75): the baseline row EVAL.md asks the bench to print."""

    def __init__(self, docs: Sequence[list[str]], k1: float = 1.5, b: float = 0.75) -> None:
        self.docs = docs
        self.k1, self.b = k1, b
        self.avgdl = sum(len(d) for d in docs) / max(1, len(docs))
        df: dict[str, int] = {}
        for d in docs:
            for w in set(d):
                df[w] = df.get(w, 0) + 1
        n = len(docs)
        self.idf = {w: math.log(1 + (n - f + 0.5) / (f + 0.5)) for w, f in df.items()}
        self.tf = [self._counts(d) for d in docs]

    @staticmethod
    def _counts(doc: list[str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for w in doc:
            counts[w] = counts.get(w, 0) + 1
        return counts

    def rank(self, query: list[str]) -> list[int]:
        scores = []
        for i, (doc, tf) in enumerate(zip(self.docs, self.tf, strict=True)):
            s = 0.0
            for w in set(query):
                f = tf.get(w, 0)
                if f:
                    s += self.idf[w] * f * (self.k1 + 1) / (f + self.k1 * (1 - self.b + self.b * len(doc) / self.avgdl))
            if s > 0:
                scores.append((s, i))
        scores.sort(key=lambda x: (-x[0], x[1]))
        return [i for _, i in scores]
