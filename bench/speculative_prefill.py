"""What speculation buys once it has a head start: the LLM's first token for a spoken turn, with and without
the prompt read ahead (``Session.speculative_prompt`` -> ``llm.warm``) before ``Session.send``.

    .venv/bin/python bench/speculative_prefill.py > bench/results/speculative_prefill.json

The bench's 20 utterances are sent as turns of one conversation, alternating: "plain" turns only had the
conversation so far warmed (as after every spoken reply), "read ahead" turns also had their own prompt read
while the endpoint would still be waiting. The time is from ``send`` to the first delta; the read-ahead
itself is not counted (in a spoken turn it overlaps the endpoint's silence). Each reply is cut after its
first delta.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import tempfile
import time
from pathlib import Path

from _common import DEFAULT_MODELS_DIR, LoadSampler, command_line, model_paths, percentile
from os1.config import Settings
from os1.engine.session import Session
from os1.llm.local import LocalLLM
from voice_latency import N_CTX, UTTERANCES, open_session


async def first_token_s(session: Session, text: str) -> float:
    started = time.monotonic()
    async with contextlib.aclosing(session.send(text)) as deltas:
        async for _ in deltas:
            break
    return time.monotonic() - started


async def turns(llm: LocalLLM, max_tokens: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {"plain": [], "read_ahead": []}
    with tempfile.TemporaryDirectory(prefix="os1-bench-home-") as home:
        os.environ["OS1_HOME"] = home
        session, store = await open_session(Path(home), llm, max_tokens)
        try:
            for i, text in enumerate(UTTERANCES):
                await llm.warm(await session.warm_prefix())
                read_ahead = i % 2 == 1
                if read_ahead and (prompt := await session.speculative_prompt(text)) is not None:
                    await llm.warm(prompt)
                timings["read_ahead" if read_ahead else "plain"].append(await first_token_s(session, text))
            await session.drain()
        finally:
            await store.close()
    return timings


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=Settings.model_fields["model"].default)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS_DIR)
    args = ap.parse_args()
    paths, skipped = model_paths([args.model], args.models_dir)
    if not paths:
        raise SystemExit(f"model {args.model}: {skipped.get(args.model)}")
    llm = LocalLLM(paths[args.model], n_threads=args.threads, n_threads_batch=args.threads, n_ctx=N_CTX)
    try:
        with LoadSampler() as load:
            timings = await turns(llm, max_tokens=96)
    finally:
        await llm.aclose()
    report = {
        name: {"n": len(values), "first_token_ms_p50": round(percentile(values, 50) * 1000, 1),
               "first_token_ms_p95": round(percentile(values, 95) * 1000, 1)}
        for name, values in timings.items()
    }
    print(json.dumps({**report, "machine": load.machine(args.threads), "command": command_line(),
                      "settings": {"model": args.model, "n_ctx": N_CTX}}, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
