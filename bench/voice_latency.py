"""Voice latency (EVAL.md §3): recorded user utterances go through the real-time voice pipeline (Silero VAD
-> Whisper tiny.en -> the packaged default LLM -> sentence chunker -> hibari) at the wall clock's pace, in
20 ms chunks, and the time from the end of each utterance's speech to the OS's first sample is measured.

    .venv/bin/python bench/voice_latency.py --make-utterances /tmp/utt      # ~20 WAVs + .txt, not the OS's voice
    .venv/bin/python bench/voice_latency.py /tmp/utt/*.wav [--texts refs.json] [--barge-after-s 1.0]

Every utterance after the first is spoken ``--barge-after-s`` into the OS's previous reply (a barge-in;
0 waits for each reply to end instead). A barge-in's stop is the audible one (playback held at the first
strong frames); the gate's confirmation is reported beside it. Reference texts: FILE.txt beside FILE.wav,
or --texts JSON {"FILE.wav": "text"}. Prints one JSON object on stdout, a table of the turns on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import tempfile
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from _common import DEFAULT_MODELS_DIR, LoadSampler, command_line, markdown_table, model_paths, percentile
from os1.config import Settings, load_settings
from os1.core.messages import ChatMessage
from os1.core.profile import OSIdentity
from os1.engine.paced import PacedMicrophone, PacedOutput
from os1.engine.realtime import RealtimeConversation, TurnMarks
from os1.engine.runtime import build_memory, care_guard, turn_hooks
from os1.engine.session import Session, SessionConfig
from os1.engine.voice import Voices
from os1.llm.base import GenerationOptions
from os1.llm.local import LocalLLM
from os1.llm.quiet import lanes
from os1.memory.episodes import Utterance as Said
from os1.memory.service import Memory
from os1.storage.sqlite import open_store
from os1.voice import create_stt, create_tts, create_vad
from os1.voice.audio import SPEECH_RATE, Audio, Samples, concat, read_wav, silence, write_wav
from os1.voice.base import TTS
from os1.voice.stream import PlaybackBuffer
from os1.voice.turns import TurnConfig

N_CTX = 4096
USER_VOICES = ("piper", "flite", "espeak-ng")  # never hibari: that is the OS's own voice
UTTERANCES = (
    "Hi, how are you doing today?",
    "I had a really long day at work.",
    "Can you remind me what we talked about yesterday?",
    "My sister is coming to visit this weekend.",
    "What should I cook for dinner tonight?",
    "I think I need a break from my phone.",
    "Tell me something interesting about the ocean.",
    "I'm feeling a bit nervous about my interview.",
    "Do you like music?",
    "The weather was lovely this morning.",
    "I went for a walk in the park with my dog.",
    "What is a good book to read before bed?",
    "Sometimes I find it hard to fall asleep.",
    "My friend Sarah got a new job in London.",
    "Can you help me plan a quiet weekend?",
    "I forgot to call my mother again.",
    "What do you think makes a good friend?",
    "I'm learning to play the guitar.",
    "That sounds like a great idea.",
    "Thanks for listening, I feel better now.",
)
# --hooks: what the user told the OS in an earlier conversation, for memory to recall.
EARLIER = (
    "My dog Max is a three year old beagle who loves the park.",
    "My sister Emma lives in Leeds and we talk every Sunday.",
    "I work as a nurse at the city hospital, mostly night shifts.",
    "I have a job interview at the library next Tuesday.",
    "My mother likes it when I call her after work.",
    "I started guitar lessons last month, it's hard on my fingers.",
    "Sarah has been my best friend since school.",
    "I can't sleep well when I look at my phone in bed.",
)
LEAD_S, TRAIL_S = 0.4, 1.5
# Speech is where 10 ms windows reach this share of the loudest window's RMS (and an absolute floor).
VOICED_SHARE, VOICED_FLOOR = 0.05, 0.003
POLL_S = 0.005
STEPS = ("endpoint", "stt_final", "llm_first_token", "first_sentence", "tts_first_chunk", "playback_start")


@dataclass
class Utterance:
    name: str
    samples: Samples  # 16 kHz
    text: str
    first_voiced: int  # sample indices of the speech inside the recording
    last_voiced: int


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("wavs", nargs="*", type=Path, help="16 kHz user utterances with trailing silence")
    ap.add_argument("--texts", type=Path, help='JSON {"file.wav": "reference text"} (else FILE.txt beside FILE.wav)')
    ap.add_argument("--make-utterances", type=Path, metavar="DIR", help="synthesize the utterances into DIR and stop")
    ap.add_argument("--model", default=Settings.model_fields["model"].default, help="catalog id of the LLM")
    ap.add_argument("--threads", type=int, default=1, help="CPU threads of the LLM (and of Whisper)")
    ap.add_argument("--threads-batch", type=int, help="CPU threads of the LLM reading prompts (default: --threads)")
    ap.add_argument("--max-tokens", type=int, default=96)
    ap.add_argument("--hooks", action="store_true",
                    help="run every turn through the care check and the turn hooks of `os1 talk` (memory, mood, "
                    "...), with a few memories from an earlier conversation to recall (default: the bare turn)")
    ap.add_argument("--slots", type=int, default=1,
                    help="replies the model writes at once (2: background learning does not hold up a turn)")
    ap.add_argument("--learn-after-quiet-s", type=float,
                    default=Settings.model_fields["voice_learn_after_quiet_s"].default,
                    help="with --hooks: the hooks' own model work waits for a lull this long, as in `os1 talk` "
                    "(0: at once)")
    ap.add_argument("--pause-ms", type=int, default=TurnConfig().pause_ms,
                    help="silence after which the words so far are transcribed (and the reply written ahead)")
    ap.add_argument("--no-write-ahead", action="store_true",
                    help="at a pause only read the reply's prompt ahead, do not write the reply (as before)")
    ap.add_argument("--barge-after-s", type=float, default=1.0)
    ap.add_argument("--timeout-s", type=float, default=30.0, help="give up on a reply after this long")
    ap.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS_DIR)
    return ap.parse_args()


# -- utterances ------------------------------------------------------------------------------------------
def user_voice() -> TTS:
    """A voice other than the OS's: piper when the extra is installed, else the flite / espeak-ng programs."""
    for name in USER_VOICES:
        try:
            return create_tts(name)
        except Exception as exc:
            print(f"user voice {name}: {exc}", file=sys.stderr)
    sys.exit("no second voice for the user: `pip install -e '.[piper]'` (GPL) or `apt-get install flite`")


