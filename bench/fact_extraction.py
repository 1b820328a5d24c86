"""Fact extraction for long-term memory: the pattern extractor against the LLM extractor, on a labelled set.

    .venv/bin/python bench/fact_extraction.py tests/data/facts_labelled.jsonl [--model qwen2.5-coder-0.5b]
        [--no-llm] [--threads 1] [--show-errors]

DATA.jsonl has one utterance a line: ``{"text": ..., "said_at": ISO, "facts": [{"kind": ..., "key_words":
[...], "date": "YYYY-MM-DD" | null}]}``. The LLM is a packaged model loaded through the catalog, like the
other benches. Prints one JSON object on stdout (per extractor: precision, recall, F1, date accuracy, mean
latency per utterance) and a markdown table on stderr. ``llm+patterns`` is the union of both extractors'
facts on each utterance (scored from the same runs, no extra model calls).

Scoring. A predicted fact matches a gold fact of the same utterance when their kinds agree and at least one
of the gold key words occurs (as a substring, case-insensitive) in the predicted fact's attribute key or
statement; each fact matches at most once (greedy, in gold order). Precision = matched predictions / all
predictions, recall = matched gold facts / all gold facts. Date accuracy: over matched gold facts that have a
date, the share whose predicted statement names a period (the "(on 7 May 2023)", "(in June 2025)",
"(between ... and ...)" the extractors append) that contains the gold day.

Labelling rules for ``tests/data/facts_labelled.jsonl`` (56 utterances, 43 with facts, 13 without):

- A fact is something the speaker states as true about themselves or the people and pets in their life.
  Kinds: preference (likes, dislikes, a changed taste: the current one is the fact), relationship (a person
  or pet named with who they are to the speaker; a relative mentioned in passing without a name is not one),
  identity (home, job, birthplace, who they are: "I'm a vegetarian"), plan (something in the future, the
  speaker's or an announced visit), event (something that happened; dated where the message dates it),
  feeling (an emotional state the speaker states now, including "I miss my dad"), habit (something done
  regularly).
- Facts about a named person in the speaker's life count too ("My brother Tom is a firefighter": a
  relationship and an identity).
- No facts from questions, greetings, small talk, hypotheticals and conditionals ("If I won the lottery..."),
  wishes ("I would love to visit Japan someday": decided as no fact, irrealis), uncertainty ("I'm not sure
  what I want for dinner"), considerations ("thinking about becoming a teacher") or talk about a film's plot.
- Everyday incidents ("my cat knocked my coffee over") are not events; the cat is a relationship.
- Moving and starting a job are labelled as identity (home, job); a dated new job also as an event.
- ``date`` is the first day of the period the message's time phrase means, resolved by hand against
  ``said_at`` (the truth, not what ``timeref`` does: "on Friday" said on a Wednesday is the coming Friday);
  null when the message gives no resolvable time ("last summer" counts as none) and for identity, feeling,
  preference, relationship and habit facts.
- ``key_words`` are lowercase words (or stems) any of which names the fact: the thing liked, the person's
  name and relation, the place, the plan.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from _common import DEFAULT_MODELS_DIR, LoadSampler, RecordingLLM, command_line, markdown_table, model_paths
from os1.memory.facts import Fact, FactExtractor, PatternExtractor
from os1.memory.timeref import resolve

KINDS = ("preference", "relationship", "identity", "plan", "event", "feeling", "habit")
SPEAKER = "Alex"


@dataclass(frozen=True)
class Gold:
    kind: str
    key_words: tuple[str, ...]
    date: date | None


@dataclass(frozen=True)
class Row:
    text: str
    said_at: datetime
    facts: tuple[Gold, ...]


@dataclass
class Run:
    """One extractor's facts for each row, and how long each took."""

    name: str
    predicted: list[list[Fact]] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    fallbacks: int | None = None


def load(path: Path) -> list[Row]:
    rows = []
    for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        item = json.loads(line)
        facts = []
        for f in item["facts"]:
            if f["kind"] not in KINDS or not f["key_words"]:
                raise SystemExit(f"{path}:{n}: bad gold fact {f}")
            facts.append(Gold(f["kind"], tuple(w.lower() for w in f["key_words"]),
                              date.fromisoformat(f["date"]) if f.get("date") else None))
        rows.append(Row(item["text"], datetime.fromisoformat(item["said_at"]), tuple(facts)))
    return rows


_PERIOD = re.compile(r"\(((?:on|in|between) [^()]*\d{4})\)")


def period(fact: Fact, at: datetime) -> tuple[date, date] | None:
    """The period [start, end) a fact's statement names in its appended "(on 7 May 2023)"-style note."""
    notes = _PERIOD.findall(fact.text)
    if not notes:
        return None
    spans = resolve(notes[-1], at)
    if not spans:
        return None
    return min(s.start for s in spans), max(s.end for s in spans)


def matches(gold: Gold, fact: Fact) -> bool:
    said = f"{fact.attribute} {fact.text}".lower()
    return gold.kind == fact.kind and any(w in said for w in gold.key_words)


def score_row(row: Row, predicted: list[Fact]) -> dict[str, Any]:
    free = list(range(len(predicted)))
    matched: list[tuple[Gold, Fact]] = []
    missed: list[Gold] = []
    for gold in row.facts:
        hit = next((i for i in free if matches(gold, predicted[i])), None)
        if hit is None:
            missed.append(gold)
        else:
            free.remove(hit)
            matched.append((gold, predicted[hit]))
    dated = [(g, f) for g, f in matched if g.date is not None]
    dates_right = 0
    for g, f in dated:
        span = period(f, row.said_at)
        dates_right += span is not None and g.date is not None and span[0] <= g.date < span[1]
    return {"tp": len(matched), "fp": len(free), "fn": len(missed), "dated": len(dated), "dates_right": dates_right,
            "matched": matched, "missed": missed, "spurious": [predicted[i] for i in free]}


