"""Reading the user's emotion: the lexicons (VADER + NRC) against lexicon + LLM, on a labelled set.

    .venv/bin/python bench/emotion_llm.py tests/data/emotion_labelled.jsonl [--model qwen2.5-coder-0.5b]
        [--threads 1] [--show-errors]

DATA.jsonl has one message a line: ``{"text": ..., "valence": "pos" | "neg" | "neu", "sarcastic": true}``
(``sarcastic`` only where it is). The LLM is a packaged model loaded through the catalog, like the other
benches. Prints one JSON object on stdout and a markdown table on stderr.

Scoring is by sign: a reading is "pos" at valence >= 0.2, "neg" at <= -0.2, else "neu" (the neutral band of
``persona/emotion.py``, the one the prompt's note uses). Three readers from one model call per message:
``lexicon`` (what every turn gets), ``llm alone`` (the model's own valence, clamped; neutral when it gave
none) and ``lexicon+llm`` (``LLMEmotionReader``: what is stored when ``emotion_llm`` is on).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _common import DEFAULT_MODELS_DIR, LoadSampler, command_line, markdown_table, model_paths
from os1.core.affect import Emotion
from os1.core.messages import ChatMessage
from os1.llm.base import LLM, GenerationOptions
from os1.persona.emotion import NEUTRAL_BAND, read_emotion
from os1.persona.llm_emotion import LLMEmotionReader, model_valence


@dataclass(frozen=True)
class Row:
    text: str
    label: str
    sarcastic: bool


@dataclass
class AnswerLog:
    """Wraps an LLM and keeps each JSON answer (None when the call raised), to score the model alone."""

    inner: LLM
    answers: list[dict[str, Any] | None] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def capabilities(self) -> Any:
        return self.inner.capabilities

    async def complete_json(
        self, messages: Sequence[ChatMessage], schema: dict[str, Any], options: GenerationOptions
    ) -> dict[str, Any]:
        self.answers.append(None)
        answer = await self.inner.complete_json(messages, schema, options)
        self.answers[-1] = answer
        return answer


def load(path: Path) -> list[Row]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [Row(r["text"], r["valence"], bool(r.get("sarcastic"))) for r in rows]


def sign(valence: float) -> str:
    if valence >= NEUTRAL_BAND:
        return "pos"
    return "neg" if valence <= -NEUTRAL_BAND else "neu"


def accuracy(rows: list[Row], predicted: list[str], keep: Any = lambda row: True) -> str:
    pairs = [(r.label, p) for r, p in zip(rows, predicted, strict=True) if keep(r)]
    right = sum(label == p for label, p in pairs)
    return f"{right}/{len(pairs)} ({right / len(pairs):.2f})" if pairs else "-"


def score(name: str, rows: list[Row], valences: list[float], ms: list[float] | None) -> dict[str, Any]:
    predicted = [sign(v) for v in valences]
    return {
        "reader": name,
        "all": accuracy(rows, predicted),
        "sarcastic": accuracy(rows, predicted, lambda r: r.sarcastic),
        "plain": accuracy(rows, predicted, lambda r: not r.sarcastic),
        "pos": accuracy(rows, predicted, lambda r: r.label == "pos"),
        "neg": accuracy(rows, predicted, lambda r: r.label == "neg"),
        "neu": accuracy(rows, predicted, lambda r: r.label == "neu"),
        "mean_ms": round(statistics.fmean(ms), 1) if ms else 0.0,
        "p90_ms": round(sorted(ms)[int(0.9 * (len(ms) - 1))], 1) if ms else 0.0,
        "predicted": predicted,
    }


async def read_all(
    reader: LLMEmotionReader, rows: list[Row], lexicon: list[Emotion]
) -> tuple[list[float], list[float]]:
    valences: list[float] = []
    ms: list[float] = []
    for n, (row, lex) in enumerate(zip(rows, lexicon, strict=True), 1):
        start = time.perf_counter()
        got = await reader.read(row.text, lex)
        ms.append((time.perf_counter() - start) * 1000)
        valences.append(got.valence)
        line = f"{lex.valence:+.2f} -> {got.valence:+.2f} {row.label}"
        print(f"  {n}/{len(rows)} {ms[-1]:.0f} ms {line}", file=sys.stderr)
    return valences, ms


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--model", default="qwen2.5-coder-0.5b")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--n-ctx", type=int, default=4096)
    ap.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS_DIR)
    ap.add_argument("--show-errors", action="store_true", help="list the messages each reader got wrong")
    return ap.parse_args()


async def main() -> None:
    from os1.llm.local import LocalLLM

    args = parse_args()
    rows = load(args.data)
    lexicon = [read_emotion(r.text) for r in rows]
    paths, skipped = model_paths([args.model], args.models_dir)
    if args.model not in paths:
        sys.exit(f"model {args.model}: {skipped.get(args.model)}")
    with LoadSampler() as load_:
        llm = AnswerLog(LocalLLM(paths[args.model], n_threads=args.threads, n_ctx=args.n_ctx))
        try:
            reader = LLMEmotionReader(llm)  # type: ignore[arg-type]  # AnswerLog has what the reader uses
            combined, ms = await read_all(reader, rows, lexicon)
        finally:
            await llm.inner.aclose()
    alone = [model_valence(a.get("valence")) if a else None for a in llm.answers]
    results = [
        score("lexicon", rows, [e.valence for e in lexicon], None),
        score("llm alone", rows, [v if v is not None else 0.0 for v in alone], ms),
        score("lexicon+llm", rows, combined, ms),
    ]
    if args.show_errors:
        for result in results:
            for row, p in zip(rows, result["predicted"], strict=True):
                if p != row.label:
                    print(f"[{result['reader']}] {p} for {row.label}: {row.text}", file=sys.stderr)
    print(json.dumps({
        "command": command_line(),
        "model": args.model,
        "messages": len(rows),
        "machine": load_.machine(args.threads),
        "fallbacks_to_lexicon": reader.failures,
        "answers": llm.answers,
        "results": results,
    }, indent=1))
    columns = ["reader", "all", "sarcastic", "plain", "pos", "neg", "neu", "mean_ms", "p90_ms"]
    print(markdown_table(results, columns), file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