async def make_utterances(folder: Path) -> None:
    voice = user_voice()
    folder.mkdir(parents=True, exist_ok=True)
    for i, text in enumerate(UTTERANCES, 1):
        spoken = (await voice.synthesize(text)).at_rate(SPEECH_RATE)
        write_wav(folder / f"{i:02d}.wav", concat([silence(LEAD_S), spoken, silence(TRAIL_S)], SPEECH_RATE))
        (folder / f"{i:02d}.txt").write_text(text + "\n")
    print(json.dumps({"made": len(UTTERANCES), "folder": str(folder), "voice": voice.name}))


def voiced_span(samples: Samples, rate: int = SPEECH_RATE) -> tuple[int, int]:
    """First and last voiced sample, by 10 ms windows' loudness (the files are clean synthesized speech)."""
    window = rate // 100
    count = len(samples) // window
    rms = np.sqrt(np.mean(np.square(samples[: count * window].reshape(count, window)), axis=1))
    voiced = np.flatnonzero(rms >= max(VOICED_FLOOR, VOICED_SHARE * float(rms.max(initial=0.0))))
    if len(voiced) == 0:
        raise SystemExit("an utterance holds no speech")
    return int(voiced[0]) * window, int(voiced[-1] + 1) * window - 1


def load_utterances(paths: list[Path], texts_file: Path | None) -> list[Utterance]:
    texts = json.loads(texts_file.read_text()) if texts_file else {}
    found = []
    for path in paths:
        text = texts.get(path.name) or texts.get(str(path))
        if text is None:
            sidecar = path.with_suffix(".txt")
            text = sidecar.read_text().strip() if sidecar.is_file() else None
        if text is None:
            raise SystemExit(f"no reference text for {path}: add {path.with_suffix('.txt')} or --texts")
        samples = read_wav(path).at_rate(SPEECH_RATE).samples
        found.append(Utterance(path.name, samples, text, *voiced_span(samples)))
    return found


