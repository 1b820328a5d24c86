"""Chat latency through the real engine: time to first token and generation speed as history grows.

For each packaged model, 20 scripted companion-chat turns go through ``Session.send`` (temporary OS1_HOME,
SQLite store, a named profile), once with prefix reuse (cache_prompt=True, the engine's default) and once
with every request rewritten to cache_prompt=False. Each mode gets a freshly loaded model.

    .venv/bin/python bench/chat_latency.py [--models a,b:8] [--turns N] [--threads N] [--quick]

``--models`` takes ids, each optionally with ``:TURNS`` to override --turns for that model.
Prints one JSON object on stdout and a markdown table on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _common import (
    DEFAULT_MODELS_DIR,
    PACKAGED,
    LoadSampler,
    RecordingLLM,
    command_line,
    markdown_table,
    model_paths,
    percentile,
    timed,
)
from os1.core.profile import OSIdentity
from os1.engine.prompt import MESSAGE_OVERHEAD_TOKENS
from os1.engine.session import Session, SessionConfig
from os1.llm.local import LocalLLM
from os1.storage.sqlite import open_store

N_CTX = 4096
TEMPERATURE = 0.7

USER_TURNS = (
    "Hi! I just got home from work. It's been a really long week.",
    "My sister Maya is visiting this weekend and I haven't cleaned anything yet.",
    "She's bringing her dog Biscuit, a very energetic beagle who chews everything.",
    "Honestly I'm also nervous, because I have a job interview on Friday.",
    "It's for a UX designer role at a small startup downtown.",
    "What could I ask them at the end of the interview?",
    "That helps. I always freeze when they ask about my weaknesses.",
    "Maybe I could say I'm learning to delegate more. Does that sound fake?",
    "Anyway, I made pasta tonight. First time I've cooked all week.",
    "Do you remember what my sister's name is?",
    "Right! We shared a room as kids and fought over absolutely everything.",
    "I'm thinking of taking her and the dog to the park on Saturday morning.",
    "Any ideas for a backup plan if it rains?",
    "I've been sleeping badly lately, probably the interview stress.",
    "What's one simple thing I could do tonight to wind down?",
    "I might try reading a book instead of scrolling on my phone.",
    "What was the role I'm interviewing for again?",
    "Thanks. Talking this through actually helps a lot.",
    "Do you think Biscuit will get along with my neighbour's cat?",
    "Okay, I should get some sleep. Wish me luck for Friday!",
)


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=",".join(PACKAGED), help="comma-separated ids, each optionally id:TURNS")
    ap.add_argument("--turns", type=int, default=len(USER_TURNS))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch-threads", type=int, default=1, help="threads reading the prompt (OS1 default: n_threads)")
    ap.add_argument("--max-tokens", type=int, default=96)
    ap.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS_DIR)
    ap.add_argument("--quick", action="store_true", help="smoke test: 3 turns, smollm2-135m only")
    args = ap.parse_args()
    if args.quick:
        args.models, args.turns = "smollm2-135m", 3
    return args


def model_turns(spec: str, default: int) -> dict[str, int]:
    """'a,b:8' -> {'a': default, 'b': 8}, capped at the number of scripted turns."""
    plan = {}
    for item in filter(None, (s.strip() for s in spec.split(","))):
        model_id, _, turns = item.partition(":")
        plan[model_id] = min(int(turns) if turns else default, len(USER_TURNS))
    return plan


async def prompt_tokens(llm: RecordingLLM) -> int:
    """The last prompt's size, counted the way the engine budgets it (content tokens + framing)."""
    messages = llm.prompts[-1]
    return sum([await llm.count_tokens(m.content) + MESSAGE_OVERHEAD_TOKENS for m in messages])


