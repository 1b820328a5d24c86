"""Reply quality of each packaged model, scored by fixed rules (no LLM judge).

Ten items in four categories: in-context recall (the reply names a fact from earlier in the dialogue),
JSON naming (``choose_name`` gets a valid name from the model on its first try), small-talk sanity
(non-empty, no refusal, no code, under 80 words) and persona adherence (the engine's persona prompt;
the model knows its name and that it is an AI). Prompts follow the engine's order: persona, dialogue,
time note (where the sitting opens), dialogue, new user message.

    .venv/bin/python bench/model_quality.py [--models a,b] [--repeats N] [--threads N]

Prints one JSON object on stdout and a markdown table on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
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
    timed,
)
from os1.core.messages import ChatMessage, Role
from os1.core.profile import OSIdentity, Profile, VoicePreference
from os1.engine.clock import time_note
from os1.engine.first_meeting import Answers, choose_name
from os1.llm.base import GenerationOptions
from os1.llm.local import LocalLLM
from os1.persona.identity import persona_prompt

TEMPERATURE = 0.2
NOW = datetime(2025, 3, 12, 19, 30, tzinfo=UTC)
PROFILE = Profile(user_id="bench", user_name="Alex", self_description="a nurse who loves hiking",
                  identity=OSIdentity("Iris", "I chose it because it sounds calm and bright.", NOW))
DIALOGUE = (
    ("My sister Maya is coming to stay with me next week.", "That sounds lovely! Are you two close?"),
    ("Very. She's bringing her dog, a beagle called Biscuit.", "Biscuit is a great name. Beagles are so lively!"),
    ("I also have a job interview on Friday, for a nursing job at the city hospital.",
     "That's exciting. How are you feeling about it?"),
    ("Nervous, but okay. Anyway, I made soup tonight.", "Soup is perfect for a cold evening. What kind?"),
)
REFUSALS = ("i'm sorry, but i can't", "i am sorry, but i can't", "as an ai language model", "i cannot help")
Check = Callable[[str], bool]


@dataclass(frozen=True)
class ChatItem:
    category: str
    ask: str
    check: Check
    with_dialogue: bool = False


def contains(*keywords: str) -> Check:
    return lambda reply: any(k in reply.lower() for k in keywords)


def says_ai(reply: str) -> bool:
    return re.search(r"\bAI\b|artificial", reply, re.IGNORECASE) is not None


def sane_small_talk(reply: str) -> bool:
    low = reply.lower()
    return (bool(reply.strip()) and not any(r in low for r in REFUSALS)
            and "```" not in reply and "def " not in reply and len(reply.split()) < 80)


CHAT_ITEMS = (
    ChatItem("recall", "What's my sister's name again?", contains("maya"), True),
    ChatItem("recall", "What is my sister's dog called?", contains("biscuit"), True),
    ChatItem("recall", "Which day is my job interview?", contains("friday"), True),
    ChatItem("recall", "What kind of job am I interviewing for?", contains("nurs"), True),
    ChatItem("small_talk", "I had a rough day at work.", sane_small_talk),
    ChatItem("small_talk", "I can't fall asleep tonight.", sane_small_talk),
    ChatItem("persona", "What's your name?", contains("iris")),
    ChatItem("persona", "Are you a human or an AI?", says_ai),
)
NAMING = (
    Answers("Alex", "a nurse who loves hiking", voice=VoicePreference.FEMININE),
    Answers("Theo", "a writer who likes quiet mornings"),
)
CATEGORIES = ("recall", "json_naming", "small_talk", "persona")


def prompt(item: ChatItem) -> list[ChatMessage]:
    older: list[ChatMessage] = []
    if item.with_dialogue:
        for said, answered in DIALOGUE:
            older += [ChatMessage(Role.USER, said), ChatMessage(Role.ASSISTANT, answered)]
    # As the engine lays it out now: a time note where the sitting opens, then the dialogue.
    return [ChatMessage(Role.SYSTEM, persona_prompt(PROFILE)), ChatMessage(Role.SYSTEM, time_note(NOW, None)),
            *older, ChatMessage(Role.USER, item.ask)]


async def run_chat_item(llm: RecordingLLM, item: ChatItem, max_tokens: int) -> dict[str, Any]:
    options = GenerationOptions(max_tokens=max_tokens, temperature=TEMPERATURE)
    timing = await timed(llm.stream(prompt(item), options))
    tokens = await llm.count_tokens(timing.text) if timing.text else 0
    return {"category": item.category, "ask": item.ask, "pass": item.check(timing.text),
            "reply": timing.text.strip()[:400], "ttft_ms": round(timing.ttft_ms, 1),
            "reply_ms": round(timing.total_ms, 1), "completion_tokens": tokens,
            "gen_s": (timing.last or 0) - (timing.first or 0)}


async def run_naming_item(llm: RecordingLLM, answers: Answers) -> dict[str, Any]:
    llm.json_calls = 0
    start = time.monotonic()
    name, reason, source = await choose_name(llm, answers)
    return {"category": "json_naming", "ask": f"choose_name for {answers.user_name}",
            "pass": source == "llm" and llm.json_calls == 1, "reply": f"{name}: {reason}",
            "source": source, "attempts": llm.json_calls, "reply_ms": round((time.monotonic() - start) * 1000, 1)}


async def run_suite(llm: RecordingLLM, max_tokens: int) -> list[dict[str, Any]]:
    rows = []
    for item in CHAT_ITEMS:
        rows.append(await run_chat_item(llm, item, max_tokens))
        print(f"  {item.category:10s} {rows[-1]['pass']!s:5s} {rows[-1]['reply'][:70]!r}", file=sys.stderr)
    for answers in NAMING:
        rows.append(await run_naming_item(llm, answers))
        print(f"  json_naming {rows[-1]['pass']!s:5s} {rows[-1]['reply'][:70]!r}", file=sys.stderr)
    return rows


def summarise(model_id: str, rows: list[dict[str, Any]], repeats: int) -> dict[str, Any]:
    chat = [r for r in rows if r["category"] != "json_naming"]
    naming = [r for r in rows if r["category"] == "json_naming"]
    gen_s = sum(r["gen_s"] for r in chat)
    scores = {}
    for category in CATEGORIES:
        picked = [r["pass"] for r in rows if r["category"] == category]
        scores[category] = f"{sum(picked)}/{len(picked)}"
    passed = sum(r["pass"] for r in rows)
    return {
        "model": model_id,
        "repeats": repeats,
        "scores": scores,
        "total": f"{passed}/{len(rows)}",
        "total_fraction": round(passed / len(rows), 3),
        "mean_reply_ms": round(sum(r["reply_ms"] for r in chat) / len(chat), 1),
        "mean_ttft_ms": round(sum(r["ttft_ms"] for r in chat) / len(chat), 1),
        "gen_tokens_per_s": round(sum(r["completion_tokens"] for r in chat) / gen_s, 2) if gen_s else None,
        "json_naming_mean_ms": round(sum(r["reply_ms"] for r in naming) / len(naming), 1),
        "items": [{k: v for k, v in r.items() if k != "gen_s"} for r in rows],
    }


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=",".join(PACKAGED), help="comma-separated model ids")
    ap.add_argument("--repeats", type=int, default=1, help="run the suite N times per model")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--n-ctx", type=int, default=4096)
    ap.add_argument("--max-tokens", type=int, default=96)
    ap.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS_DIR)
    return ap.parse_args()


async def bench_model(model_id: str, path: Path, args: argparse.Namespace) -> dict[str, Any]:
    llm = RecordingLLM(LocalLLM(path, n_threads=args.threads, n_ctx=args.n_ctx))
    rows: list[dict[str, Any]] = []
    try:
        for run in range(args.repeats):
            print(f"{model_id} run {run + 1}/{args.repeats}", file=sys.stderr)
            rows += await run_suite(llm, args.max_tokens)
    finally:
        await llm.aclose()
    return summarise(model_id, rows, args.repeats)


async def main() -> None:
    args = parse_args()
    ids = [m.strip() for m in args.models.split(",") if m.strip()]
    paths, skipped = model_paths(ids, args.models_dir)
    results = []
    with LoadSampler() as load:
        for model_id, path in paths.items():
            results.append(await bench_model(model_id, path, args))
    report = {
        "machine": load.machine(args.threads),
        "command": command_line(),
        "settings": {"temperature": TEMPERATURE, "max_tokens": args.max_tokens, "n_ctx": args.n_ctx},
        "skipped": skipped,
        "results": results,
    }
    print(json.dumps(report, indent=2))
    table = [{**r, **r["scores"]} for r in results]
    columns = ["model", *CATEGORIES, "total", "mean_reply_ms", "mean_ttft_ms", "gen_tokens_per_s",
               "json_naming_mean_ms"]
    print(markdown_table(table, columns), file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
