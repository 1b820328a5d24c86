"""Text normalisation for the crisis rules: lowercase, plain quotes, contractions and chat slang expanded,
punctuation dropped, split into clauses. Pure functions, no I/O."""

from __future__ import annotations

import re
import unicodedata

# Emoji that mark laughter; they become the word "lol" so the idiom rules can see them.
_LAUGH = re.compile("[\U0001f602\U0001f923\U0001f480\U0001f606\U0001f639\u2620]")

# Whole-word replacements, applied after lowercasing and before punctuation is dropped.
_WORDS: dict[str, str] = {
    "im": "i am", "i'm": "i am", "ive": "i have", "i've": "i have", "i'd": "i would", "i'll": "i will",
    "dont": "do not", "doesnt": "does not", "didnt": "did not", "cant": "cannot", "can't": "cannot",
    "wont": "will not", "won't": "will not", "isnt": "is not", "arent": "are not", "wasnt": "was not",
    "shouldnt": "should not", "wouldnt": "would not", "couldnt": "could not", "havent": "have not",
    "aint": "am not", "ain't": "am not", "youre": "you are", "you're": "you are", "theyre": "they are",
    "they're": "they are", "they'd": "they would", "we'd": "we would", "you'd": "you would",
    "it's": "it is", "that's": "that is", "thats": "that is", "what's": "what is", "whats": "what is",
    "there's": "there is", "theres": "there is", "he's": "he is", "she's": "she is", "let's": "let us",
    "wanna": "want to", "gonna": "going to", "gotta": "got to", "tryna": "trying to", "kinda": "kind of",
    "u": "you", "ur": "your", "r": "are", "rn": "right now", "tn": "tonight", "2nite": "tonight",
    "tmrw": "tomorrow", "tmr": "tomorrow", "cuz": "because", "coz": "because", "bc": "because",
    "pls": "please", "plz": "please", "ppl": "people", "every1": "everyone", "some1": "someone",
    "kms": "kill myself", "kys": "kill yourself", "unalive": "kill", "unalived": "killed",
    "unaliving": "killing", "sewerslide": "suicide", "suicide's": "suicide", "kil": "kill", "kiling": "killing",
    "myslef": "myself", "mysef": "myself", "selfharm": "self harm", "self-harm": "self harm",
    "sh": "self harm", "od": "overdose", "od'd": "overdosed", "oding": "overdosing", "nothin": "nothing",
    "abt": "about", "idk": "i do not know", "ik": "i know", "srsly": "seriously",
    "cigs": "cigarettes", "tho": "though", "bf": "boyfriend", "gf": "girlfriend",
    "lmao": "lol", "lmfao": "lol", "haha": "lol", "hahaha": "lol", "hehe": "lol", "jk": "lol",
}
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
_WORD = re.compile(r"[a-z0-9äöüßàâçéèêëîïôûùœ']+")
_CLAUSE_BREAK = re.compile(r"[.!?;:\n]+|,?\s+but\s+|,?\s+though\s+|,\s*(?=(?:i|and i)\b)")


def fold(text: str) -> str:
    """Lowercase, Unicode-normalise, plain apostrophes, laughter emoji as ``lol``."""
    t = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES)
    t = _LAUGH.sub(" lol ", t)
    return t.lower()


def _expand(clause: str) -> str:
    words: list[str] = []
    for raw in _WORD.findall(clause):
        w = raw.strip("'")
        if not w:
            continue
        if w in _WORDS:
            words.append(_WORDS[w])
        elif w.endswith("n't"):
            words.append(w[:-3] + " not")
        elif w.endswith("'re"):
            words.append(w[:-3] + " are")
        elif w.endswith("'s") or w.endswith("'d") or w.endswith("'ll") or w.endswith("'ve"):
            words.append(w.split("'")[0])
        else:
            words.append(w.replace("'", ""))
    return " ".join(words)


def clauses(text: str) -> list[str]:
    """The message as normalised clauses (split on sentence ends, ``but``, ``though``)."""
    folded = fold(text)
    parts = (_expand(p) for p in _CLAUSE_BREAK.split(folded))
    return [p for p in parts if p]


def normalise(text: str) -> str:
    """The whole message as one normalised string (clauses joined by `` . ``)."""
    return " . ".join(clauses(text))
