"""Reading the emotion of a text: valence from VADER, emotions from the NRC emotion lexicon.

Both are lexicons that ship inside their packages, so this works offline and takes about 0.1 ms a text.
NRCLex is fed our own tokens (``load_token_list``): its ``load_raw_text`` tokenises with TextBlob, which
needs NLTK corpora that are downloaded at run time and so fail here.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import cache

from nrclex import NRCLex
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from os1.core.affect import EMOTIONS, NEGATIVE_EMOTIONS, POSITIVE_EMOTIONS, Emotion

# Coarse places of each emotion on Russell's circumplex (1980): anger, fear and surprise are stirred
# states, sadness and trust quiet ones. They order feelings for the OS's mood; they are not measurements.
AROUSAL = {
    "anger": 0.85, "fear": 0.8, "surprise": 0.8, "anticipation": 0.6,
    "joy": 0.65, "disgust": 0.6, "trust": 0.35, "sadness": 0.25,
}
# A text that names no feeling reads as calm.
QUIET_AROUSAL = 0.3
# The packaged NRC list lacks some of the commonest words for feelings ("sad", "scared"); these few are
# added with NRC's own categories.
EXTRA_WORDS: Mapping[str, tuple[str, ...]] = {
    "sad": ("sadness",), "heartbroken": ("sadness",), "tears": ("sadness",), "miss": ("sadness",),
    "alone": ("sadness", "fear"), "scared": ("fear",), "terrified": ("fear",), "stressed": ("fear",),
    "shocked": ("surprise",), "annoyed": ("anger",), "disgusted": ("disgust",), "bored": ("sadness",),
    "thrilled": ("joy", "anticipation"), "great": ("joy",), "awesome": ("joy",), "amazing": ("joy", "surprise"),
    "nice": ("joy",),
}
# How a user's feeling is named in the prompt.
ADJECTIVES = {
    "joy": "happy", "trust": "trusting", "anticipation": "eager", "surprise": "surprised",
    "sadness": "sad", "anger": "angry", "fear": "anxious", "disgust": "disgusted",
}
# Below this |valence| a text reads as neutral, whatever words it uses ("I have a meeting tomorrow").
NEUTRAL_BAND = 0.2
# An emotion word this many tokens after a negation ("not happy at all") does not count.
NEGATION_REACH = 3
_NEGATIONS = frozenset({"not", "no", "never", "nothing", "without", "hardly", "neither", "nor"})
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?")
_CLAUSE_END = re.compile(r"[.,;:!?]+|\bbut\b")
_SUFFIXES = (("ies", "y"), ("ied", "y"), ("ing", ""), ("ing", "e"), ("ed", ""), ("ed", "e"), ("es", ""),
             ("s", ""), ("d", ""))


@cache
def _vader() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()  # reads its lexicon file once (~40 ms)


@cache
def _nrc() -> Mapping[str, list[str]]:
    # None: the bundled JSON itself (the default name would first look for that file in the working folder)
    lexicon: Mapping[str, list[str]] = NRCLex(None).__lexicon__
    return lexicon


def read_emotion(text: str) -> Emotion:
    """The valence, arousal and NRC emotions of ``text``. Pure and deterministic."""
    valence = float(_vader().polarity_scores(text)["compound"])
    found = [c for clause in clauses(text) for c in _emotion_words(clause)]
    shares = emotion_shares(found)
    return Emotion(round(valence, 4), arousal_of(shares), shares)


def arousal_of(shares: Mapping[str, float]) -> float:
    """How stirred a mix of emotions is: each emotion's place on the circumplex, weighted by its share."""
    if not shares:
        return QUIET_AROUSAL
    return round(sum(AROUSAL[e] * share for e, share in shares.items()), 4)


def clauses(text: str) -> list[list[str]]:
    """Lower-case word tokens per clause: a negation reaches no further than a comma or a full stop."""
    parts = _CLAUSE_END.split(text.lower().replace("’", "'"))
    return [words for part in parts if (words := _TOKEN.findall(part))]


def _emotion_words(words: list[str]) -> list[str]:
    """The categories of every emotion word, skipping those just after a negation."""
    found: list[str] = []
    negated_until = -1
    for i, word in enumerate(words):
        if word in _NEGATIONS or word.endswith("n't"):
            negated_until = i + NEGATION_REACH
            continue
        if i > negated_until:
            found.extend(c for c in categories(word) if c in AROUSAL)
    return found


def categories(word: str) -> Iterable[str]:
    """NRC categories of a word, trying a few plain suffix strips when the word itself is not listed
    (a stand-in for lemmatising, which would need NLTK data)."""
    if word in EXTRA_WORDS:
        return EXTRA_WORDS[word]
    lexicon = _nrc()
    if word in lexicon:
        return lexicon[word]
    for suffix, replacement in _SUFFIXES:
        stem = word[: -len(suffix)] + replacement
        if word.endswith(suffix) and len(stem) >= 3 and stem in lexicon:
            return lexicon[stem]
    return ()


def emotion_shares(found: list[str]) -> dict[str, float]:
    """Each emotion's share of the emotion words, largest first (ties in the order of EMOTIONS)."""
    counts = Counter(found)
    total = sum(counts.values())
    if not total:
        return {}
    ordered = sorted(counts, key=lambda e: (-counts[e], EMOTIONS.index(e)))
    return {e: round(counts[e] / total, 4) for e in ordered}


def describe(emotion: Emotion) -> str:
    """One word for how a text sounds: its strongest emotion that agrees with its valence."""
    if abs(emotion.valence) < NEUTRAL_BAND:
        return "neutral"
    agreeing = NEGATIVE_EMOTIONS if emotion.valence < 0 else POSITIVE_EMOTIONS
    top = next((e for e in emotion.emotions if e in agreeing), None)
    if top is not None:
        return ADJECTIVES[top]
    return "low" if emotion.valence < 0 else "upbeat"
