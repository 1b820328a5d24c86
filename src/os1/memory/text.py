"""Words, keyword queries and entity mentions: the text handling that recall and extraction share."""

from __future__ import annotations

import re
from collections.abc import Iterable


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Function words and chat filler: they match everything, so they only add noise to a keyword query.
STOPWORDS = _wordset(
    """a about above after again against all am an and any are aren't as at be because been before being below
    between both but by can could did do does doing don't down during each few for from further had has have
    having he her here hers herself him himself his how i i'd i'll i'm i've if in into is isn't it it's its
    itself just let's me more most my myself no nor not now of off on once only or other our ours ourselves out
    over own same she should so some such than that that's the their theirs them themselves then there these
    they this those through to too under until up very was wasn't we were what what's when where which while who
    whom why will with would you you'd you'll you're you've your yours yourself yourselves
    also really yeah yes oh hey hi hello wow thanks thank okay ok well like just got get gets getting
    lot lots much many thing things something anything everything one ones way kind sure totally definitely
    pretty super glad great good awesome amazing cool nice love loved lovely"""
)
# Words that start sentences in chat but are not names, for the sentence-start entity rule.
_NOT_NAMES = STOPWORDS | _wordset(
    """hey yeah yes no wow thanks thank oh sure that's what when where why how congrats congratulations
    absolutely totally sounds anyway btw lol haha omg aw awesome great good nice cool"""
)

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’]*")
_CAPITALISED = re.compile(r"\b[A-Z][a-zA-Z'’]+(?:\s+[A-Z][a-zA-Z'’]+)*")
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+|\n)\s*$")


def words(text: str) -> list[str]:
    """Lowercase words, apostrophes normalised, possessive 's dropped ("Ana's" -> "ana")."""
    out = []
    for w in _WORD.findall(text.replace("’", "'")):
        w = w.lower()
        out.append(w[:-2] if w.endswith("'s") else w)
    return out


def content_words(text: str) -> list[str]:
    """Words that carry meaning, in order, without repeats."""
    return list(dict.fromkeys(w for w in words(text) if w not in STOPWORDS and len(w) > 1))


def fts_match(terms: Iterable[str]) -> str:
    """An FTS5 expression matching any of ``terms`` (quoted, so no word is read as an operator)."""
    quoted = [f'"{t}"' for t in terms if t and '"' not in t]
    return " OR ".join(quoted)


def entity_mentions(text: str, known: Iterable[str] = ()) -> list[str]:
    """Names in ``text``, lowercase: capitalised words inside a sentence, or anywhere if already known.

    A capitalised word that opens a sentence is usually just a sentence opening ("Yeah", "Went"), so it
    counts only when it is a name seen before (``known``), e.g. one learned mid-sentence earlier.
    """
    known_set = {k.lower() for k in known}
    found: list[str] = []
    for match in _CAPITALISED.finditer(text):
        phrase = match.group(0).replace("’", "'")
        starts_sentence = bool(_SENTENCE_START.search(text[: match.start()]))
        for name in _split_phrase(phrase, starts_sentence, known_set):
            found.append(name)
    return list(dict.fromkeys(found))


def _split_phrase(phrase: str, starts_sentence: bool, known: set[str]) -> list[str]:
    parts = [p[:-2] if p.lower().endswith("'s") else p for p in phrase.split()]
    if starts_sentence and parts and parts[0].lower() not in known:
        parts = parts[1:]
    names = [p.lower() for p in parts if p.lower() not in _NOT_NAMES and p != "I" and len(p) > 1]
    whole = " ".join(p.lower() for p in parts)
    if len(parts) > 1 and all(p.lower() not in _NOT_NAMES for p in parts):
        names.append(whole)
    return names