# -- word error rate ---------------------------------------------------------------------------------------
def words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]", " ", text.lower().replace("’", "'")).split()


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def word_error_rate(pairs: list[tuple[str, str]]) -> float:
    """Corpus WER: all edits over all reference words."""
    edits = sum(edit_distance(words(ref), words(hyp)) for ref, hyp in pairs)
    return edits / max(1, sum(len(words(ref)) for ref, _ in pairs))


# -- the conversation ---------------------------------------------------------------------------------------
class TimedLLM(LocalLLM):
    """Keeps llama.cpp's timings of each reply that ran to its end (not warm-ups), by the user's words: how
    much prompt the turn still had to read (``prompt_n``), and how long that took."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.replies: dict[str, dict[str, Any]] = {}

    async def stream(self, messages: Sequence[ChatMessage], options: GenerationOptions) -> AsyncGenerator[str, None]:
        async for delta in super().stream(messages, options):
            yield delta
        if options.max_tokens > 1 and messages:
            self.replies[messages[-1].content] = dict(self.last_timings)


async def open_session(home: Path, llm: LocalLLM, max_tokens: int, hooks: bool,
                       learn_after_quiet_s: float) -> tuple[Session, Any]:
    store = open_store(home / "os1.db")
    user = await store.users.local_user()
    profile = await store.profiles.get(user.id)
    identity = OSIdentity("Iris", "it sounded calm and bright to me.", datetime.now(UTC))
    await store.profiles.save(replace(profile, user_name="Alex", identity=identity))
    config = SessionConfig(n_ctx=N_CTX, max_reply_tokens=max_tokens)
    if not hooks:
        return await Session.open(store, llm, user.id, config), store
    # No deliberate pause to think after a hard message: it is a choice of the OS, not latency to measure.
    settings = load_settings(home=home, reflect_pause_s=0)
    talking, learning = lanes(llm, learn_after_quiet_s)  # as `os1 talk` opens its companion
    memory = build_memory(settings, store, learning)
    if memory is not None:
        await remember_earlier(memory, store, user.id)
    session = await Session.open(store, talking, user.id, config, new_conversation=True, care=care_guard(settings),
                                 hooks=turn_hooks(settings, store, learning, memory))
    return session, store


async def remember_earlier(memory: Memory, store: Any, user_id: str) -> None:
    """An earlier conversation for the hooks to recall from (the bench's own turns are in the prompt already)."""
    earlier = await store.conversations.create(user_id)
    at = datetime.now(UTC) - timedelta(days=3)
    await memory.remember(user_id, [Said(text, "Alex", at, f"earlier-{i}", earlier.id)
                                    for i, text in enumerate(EARLIER)])
    await memory.settle(user_id)


async def warm_up(voices: Voices, llm: LocalLLM, session: Session, sample: Utterance) -> None:
    """Load and warm every model once, as live mode does at start, so the first turn is not a cold start."""
    await voices.stt.transcribe(Audio(sample.samples, SPEECH_RATE))
    await voices.tts.synthesize("Hello there.")
    await llm.warm(await session.warm_prefix())
    voices.vad.reset()


async def until(condition: Any, limit_s: float) -> bool:
    deadline = asyncio.get_running_loop().time() + limit_s
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(POLL_S)
    return True


class Dialogue:
    """Speaks the utterances into the paced microphone, one per turn, and notes what happened."""

    def __init__(self, conversation: RealtimeConversation, mic: PacedMicrophone, args: argparse.Namespace) -> None:
        self.conversation = conversation
        self.mic = mic
        self.args = args
        self.turns: list[TurnMarks] = []
        conversation.on_turn = self.turns.append

    async def run(self, utterances: list[Utterance]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        answer: TurnMarks | None = None
        await asyncio.sleep(0.5)
        for utterance in utterances:
            barge = await self._wait_for_floor(answer)
            row, answer = await self._turn(utterance, answer if barge else None)
            rows.append(row)
            print(f"  {utterance.name}: {row.get('latency_ms', 'no reply')} ms, barge-in "
                  f"{row.get('barge_in_stop_ms', '-')} ms, heard {row['transcript']!r}", file=sys.stderr)
        await until(lambda: answer is None or answer.ended or self._os_spoke_for(self.args.barge_after_s),
                    self.args.timeout_s)
        self._note_prompt_reading(rows)
        return rows

    def _note_prompt_reading(self, rows: list[dict[str, Any]]) -> None:
        """How much prompt each reply still had to read, and how long it took, where the reply ran to its end
        (``--barge-after-s 0``: then every one does)."""
        replies = getattr(self.conversation.session.llm, "replies", {})
        for row in rows:
            read = replies.get(row.pop("answered", None), {})
            row["prompt_read"], row["prompt_read_ms"] = read.get("prompt_n"), read.get("prompt_ms")

    def _os_spoke_for(self, seconds: float) -> bool:
        speaker = self.conversation.speaker
        return speaker.played >= seconds * speaker.rate

    async def _wait_for_floor(self, answer: TurnMarks | None) -> bool:
        """Wait until it is time to speak: into the reply (a barge-in) or after it. True for a barge-in."""
        if answer is None or answer.ended:
            return False
        limit = self.args.timeout_s
        if self.args.barge_after_s > 0:
            await until(lambda: answer.ended or self._os_spoke_for(self.args.barge_after_s), limit)
            return not answer.ended
        await until(lambda: answer.ended, limit)
        return False

    async def _turn(self, utterance: Utterance, cut: TurnMarks | None) -> tuple[dict[str, Any], TurnMarks | None]:
        start = await self.mic.say(utterance.samples)
        voice_start = self.mic.time_of(start + utterance.first_voiced)
        voice_end = self.mic.time_of(start + utterance.last_voiced + 1)
        row: dict[str, Any] = {"file": utterance.name, "reference": utterance.text}
        if cut is not None:
            await until(lambda: cut.ended, self.args.timeout_s)
            row["barge_in_stop_ms"] = ms(cut.ducked_at or cut.interrupted_at, voice_start)
            row["barge_in_confirm_ms"] = ms(cut.interrupted_at, voice_start)
        answer = await self._answer_to(voice_start, voice_end)
        row["transcript"] = self._transcript(voice_start, answer)
        if answer is not None and answer.first_played is not None:
            row.update(timings(answer, voice_end))
            row["speculated"] = answer.speculated
            row["written_ahead"] = answer.written_ahead
            row["answered"] = answer.text
            row["first_chunk"] = answer.first_chunk
        return row, answer

    def _transcript(self, voice_start: float, answer: TurnMarks | None) -> str:
        """What was heard of the utterance: every turn since its speech began, up to the one answered (the
        VAD may have cut one utterance into two turns)."""
        heard = []
        for marks in self.turns:
            if marks.end_of_turn > voice_start and marks.text:
                heard.append(marks.text)
            if marks is answer:
                break
        return " ".join(heard)

    async def _answer_to(self, voice_start: float, voice_end: float) -> TurnMarks | None:
        """The turn that ends after the utterance's speech, once its first sample played (or it gave up)."""
        def answered() -> TurnMarks | None:
            late = [m for m in self.turns if m.end_of_turn > voice_end]
            return late[0] if late and (late[0].first_played is not None or late[0].ended) else None

        await until(lambda: answered() is not None, self.args.timeout_s)
        return answered()


def ms(later: float | None, earlier: float | None) -> float | None:
    return None if later is None or earlier is None else round((later - earlier) * 1000, 1)


def timings(marks: TurnMarks, voice_end: float) -> dict[str, Any]:
    points = [voice_end, marks.end_of_turn, marks.transcript, marks.first_token, marks.first_sentence,
              marks.first_audio, marks.first_played]
    steps = {step: ms(b, a) for step, a, b in zip(STEPS, points[:-1], points[1:], strict=True)}
    return {"latency_ms": ms(marks.first_played, voice_end), **steps}


async def converse(utterances: list[Utterance], llm: LocalLLM, voices: Voices, args: argparse.Namespace
                   ) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="os1-bench-home-") as home:
        os.environ["OS1_HOME"] = home
        session, store = await open_session(Path(home), llm, args.max_tokens, args.hooks, args.learn_after_quiet_s)
        try:
            await warm_up(voices, llm, session, utterances[0])
            mic = PacedMicrophone()
            conversation = RealtimeConversation(session, voices, PlaybackBuffer(voices.tts.rate),
                                                TurnConfig(pause_ms=args.pause_ms), write_ahead=not args.no_write_ahead)
            output = asyncio.create_task(PacedOutput(conversation.speaker).run())
            listening = asyncio.create_task(conversation.run(mic.chunks()))
            try:
                rows = await Dialogue(conversation, mic, args).run(utterances)
            finally:
                mic.close()
                await listening
                output.cancel()
            await session.drain()
            print(f"  playback held and resumed (not a barge-in): {conversation.false_ducks}", file=sys.stderr)
            return rows
        finally:
            await store.close()


# -- report -------------------------------------------------------------------------------------------------
def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    answered = [r for r in rows if "latency_ms" in r]
    latency = [r["latency_ms"] for r in answered]
    barge = [r["barge_in_stop_ms"] for r in rows if r.get("barge_in_stop_ms") is not None]
    confirm = [r["barge_in_confirm_ms"] for r in rows if r.get("barge_in_confirm_ms") is not None]

    def p(values: list[float], q: float) -> float | None:
        return round(percentile(values, q), 1) if values else None

    return {
        "n": len(answered),
        "unanswered": len(rows) - len(answered),
        "p50_ms": p(latency, 50),
        "p95_ms": p(latency, 95),
        "breakdown_ms": {s: p([r[s] for r in answered], 50) for s in STEPS},
        "breakdown_ms_p95": {s: p([r[s] for r in answered], 95) for s in STEPS},
        "barge_in_n": len(barge),
        "barge_in_stop_ms_p50": p(barge, 50),
        "barge_in_stop_ms_p95": p(barge, 95),
        "barge_in_confirm_ms_p50": p(confirm, 50),
        "barge_in_confirm_ms_p95": p(confirm, 95),
        "speculated": sum(bool(r.get("speculated")) for r in answered),
        "written_ahead": sum(bool(r.get("written_ahead")) for r in answered),
        "wer": round(word_error_rate([(r["reference"], r["transcript"]) for r in rows]), 4),
    }


def vars_of(config: TurnConfig) -> dict[str, Any]:
    names = ("pause_ms", "complete_silence_ms", "endpoint_silence_ms", "unfinished_extra_ms", "duck_ms", "barge_in_ms")
    return {name: getattr(config, name) for name in names}


async def main() -> None:
    args = parse_args()
    if args.make_utterances:
        await make_utterances(args.make_utterances)
        return
    if not args.wavs:
        sys.exit("give user utterances (WAV files), or make them with --make-utterances DIR")
    utterances = load_utterances(args.wavs, args.texts)
    paths, skipped = model_paths([args.model], args.models_dir)
    if not paths:
        sys.exit(f"model {args.model}: {skipped.get(args.model)}")
    voices = Voices(create_vad("silero"), create_stt("whisper", threads=args.threads), create_tts("hibari"))
    llm = TimedLLM(paths[args.model], n_threads=args.threads, n_threads_batch=args.threads_batch or args.threads,
                   n_ctx=N_CTX, n_parallel=args.slots)
    try:
        with LoadSampler() as load:
            rows = await converse(utterances, llm, voices, args)
    finally:
        await llm.aclose()
    report = {
        **summarise(rows),
        "machine": load.machine(args.threads),
        "command": command_line(),
        "settings": {"model": args.model, "threads_batch": args.threads_batch or args.threads,
                     "max_tokens": args.max_tokens, "barge_after_s": args.barge_after_s,
                     "write_ahead": not args.no_write_ahead, "hooks": args.hooks,
                     "learn_after_quiet_s": args.learn_after_quiet_s if args.hooks else None,
                     "slots": args.slots,
                     "voices": {"vad": voices.vad.name, "stt": voices.stt.name, "os": voices.tts.name},
                     "chunk_ms": 20, "output_block_ms": 20, "turns": vars_of(TurnConfig(pause_ms=args.pause_ms))},
        "per_utterance": rows,
    }
    print(json.dumps(report, indent=2))
    columns = ["file", "latency_ms", *STEPS, "speculated", "written_ahead", "barge_in_stop_ms", "barge_in_confirm_ms",
               "transcript"]
    print(markdown_table(rows, columns), file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