async def run_dialogue(llm: RecordingLLM, turns: int, max_tokens: int) -> list[dict[str, Any]]:
    """One conversation through the real engine in a throwaway OS1_HOME; per-turn measurements."""
    with tempfile.TemporaryDirectory(prefix="os1-bench-home-") as home:
        os.environ["OS1_HOME"] = home
        store = open_store(Path(home) / "os1.db")
        try:
            user = await store.users.local_user()
            profile = await store.profiles.get(user.id)
            identity = OSIdentity("Iris", "it sounded calm and bright to me.", datetime.now(UTC))
            await store.profiles.save(replace(profile, user_name="Alex", identity=identity))
            config = SessionConfig(n_ctx=N_CTX, max_reply_tokens=max_tokens, temperature=TEMPERATURE)
            session = await Session.open(store, llm, user.id, config)
            rows = []
            for i, text in enumerate(USER_TURNS[:turns], 1):
                timing = await timed(session.send(text))
                tokens = await llm.count_tokens(timing.text) if timing.text else 0
                rows.append({
                    "turn": i,
                    "ttft_ms": round(timing.ttft_ms, 1),
                    "total_ms": round(timing.total_ms, 1),
                    "completion_tokens": tokens,
                    "tokens_per_s": round(timing.rate(tokens), 2),
                    "prompt_tokens": await prompt_tokens(llm),
                })
                print(f"  turn {i:2d}: ttft {timing.ttft_ms:7.0f} ms, {tokens:3d} tok, "
                      f"{timing.rate(tokens):5.1f} tok/s, prompt {rows[-1]['prompt_tokens']}", file=sys.stderr)
            return rows
        finally:
            await store.close()


def summarise(model_id: str, prefix_reuse: bool, rows: list[dict[str, Any]]) -> dict[str, Any]:
    ttft = [r["ttft_ms"] for r in rows]
    rates = [r["tokens_per_s"] for r in rows if r["tokens_per_s"] == r["tokens_per_s"]]  # drop NaN
    gen_s = sum(r["completion_tokens"] / r["tokens_per_s"] for r in rows if r["tokens_per_s"] > 0)
    return {
        "model": model_id,
        "prefix_reuse": prefix_reuse,
        "turns": len(rows),
        "ttft_ms_p50": round(statistics.median(ttft), 1),
        "ttft_ms_p95": round(percentile(ttft, 95), 1),
        "ttft_ms_first_turn": ttft[0],
        "ttft_ms_last_turn": ttft[-1],
        "tokens_per_s_p50": round(statistics.median(rates), 2) if rates else None,
        "tokens_per_s_overall": round(sum(r["completion_tokens"] for r in rows) / gen_s, 2) if gen_s else None,
        "prompt_tokens_last_turn": rows[-1]["prompt_tokens"],
        "per_turn": rows,
    }


async def bench_model(model_id: str, path: Path, turns: int, args: argparse.Namespace) -> list[dict[str, Any]]:
    results = []
    for prefix_reuse in (True, False):
        print(f"{model_id} prefix_reuse={prefix_reuse} turns={turns}", file=sys.stderr)
        local = LocalLLM(path, n_threads=args.threads, n_threads_batch=args.batch_threads, n_ctx=N_CTX)
        llm = RecordingLLM(local, prefix_reuse=prefix_reuse)
        try:
            rows = await run_dialogue(llm, turns, args.max_tokens)
        finally:
            await llm.aclose()
        results.append(summarise(model_id, prefix_reuse, rows))
    return results


async def main() -> None:
    args = parse_args()
    plan = model_turns(args.models, args.turns)
    paths, skipped = model_paths(list(plan), args.models_dir)
    results: list[dict[str, Any]] = []
    with LoadSampler() as load:
        for model_id, path in paths.items():
            results += await bench_model(model_id, path, plan[model_id], args)
    report = {
        "machine": load.machine(args.threads),
        "command": command_line(),
        "settings": {"n_ctx": N_CTX, "max_tokens": args.max_tokens, "temperature": TEMPERATURE},
        "skipped": skipped,
        "results": results,
    }
    print(json.dumps(report, indent=2))
    columns = ["model", "prefix_reuse", "turns", "ttft_ms_p50", "ttft_ms_p95", "ttft_ms_first_turn",
               "ttft_ms_last_turn", "tokens_per_s_p50", "prompt_tokens_last_turn"]
    print(markdown_table(results, columns), file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
