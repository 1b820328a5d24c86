"""A simulated room for echo cancellation tests and the bench: what the microphone hears of the speaker,
and a driver that plays and records in real-time order, as a sound card or the server's socket would."""

from __future__ import annotations

import numpy as np

from os1.voice.audio import SPEECH_RATE, Audio, Samples
from os1.voice.echo import EchoCanceller


def echo_of(played: Audio, delay_ms: int, gain: float = 0.3, rate: int = SPEECH_RATE) -> Samples:
    """The speaker playing ``played`` as the microphone hears it ``delay_ms`` later: quieter, its highs
    dulled (a small speaker, soft furnishings) and with one weaker reflection off a wall 40 ms behind."""
    direct = np.convolve(played.at_rate(rate).samples, [0.55, 0.3, 0.15])[: round(played.seconds * rate)]
    delay, wall = rate * delay_ms // 1000, rate * 40 // 1000
    heard = np.zeros(delay + wall + len(direct), np.float32)
    heard[delay: delay + len(direct)] += gain * direct
    heard[delay + wall: delay + wall + len(direct)] += 0.3 * gain * direct
    return heard


def mix(length: int, *parts: tuple[int, Samples]) -> Samples:
    """Signals added at their start sample into ``length`` samples (cut at the end)."""
    out = np.zeros(length, np.float32)
    for start, samples in parts:
        piece = samples[: max(0, length - start)]
        out[start: start + len(piece)] += piece
    return out


def run_through(canceller: EchoCanceller, played: Audio, mic: Audio, block_ms: int = 20,
                sent_ahead_ms: int | None = None) -> Audio:
    """Play ``played`` and record ``mic`` block by block, as time passes, and return the cleaned microphone.
    ``sent_ahead_ms`` None: a sound card, handing over each block as it plays it (silence after the end);
    else each block is handed over that long before it plays, and nothing after the end (the server)."""
    speaker_block, mic_block = played.rate * block_ms // 1000, mic.rate * block_ms // 1000
    ahead = played.rate * (sent_ahead_ms or 0) // 1000
    canceller.played(Audio(played.samples[:ahead], played.rate))
    cleaned = []
    for i, start in enumerate(range(0, len(mic.samples), mic_block)):
        block = played.samples[ahead + i * speaker_block: ahead + (i + 1) * speaker_block]
        if sent_ahead_ms is None:
            block = np.pad(block, (0, speaker_block - len(block)))
        canceller.played(Audio(block, played.rate))
        cleaned.append(canceller.captured(Audio(mic.samples[start: start + mic_block], mic.rate)).samples)
    return Audio(np.concatenate(cleaned), mic.rate)
