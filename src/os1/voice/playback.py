"""What the user actually heard of a reply, for storing it truncated at a barge-in. Pure bookkeeping."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PlaybackLedger:
    """The reply's spoken chunks in order, each with its length in samples of the played audio."""

    chunks: list[tuple[str, int]] = field(default_factory=list)

    def add(self, text: str, samples: int) -> None:
        self.chunks.append((text, samples))

    @property
    def total_samples(self) -> int:
        return sum(samples for _, samples in self.chunks)

    def heard(self, played_samples: int) -> str:
        """The text spoken in the first ``played_samples``: whole chunks, then the words of the chunk that
        was cut, in proportion to how much of its audio was played (speech runs at a roughly even pace)."""
        said: list[str] = []
        left = played_samples
        for text, samples in self.chunks:
            if left >= samples:
                said.append(text)
                left -= samples
                continue
            words = text.split()
            part = words[: int(len(words) * left / samples)] if samples > 0 else []
            if part:
                said.append(" ".join(part))
            break
        return " ".join(said)
