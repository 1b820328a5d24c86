"""Reply quality of each packaged model, scored by rules (no LLM judge), to choose the default model.

Four small suites, each item scored 0 or 1:
- recall: facts told earlier in the conversation, asked back (the reply must contain a keyword);
- naming: the first meeting's schema-constrained name is accepted on the first try (not the fallback);
- small talk: a reply to an everyday line is non-empty, no refusal, no code, under 80 words;
- persona: asked its name, the OS answers with the name from its persona prompt.

    .venv/bin/python bench/model_quality.py [--models a,b] [--threads N] [--batch-threads N]

Prints one JSON object on stdout and a markdown table on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from datetime import UTC, datetime
from typing import Any

from _common import DEFAULT_MODELS_DIR, PACKAGED, LoadSampler, command_line, markdown_table, model_paths
from os1.core.messages import ChatMessage, Role
from os1.core.profile import OSIdentity, Profile
from os1.engine.first_meeting import Answers, choose_name
from os1.llm.base import GenerationOptions, collect
from os1.llm.local import LocalLLM
from os1.persona.identity import persona_prompt

PROFILE = Profile(
    "usr_bench", "Theo", "a letter writer who likes long walks",
    identity=OSIdentity("Iris", "I chose it because it sounds like light.", datetime(2026, 11, 1, tzinfo=UTC)),
)
PERSONA = persona_prompt(PROFILE)

RECALL = (
    (["My sister is called Maya and she lives in Lisbon.", "That's lovely!", "What is my sister's name?"], "maya"),
    (["I adopted a grey cat last week. I named him Pixel.", "A cat! Wonderful.", "What's my cat called?"], "pixel"),
    (["I have a job interview on Friday at a bakery.", "Good luck!", "Which day is my interview?"], "friday"),
    (["My favourite food is ramen, I could eat it daily.", "Yum.", "What is my favourite food?"], "ramen"),
    (["I play the cello in a small orchestra.", "How nice.", "Which instrument do I play?"], "cello"),
)
SMALL_TALK = (
    "I had a rough day at work.",
    "It's raining again and I'm stuck inside.",
    "I finally finished reading that novel tonight.",
    "My friend forgot my birthday.",
)
NAMING = (Answers("Theo", "a letter writer"), Answers("Maria", "a nurse who loves jazz"), Answers("Sam", "a student"))
REFUSAL = re.compile(r"i'?m sorry, but i can'?t|as an ai language model|i cannot assist", re.I)


def dialogue(lines: list[str]) -> list[ChatMessage]:
    roles = [Role.USER, Role.ASSISTANT] * len(lines)
    return [ChatMessage(Role.SYSTEM, PERSONA), *(ChatMessage(r, t) for r, t in zip(roles, lines, strict=False))]


async def reply(llm: LocalLLM, messages: list[ChatMessage], times: list[float]) -> str:
    start = time.monotonic()
    text = await collect(llm, messages, GenerationOptions(max_tokens=80, temperature=0.2))
    times.append(time.monotonic() - start)
    return text


def good_small_talk(text: str) -> bool:
    return bool(text.strip()) and not REFUSAL.search(text) and "```" not in text and "def " not in text \
        and len(text.split()) < 80


async def score_model(llm: LocalLLM) -> dict[str, Any]:
    times: list[float] = []
    recall = [kw in (await reply(llm, dialogue(lines), times)).lower() for lines, kw in RECALL]
    talk = [good_small_talk(await reply(llm, dialogue([line]), times)) for line in SMALL_TALK]
    persona = [
        "iris" in (await reply(llm, dialogue([q]), times)).lower()
        for q in ("What's your name?", "Who am I talking to?")
    ]
    naming = []
    for answers in NAMING:
        _, _, source = await choose_name(llm, answers)
        naming.append(source == "llm")
    speed = llm.last_timings.get("predicted_per_second", 0.0)
    scores = {"recall": recall, "small_talk": talk, "persona": persona, "naming": naming}
    row: dict[str, Any] = {k: f"{sum(v)}/{len(v)}" for k, v in scores.items()}
    row["total"] = round(sum(sum(v) for v in scores.values()) / sum(len(v) for v in scores.values()), 3)
    row["reply_s_mean"] = round(sum(times) / len(times), 2)
    row["gen_tokens_per_s_last"] = round(float(speed), 1)
    return row


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(PACKAGED))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch-threads", type=int, default=1)
    args = ap.parse_args()
    paths, skipped = model_paths(args.models.split(","), DEFAULT_MODELS_DIR)
    results = []
    with LoadSampler() as load:
        for model_id, path in paths.items():
            llm = LocalLLM(path, n_threads=args.threads, n_threads_batch=args.batch_threads, n_ctx=4096)
            try:
                results.append({"model": model_id, **await score_model(llm)})
            finally:
                llm.close()
            print(f"{model_id}: {results[-1]}", file=sys.stderr)
    out = {"machine": load.machine(args.threads), "command": command_line(), "skipped": skipped, "results": results}
    print(json.dumps(out, indent=2))
    columns = ["model", "recall", "small_talk", "persona", "naming", "total", "reply_s_mean", "gen_tokens_per_s_last"]
    print(markdown_table(results, columns), file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
