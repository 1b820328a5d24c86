"""Echo cancellation (voice_echo_cancel): the OS's reply plays through a simulated room into the microphone
while the user talks over its end; the canceller is fed in real time order, as `os1 talk` (the sound card)
and `os1 serve` (the voice sent LEAD_MS ahead) feed it. "off" is the baseline in the same run.

    .venv/bin/python bench/echo_cancel.py [--delays 40 150] [--gain 0.3]

Per canceller, path and echo delay: echo_reduction_db (echo-only stretch after the first second),
converging_db (the reply's first second), user_kept_db (cleaned vs the user's own voice while both talk;
0 is all of it), user_wer (Whisper tiny.en on the double-talk stretch), and the CPU cost per 10 ms
microphone frame while the OS speaks; server_asleep_cpu_ms_per_frame is a server connection's cost
between replies. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
from datetime import UTC, datetime
from typing import Any

import numpy as np

from _common import command_line, cpu_model
from os1.server.voice_ws import LEAD_MS
from os1.testing.room import echo_of, mix, run_through
from os1.voice import create_echo_canceller, create_stt, create_tts
from os1.voice.audio import SPEECH_RATE, Audio, Samples
from os1.voice.base import STT

REPLY = ("Paris has many famous places to visit. The Louvre holds thousands of paintings. "
         "The tower was built for a world fair. The river runs through the middle of the city.")
USER = "Wait, tell me more about the river instead, please."
USER_AT_S = 5.0  # the user starts talking over the reply here...
ECHO_FROM_S = 1.0  # ...and the echo-only stretch is measured from here (the canceller has converged)
PATHS = {"sound card": None, "server socket": LEAD_MS}  # how far ahead of playing the reference is handed over


def energy_db(cleaned: Samples, original: Samples) -> float:
    return float(10 * np.log10(max(float(np.sum(cleaned ** 2)), 1e-12) / max(float(np.sum(original ** 2)), 1e-12)))


def wer(reference: str, hypothesis: str) -> float:
    ref, hyp = (re.sub(r"[^a-z' ]", " ", t.lower()).split() for t in (reference, hypothesis))
    row = list(range(len(hyp) + 1))
    for i, word in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, other in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (word != other))
    return round(row[-1] / max(1, len(ref)), 3)


def measure(name: str, sent_ahead_ms: int | None, reply: Audio, user: Samples, delay_ms: int, gain: float,
            stt: STT) -> dict[str, Any]:
    echo = echo_of(reply, delay_ms, gain)
    at = round(USER_AT_S * SPEECH_RATE)
    mic = Audio(mix(len(echo), (0, echo), (at, user)), SPEECH_RATE)
    canceller = create_echo_canceller(name, sent_ahead_ms)
    started, cpu_started = time.perf_counter(), time.process_time()
    cleaned = run_through(canceller, reply, mic, sent_ahead_ms=sent_ahead_ms).samples
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    cleaned = np.pad(cleaned, (0, max(0, len(mic.samples) - len(cleaned))))
    frames = len(mic.samples) // (SPEECH_RATE // 100)
    first, echo_only, both = (slice(0, SPEECH_RATE), slice(round(ECHO_FROM_S * SPEECH_RATE), at),
                              slice(at, at + len(user)))
    heard = asyncio.run(stt.transcribe(Audio(cleaned[both], SPEECH_RATE)))
    return {
        "canceller": name, "path": next(p for p, ahead in PATHS.items() if ahead == sent_ahead_ms),
        "delay_ms": delay_ms,
        "echo_reduction_db": round(-energy_db(cleaned[echo_only], mic.samples[echo_only]), 1),
        "converging_db": round(-energy_db(cleaned[first], mic.samples[first]), 1),
        "user_kept_db": round(energy_db(cleaned[both], user), 1),
        "user_wer": wer(USER, heard), "user_heard": heard,
        "cpu_ms_per_frame": round(cpu * 1000 / frames, 3), "wall_ms_per_frame": round(wall * 1000 / frames, 3),
    }


def asleep_cost(reply: Audio) -> float:
    """CPU per 10 ms microphone frame on a server connection once the OS has been silent for a while."""
    canceller = create_echo_canceller("livekit", LEAD_MS)
    run_through(canceller, reply, Audio(echo_of(reply, 40), SPEECH_RATE), sent_ahead_ms=LEAD_MS)
    quiet, frames = np.zeros(SPEECH_RATE // 50, np.float32), 3000
    for _ in range(100):  # the echo's tail: the canceller falls asleep after a second
        canceller.captured(Audio(quiet, SPEECH_RATE))
    started = time.process_time()
    for _ in range(frames // 2):
        canceller.captured(Audio(quiet, SPEECH_RATE))
    return round((time.process_time() - started) * 1000 / frames, 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--delays", type=int, nargs="+", default=[40, 150], help="echo delays in ms")
    parser.add_argument("--gain", type=float, default=0.3, help="how loud the echo is (the user is at 1)")
    args = parser.parse_args()
    tts, stt = create_tts("hibari"), create_stt("whisper", threads=1)
    reply = asyncio.run(tts.synthesize(REPLY))
    user = asyncio.run(tts.synthesize(USER)).at_rate(SPEECH_RATE).samples
    runs = [measure(name, ahead, reply, user, delay, args.gain, stt)
            for delay in args.delays for ahead in PATHS.values() for name in ("off", "livekit")]
    print(json.dumps({
        "bench": "echo_cancel", "when": datetime.now(UTC).isoformat(timespec="seconds"), "cpu": cpu_model(),
        "command": command_line(), "echo_gain": args.gain, "reply_s": round(reply.seconds, 2),
        "user_s": round(len(user) / SPEECH_RATE, 2), "server_asleep_cpu_ms_per_frame": asleep_cost(reply),
        "runs": runs,
    }, indent=2))


if __name__ == "__main__":
    main()
