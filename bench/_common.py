"""Shared helpers for the benches: machine facts, load sampling, model lookup, timing and tables."""

from __future__ import annotations

import contextlib
import math
import os
import shlex
import sys
import tempfile
import threading
import time
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from os1.core.messages import ChatMessage
from os1.llm.base import LLM, GenerationOptions, LLMCapabilities
from os1.llm.catalog import CATALOG, find_model, join_parts, local_path, part_paths

PACKAGED = tuple(m.id for m in CATALOG if m.kind == "packaged")
# Joined chunked weights are kept here between bench runs (override with --models-dir).
DEFAULT_MODELS_DIR = Path(tempfile.gettempdir()) / "os1-bench-models"


def command_line() -> str:
    return " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv])


def loadavg() -> list[float]:
    return [round(float(x), 2) for x in Path("/proc/loadavg").read_text().split()[:3]]


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


class LoadSampler:
    """Samples the 1-minute load average in a background thread while a bench runs."""

    def __init__(self, every_s: float = 5.0) -> None:
        self.every_s = every_s
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LoadSampler:
        self.before = loadavg()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.after = loadavg()

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self.samples.append(loadavg()[0])

    def machine(self, threads: int) -> dict[str, Any]:
        s = self.samples or [self.after[0]]
        return {
            "cpu_count": os.cpu_count(),
            "cpu_model": cpu_model(),
            "n_threads": threads,
            "loadavg_before": self.before,
            "loadavg_after": self.after,
            "loadavg1_during_mean": round(sum(s) / len(s), 2),
            "loadavg1_during_max": max(s),
            "note": "load includes this bench's own busy thread(s)",
        }


def percentile(values: Sequence[float], p: float) -> float:
    """Linear-interpolated percentile (p in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    k = (len(ordered) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def model_paths(ids: Sequence[str], models_dir: Path) -> tuple[dict[str, Path], dict[str, str]]:
    """GGUF paths of the models that are here (joining chunks once), and why the others were skipped."""
    found: dict[str, Path] = {}
    skipped: dict[str, str] = {}
    for model_id in ids:
        model = find_model(model_id)
        path = local_path(model, models_dir)
        if path is None and model.kind == "packaged" and part_paths(model) is not None:
            print(f"joining {model_id} into {models_dir} ...", file=sys.stderr)
            path = join_parts(model, models_dir)
        if path is None:
            skipped[model_id] = "not installed"
        else:
            found[model_id] = path
    return found, skipped


@dataclass
class Timing:
    """When a streamed reply started and its deltas arrived (monotonic seconds)."""

    start: float
    first: float | None = None
    last: float | None = None
    text: str = ""

    @property
    def ttft_ms(self) -> float:
        return ((self.first or math.nan) - self.start) * 1000

    @property
    def total_ms(self) -> float:
        return ((self.last or math.nan) - self.start) * 1000

    def rate(self, tokens: int) -> float:
        """Completion tokens per second between the first and the last delta."""
        if self.first is None or self.last is None or self.last <= self.first:
            return math.nan
        return tokens / (self.last - self.first)


async def timed(deltas: AsyncGenerator[str, None]) -> Timing:
    """Drain a delta stream, noting the first non-empty delta and the last one."""
    timing = Timing(time.monotonic())
    async with contextlib.aclosing(deltas):
        async for delta in deltas:
            if not delta:
                continue
            now = time.monotonic()
            if timing.first is None:
                timing.first = now
            timing.last = now
            timing.text += delta
    return timing


@dataclass
class RecordingLLM:
    """Wraps an LLM: records every prompt; with ``prefix_reuse=False`` every request has cache_prompt=False."""

    inner: LLM
    prefix_reuse: bool = True
    prompts: list[list[ChatMessage]] = field(default_factory=list)
    json_calls: int = 0

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def capabilities(self) -> LLMCapabilities:
        caps = self.inner.capabilities
        return caps if self.prefix_reuse else replace(caps, prefix_cache=False)

    def _options(self, options: GenerationOptions) -> GenerationOptions:
        return options if self.prefix_reuse else replace(options, cache_prompt=False)

    async def stream(self, messages: Sequence[ChatMessage], options: GenerationOptions) -> AsyncGenerator[str, None]:
        self.prompts.append(list(messages))
        async with contextlib.aclosing(self.inner.stream(messages, self._options(options))) as deltas:
            async for delta in deltas:
                yield delta

    async def complete_json(
        self, messages: Sequence[ChatMessage], schema: dict[str, Any], options: GenerationOptions
    ) -> dict[str, Any]:
        self.json_calls += 1
        return await self.inner.complete_json(messages, schema, self._options(options))

    async def count_tokens(self, text: str) -> int:
        return await self.inner.count_tokens(text)

    async def aclose(self) -> None:
        await self.inner.aclose()


def markdown_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    def cell(value: Any) -> str:
        return f"{value:.1f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)
