"""Streaming sentence chunker: LLM deltas in, sentences out, so speech can start before the reply ends.

A period is not always the end of a sentence: "Dr. Smith", "3.5", "J. K. Rowling", "e.g. this" and
"well... maybe" go on. A boundary is only decided once the next non-space character has arrived (a
lowercase word or a digit after it means the sentence goes on), so a sentence is emitted one character
late at most; ``flush`` hands over whatever is left when the stream ends.
"""

from __future__ import annotations

import re

# Words that end with a period without ending the sentence (compared lowercased, without the period).
ABBREVIATIONS = frozenset({
    "dr", "mr", "mrs", "ms", "prof", "st", "sr", "jr", "mt", "vs", "e.g", "i.e", "cf", "approx", "fig", "no",
    "ca", "dept", "est", "ave", "gen", "gov", "lt", "col", "capt", "sgt", "rev", "hon",
})
# End punctuation, closing quotes or brackets, then whitespace: a candidate boundary.
_END = re.compile(r"[.!?…]+[\"'”’)\]]*\s+")
# Where a long first chunk may be cut early, to start speaking sooner.
_CLAUSE = re.compile(r"[,;:—]\s+")
_SPACE = re.compile(r"\s+(?=\S)")  # between two words: the next one has begun


class SentenceChunker:
    """Feed deltas with ``push``; each call returns the sentences completed so far. ``flush`` at the end.

    ``first_clause_words``: the first chunk may end at a comma once it has this many words, because
    the time to the OS's first sound matters more than a natural cut there (0 turns it off).
    ``first_chunk_max_words``: failing a sentence end or such a comma, the first chunk ends after this many
    words anyway, between two words (0 turns it off): a long first sentence with no comma ("The ocean is a
    vast body of water that covers ...") would otherwise keep the OS silent until its end, ~1.5 s at a small
    model's pace on two cores, for one slight pause in its voice.
    """

    def __init__(self, first_clause_words: int = 6, first_chunk_max_words: int = 8) -> None:
        self.first_clause_words = first_clause_words
        self.first_chunk_max_words = first_chunk_max_words
        self._buffer = ""
        self._emitted = 0

    def push(self, delta: str) -> list[str]:
        self._buffer += delta
        out = []
        while (chunk := self._next_chunk()) is not None:
            out.append(chunk)
        return out

    def flush(self) -> list[str]:
        rest, self._buffer = self._buffer.strip(), ""
        if not rest:
            return []
        self._emitted += 1
        return [rest]

    def _next_chunk(self) -> str | None:
        cut = self._sentence_end()
        if cut is None and self._emitted == 0:
            cut = self._first_clause_end() or self._first_words_end()
        if cut is None:
            return None
        chunk, self._buffer = self._buffer[:cut].strip(), self._buffer[cut:].lstrip()
        if not chunk:
            return None
        self._emitted += 1
        return chunk

    def _sentence_end(self) -> int | None:
        """Index just after the first real sentence end in the buffer, or None while undecided."""
        newline = self._buffer.find("\n")
        for match in _END.finditer(self._buffer):
            if 0 <= newline < match.start():
                break
            if match.end() >= len(self._buffer):
                return None  # the next word has not arrived: cannot tell "Dr. Smith" from "... Dr. Then"
            if ends_sentence(self._buffer, match.start(), self._buffer[match.end()]):
                return match.end()
        if newline >= 0 and self._buffer[:newline].strip():
            return newline + 1
        if newline >= 0:
            self._buffer = self._buffer[newline + 1:]  # a blank line: nothing to say
            return self._sentence_end()
        return None

    def _first_clause_end(self) -> int | None:
        for match in _CLAUSE.finditer(self._buffer):
            if len(self._buffer[: match.start()].split()) >= self.first_clause_words > 0:
                return match.end()
        return None


    def _first_words_end(self) -> int | None:
        """Index just after the first ``first_chunk_max_words`` words, once the word after them has begun
        (so the last one is whole); None before that."""
        if self.first_chunk_max_words <= 0:
            return None
        spaces = [m.end() for m in _SPACE.finditer(self._buffer.lstrip())]
        if len(spaces) < self.first_chunk_max_words:
            return None
        return len(self._buffer) - len(self._buffer.lstrip()) + spaces[self.first_chunk_max_words - 1]


def ends_sentence(text: str, end: int, following: str) -> bool:
    """Whether the punctuation starting at ``end`` closes a sentence, given the next non-space character."""
    if following.islower() or following.isdigit():
        return False  # "well... maybe", "No. 5", "e.g. this"
    if text[end] != ".":
        return True
    if text[end: end + 2] == "..":
        return True  # an ellipsis before a capital: a new sentence
    word = text[text.rfind(" ", 0, end) + 1: end].lstrip("(\"“'‘").lower()
    if word in ABBREVIATIONS:
        return False
    return not (len(word) == 1 and word.isalpha())  # an initial: "J. K. Rowling"