def summarise(run: Run, rows: list[Row], show_errors: bool) -> dict[str, Any]:
    scored = [score_row(row, preds) for row, preds in zip(rows, run.predicted, strict=True)]
    tp, fp, fn = (sum(s[k] for s in scored) for k in ("tp", "fp", "fn"))
    dated, right = sum(s["dated"] for s in scored), sum(s["dates_right"] for s in scored)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    by_kind = {}
    for kind in KINDS:
        gold = sum(1 for r in rows for g in r.facts if g.kind == kind)
        hit = sum(1 for s in scored for g, _ in s["matched"] if g.kind == kind)
        by_kind[kind] = f"{hit}/{gold}"
    no_fact_rows = [s for r, s in zip(rows, scored, strict=True) if not r.facts]
    if show_errors:
        for row, s in zip(rows, scored, strict=True):
            for g in s["missed"]:
                print(f"[{run.name}] MISSED {g.kind} {list(g.key_words)} | {row.text}", file=sys.stderr)
            for f in s["spurious"]:
                print(f"[{run.name}] SPURIOUS {f.kind} {f.attribute} {f.text!r} | {row.text}", file=sys.stderr)
            for g, f in s["matched"]:
                span = period(f, row.said_at)
                if g.date is not None and not (span and span[0] <= g.date < span[1]):
                    print(f"[{run.name}] DATE {g.date} vs {f.text!r} | {row.text}", file=sys.stderr)
    ms = [s * 1000 for s in run.seconds]
    return {
        "extractor": run.name,
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(f1, 3),
        "tp": tp, "fp": fp, "fn": fn,
        "date_accuracy": round(right / dated, 3) if dated else None,
        "dated_matched": dated,
        "recall_by_kind": by_kind,
        "spurious_on_no_fact_utterances": sum(s["fp"] for s in no_fact_rows),
        "mean_ms_per_utterance": round(statistics.fmean(ms), 1) if ms else None,
        "p90_ms_per_utterance": round(sorted(ms)[int(0.9 * (len(ms) - 1))], 1) if ms else None,
        "fallbacks_to_patterns": run.fallbacks,
        "facts": [[{"kind": f.kind, "attribute": f.attribute, "text": f.text} for f in preds]
                  for preds in run.predicted],
    }


async def run_extractor(name: str, extractor: FactExtractor, rows: list[Row]) -> Run:
    run = Run(name)
    for n, row in enumerate(rows, 1):
        start = time.perf_counter()
        facts = await extractor.extract(row.text, SPEAKER, row.said_at)
        run.seconds.append(time.perf_counter() - start)
        run.predicted.append(facts)
        if name != "patterns":
            print(f"  {name} {n}/{len(rows)} {run.seconds[-1]:.1f}s {[f.attribute for f in facts]}", file=sys.stderr)
    return run


def union(a: Run, b: Run) -> Run:
    both = Run(f"{a.name}+{b.name}", seconds=[x + y for x, y in zip(a.seconds, b.seconds, strict=True)])
    for fa, fb in zip(a.predicted, b.predicted, strict=True):
        keys = {(f.subject, f.attribute) for f in fa}
        both.predicted.append([*fa, *(f for f in fb if (f.subject, f.attribute) not in keys)])
    return both


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--model", default="qwen2.5-coder-0.5b", help="catalog id of the packaged model")
    ap.add_argument("--no-llm", action="store_true", help="score the pattern extractor only")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--n-ctx", type=int, default=4096)
    ap.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS_DIR)
    ap.add_argument("--show-errors", action="store_true", help="list misses, spurious facts and wrong dates")
    return ap.parse_args()


async def main() -> None:
    args = parse_args()
    rows = load(args.data)
    skipped: dict[str, str] = {}
    with LoadSampler() as load_:
        runs = [await run_extractor("patterns", PatternExtractor(), rows)]
        if not args.no_llm:
            from os1.llm.local import LocalLLM
            from os1.memory.llm_facts import LLMExtractor

            paths, skipped = model_paths([args.model], args.models_dir)
            if args.model in paths:
                llm = RecordingLLM(LocalLLM(paths[args.model], n_threads=args.threads, n_ctx=args.n_ctx))
                try:
                    extractor = LLMExtractor(llm)
                    llm_run = await run_extractor("llm", extractor, rows)
                    llm_run.fallbacks = extractor.failures
                finally:
                    await llm.aclose()
                runs += [llm_run, union(llm_run, runs[0])]
    results = [summarise(run, rows, args.show_errors) for run in runs]
    report = {
        "machine": load_.machine(args.threads),
        "command": command_line(),
        "data": {"utterances": len(rows), "with_facts": sum(1 for r in rows if r.facts),
                 "gold_facts": sum(len(r.facts) for r in rows),
                 "dated_gold_facts": sum(1 for r in rows for g in r.facts if g.date is not None)},
        "model": None if args.no_llm else args.model,
        "skipped": skipped,
        "results": results,
    }
    print(json.dumps(report, indent=2))
    columns = ["extractor", "precision", "recall", "f1", "date_accuracy", "spurious_on_no_fact_utterances",
               "mean_ms_per_utterance", "fallbacks_to_patterns"]
    table = [{k: f"{v:.3f}" if isinstance(v, float) and k != "mean_ms_per_utterance" else v for k, v in r.items()}
             for r in results]
    print(markdown_table(table, columns), file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
