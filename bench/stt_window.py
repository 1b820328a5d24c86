"""Whisper's encoder window: transcription time and errors for a window just longer than the speech, by the
window's minimum length, against the full 30 s window faster-whisper always uses.

    .venv/bin/python bench/stt_window.py [/tmp/os1-utt/*.wav] > bench/results/stt_window.json

Clips: short sentences spoken by hibari (the OS's voice, so the run needs no extra), each cut right after
the last word, with 0.3 s and with 1.2 s of silence after it, plus any WAVs given (with FILE.txt beside
each, as ``voice_latency.py --make-utterances`` writes them). Each clip is transcribed once per window;
"looped" counts transcripts where the decoder repeated itself (what short windows provoke). Whisper runs
on one thread, as in ``os1 talk``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import numpy as np

import os1.voice.stt as stt_module
from _common import LoadSampler, command_line, percentile
from os1.voice import create_stt, create_tts
from os1.voice.audio import SPEECH_RATE, concat, read_wav, silence
from voice_latency import word_error_rate, words

SENTENCES = ("What is the capital of France?", "Hello there, this is a test.", "Stop, please wait.",
             "Do you like music?", "My sister is coming to visit this weekend.", "Yes.", "No, not really.",
             "I went for a walk in the park with my dog.",
             "Tell me a story about a dragon and a knight who become friends after a long war.")
MIN_WINDOWS_S = (0.0, 5.0, 8.0, 10.0, 15.0)


async def clips(wavs: list[Path]) -> list[tuple[str, np.ndarray]]:
    tts = create_tts("hibari")
    made = []
    for text in SENTENCES:
        spoken = (await tts.synthesize(text)).at_rate(SPEECH_RATE)
        for after in (0.0, 0.3, 1.2):
            made.append((text, concat([silence(0.4), spoken, silence(after)], SPEECH_RATE).samples))
    for path in wavs:
        made.append((path.with_suffix(".txt").read_text().strip(), read_wav(path).at_rate(SPEECH_RATE).samples))
    return made


def looped(reference: str, heard: str) -> bool:
    return len(words(heard)) >= 2 * len(words(reference)) > 0


def measure(stt: stt_module.WhisperSTT, made: list[tuple[str, np.ndarray]], window: str) -> dict[str, object]:
    times, pairs = [], []
    for reference, samples in made:
        started = time.perf_counter()
        if window == "full":
            heard = stt._transcribe_full(samples)
        else:
            stt_module.SHORT_WINDOW_MIN_S = float(window)
            heard = stt._transcribe_short(samples) or ""  # the raw short pass: no fallback to the full window
        times.append((time.perf_counter() - started) * 1000)
        pairs.append((reference, heard))
    return {"window_min_s": window, "n": len(made), "ms_p50": round(percentile(times, 50), 1),
            "ms_p95": round(percentile(times, 95), 1), "wer": round(word_error_rate(pairs), 4),
            "looped": sum(looped(r, h) for r, h in pairs),
            "wrong": sum(words(r) != words(h) for r, h in pairs)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("wavs", nargs="*", type=Path, help="more clips, with FILE.txt beside each")
    args = ap.parse_args()
    stt = create_stt("whisper", threads=1)
    assert isinstance(stt, stt_module.WhisperSTT)
    made = asyncio.run(clips(args.wavs))
    stt._transcribe_full(made[0][1])  # load and warm once
    with LoadSampler() as load:
        rows = [measure(stt, made, "full"), *(measure(stt, made, str(w)) for w in MIN_WINDOWS_S)]
    for row in rows:
        print(row, file=sys.stderr)
    print(json.dumps({"results": rows, "machine": load.machine(threads=1), "command": command_line()}, indent=2))


if __name__ == "__main__":
    main()
