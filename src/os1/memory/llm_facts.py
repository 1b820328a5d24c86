"""Facts from what people say, by the chat model: one schema-constrained JSON call per utterance.

The model finds what patterns miss (any phrasing, facts about the people in the user's life); what it
returns is mapped onto the same keys as ``facts.PatternExtractor`` ("opinion:coffee", "relation:sister:lena",
"home", "plan:interview", ...) so a fact supersedes or merges with one the other extractor found
(``learn.py``). Dates are not left to the model: it copies the time phrase as said ("next month") and
``timeref`` resolves it against when it was said. Model output is never trusted: malformed items are
dropped, items whose words are not in the utterance (copied from the examples, made up) too, and when the
model fails outright the pattern extractor's facts are used instead.
"""

from __future__ import annotations

import calendar
import json
import logging
import re
from datetime import datetime, timedelta
from typing import Any

from os1.core.messages import ChatMessage, Role
from os1.llm.base import LLM, GenerationOptions
from os1.memory.facts import _RELATIONS, Fact, FactExtractor, PatternExtractor, fact_key, relation_key
from os1.memory.text import content_words
from os1.memory.timeref import TimeSpan, resolve

log = logging.getLogger(__name__)

KINDS = ("preference", "relationship", "identity", "plan", "event", "feeling", "habit")
MAX_FACTS = 4  # per utterance; a chat message rarely states more, and each costs ~40 generated tokens
OPTIONS = GenerationOptions(max_tokens=400, temperature=0.0, cache_prompt=True)

_ITEM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "kind": {"type": "string", "enum": list(KINDS)},
        "about": {"type": "string", "maxLength": 40},
        "attribute": {"type": "string", "maxLength": 40},
        "statement": {"type": "string", "maxLength": 160},
        "when": {"type": "string", "maxLength": 40},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
    },
    "required": ["kind", "about", "attribute", "statement", "when", "confidence"],
    "additionalProperties": False,
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"facts": {"type": "array", "items": _ITEM, "maxItems": MAX_FACTS}},
    "required": ["facts"],
    "additionalProperties": False,
}

SYSTEM = """You find lasting facts that a speaker states about themselves and the people in their life, \
for a companion's long-term memory. Reply in JSON: {"facts": [...]}, or {"facts": []} when there are none.
Only what the speaker says is true. No facts from questions, greetings, wishes, "if" or "would" sentences, \
or stories about films and books.
kind: preference (likes or dislikes), relationship (a person or pet and who they are to the speaker), \
identity (home, job, who they are), plan (something in the future), event (something that happened), \
feeling (how the speaker feels), habit (something done regularly).
about: "self", or the name of the other person the fact is about.
attribute: 1 to 3 words from the message: the thing liked, the relation ("sister"), "home", "job", the plan, \
the event, the habit.
statement: one short sentence in the third person that names the speaker.
when: the time words exactly as said ("tomorrow", "last June"), or "".
confidence: from 0 to 1."""

_EXAMPLES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("Speaker: Ana\nMessage: I can't stand olives anymore. My brother Leo is visiting me tomorrow!",
     {"facts": [
         {"kind": "preference", "about": "self", "attribute": "olives", "statement": "Ana dislikes olives",
          "when": "", "confidence": 0.9},
         {"kind": "relationship", "about": "Leo", "attribute": "brother", "statement": "Ana's brother is Leo",
          "when": "", "confidence": 0.95},
         {"kind": "plan", "about": "self", "attribute": "Leo's visit", "statement": "Leo is visiting Ana",
          "when": "tomorrow", "confidence": 0.85},
     ]}),
    ("Speaker: Ana\nMessage: Have you seen Inception? If I were rich I would buy a castle.", {"facts": []}),
)

# Words a model may use for the speaker in "about".
_SELF = {"self", "me", "i", "myself", "user", "the user", "speaker", "the speaker", ""}
# Identity attributes that map onto the pattern extractor's keys.
_HOME = {"home", "lives", "live", "living", "city", "residence", "location", "hometown", "moved", "address"}
_JOB = {"job", "work", "works", "occupation", "profession", "career", "employment", "employer", "works as"}
_DATED = {"plan", "event"}
# Who people are to the speaker: the pattern extractor's relation words, and a few more.
RELATIONS = frozenset(_RELATIONS.split("|")) | {
    "fiancé", "fiancée", "ex", "nephew", "niece", "stepmother", "stepfather", "stepson", "stepdaughter", "puppy",
    "kitten", "pet", "parents", "grandparents", "sibling", "twin", "mentor", "flatmate", "housemate", "classmate",
    "teammate", "spouse", "godmother", "godfather", "in-law", "mother-in-law", "father-in-law"}
_RELATIONS_LONGEST_FIRST = sorted(RELATIONS, key=len, reverse=True)
_NOT_NAMES = {"I", "My", "The", "He", "She", "They", "We", "It", "This", "That", "Her", "His", "Their",
              *calendar.day_name, *calendar.month_name[1:]}
# The frame of a statement ("Ana likes ...", "Ana lives in ..."): says nothing about whether it was said.
_FRAME = {"likes", "dislikes", "lives", "works", "has", "felt", "feels", "plans", "habit", "went", "is", "was",
          "usually", "always", "often", "self", "speaker", "user"}


class LLMExtractor:
    """A ``FactExtractor`` that asks ``llm``; ``fallback`` (the patterns, by default) answers when it fails."""

    name = "llm"

    def __init__(self, llm: LLM, *, fallback: FactExtractor | None = None,
                 options: GenerationOptions = OPTIONS) -> None:
        self.llm = llm
        self.fallback = fallback if fallback is not None else PatternExtractor()
        self.options = options
        self.failures = 0  # calls answered by the fallback, for benches and logs

    async def extract(self, text: str, speaker: str, at: datetime) -> list[Fact]:
        if not text.strip():
            return []
        name = speaker or "the user"
        try:
            data = await self.llm.complete_json(messages(text, name), SCHEMA, self.options)
        except Exception as exc:  # any backend failure: the patterns still work
            return await self._fall_back(text, speaker, at, f"model failed: {exc}")
        raw = data.get("facts") if isinstance(data, dict) else None
        if not isinstance(raw, list):
            return await self._fall_back(text, speaker, at, f"no list of facts in {str(data)[:80]!r}")
        facts: dict[tuple[str, str], Fact] = {}
        said: set[str] = set()
        for item in raw[:MAX_FACTS]:
            fact = to_fact(item, text, speaker, at)
            # A small model repeats one statement under several kinds: the first is its best guess.
            if fact is not None and _statement(item) not in said:
                facts.setdefault((fact.subject, fact.attribute), fact)
                said.add(_statement(item))
        if raw and not facts:
            return await self._fall_back(text, speaker, at, f"no usable fact in {json.dumps(raw)[:120]}")
        return list(facts.values())

    async def _fall_back(self, text: str, speaker: str, at: datetime, why: str) -> list[Fact]:
        self.failures += 1
        log.warning("LLM fact extraction fell back to %s: %s", self.fallback.name, why)
        try:
            return await self.fallback.extract(text, speaker, at)
        except Exception:  # the fallback is the last resort: learning nothing beats failing the turn
            log.exception("fallback fact extraction failed")
            return []


def messages(text: str, speaker: str) -> list[ChatMessage]:
    """The prompt: instructions, two worked examples (one with no facts), then the message."""
    out = [ChatMessage(Role.SYSTEM, SYSTEM)]
    for said, answer in _EXAMPLES:
        out += [ChatMessage(Role.USER, said), ChatMessage(Role.ASSISTANT, json.dumps(answer))]
    out.append(ChatMessage(Role.USER, f"Speaker: {speaker}\nMessage: {text.strip()}"))
    return out


def to_fact(item: Any, text: str, speaker: str, at: datetime) -> Fact | None:
    """One model item as a ``Fact`` keyed like the pattern extractor's, or None when it is malformed,
    empty or not grounded in what was said."""
    if not isinstance(item, dict):
        return None
    kind = _str(item.get("kind")).lower()
    attribute = _str(item.get("attribute"))
    statement = _str(item.get("statement")).rstrip(".")
    if kind not in KINDS or not statement or not (attribute or kind == "feeling"):
        return None
    if not _grounded(attribute, statement, text, speaker):
        return None
    name = speaker or "the user"
    who = speaker.lower() or "user"
    span = _when(_str(item.get("when")), text, at, kind)
    kind, attribute = _repair(kind, attribute, statement, span, at)
    other = _person(_str(item.get("about")), text, name)
    if kind == "relationship":
        key, other = _relation(attribute, _str(item.get("about")), statement, other, text, name)
        if not other:  # like the patterns: a relative mentioned in passing ("my cousin's wedding") is not one
            if span is None:
                return None
            kind = "plan" if span.start > at.date() else "event"
    if kind != "relationship":
        key = _attribute_key(kind, attribute, statement, name)
    if key is None:
        return None
    statement = _third_person(statement, name)
    if span is not None and span.describe() not in statement:
        statement += f" ({span.describe()})"
    elif kind == "feeling" and span is None:  # a feeling is news on the day it was said
        statement += f" ({TimeSpan('', at.date(), at.date() + timedelta(days=1)).describe()})"
    # Facts about another person are that person's (their subject), except how they relate to the speaker.
    subject = who if kind == "relationship" or not other else other.lower()
    entities = tuple(e for e in (other.lower(),) if e and e != subject)
    importance = {"relationship": 0.7, "identity": 0.7, "plan": 0.6, "event": 0.6, "feeling": 0.4}.get(kind, 0.5)
    return Fact(subject, key, statement, _confidence(item.get("confidence")), kind, entities, importance)


def _str(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _statement(item: Any) -> str:
    return _str(item.get("statement")).lower().rstrip(".") if isinstance(item, dict) else ""


_OPINION = re.compile(
    r"\b(?:likes|loves|enjoys|adores|prefers|hates|dislikes|detests|can't stand|cannot stand|is (?:really )?into|"
    r"no longer likes|doesn't like|does not like|doesn't enjoy)\s+(?:to\s+)?(.+)", re.IGNORECASE)
_RELATION_IS = re.compile(r"'s ([a-z]+(?: friend)?) is [A-Z][a-z]+\b")
_OPINION_WORDS = {"love", "like", "likes", "loves", "hate", "hates", "enjoy", "enjoys", "prefer", "prefers",
                  "dislike", "dislikes", "favourite", "favorite", "preference", "opinion"}


def _repair(kind: str, attribute: str, statement: str, span: TimeSpan | None, at: datetime) -> tuple[str, str]:
    """Fix what small models get wrong and the statement or its date shows: "Alex loves jazz" filed as
    identity with the attribute "love"; a plan dated in the past; an event dated in the future."""
    if kind != "relationship" and any(r in RELATIONS for r in _RELATION_IS.findall(statement)):
        return "relationship", attribute  # "Ana's sister is Lena", filed as anything
    liked = _OPINION.search(statement)
    if liked and kind in {"identity", "plan", "event"}:
        kind = "preference"
    if kind == "preference" and liked and set(fact_key(attribute).split()) <= _OPINION_WORDS:
        attribute = re.split(r"[,.;!?]| and | but | because | when ", liked.group(1))[0]
    if span is not None and kind == "plan" and span.end <= at.date():
        kind = "event"
    elif span is not None and kind == "event" and span.start > at.date():
        kind = "plan"
    return kind, attribute


def _confidence(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:  # NaN
        return 0.5
    return min(1.0, max(0.0, float(value)))


def _person(about: str, text: str, speaker: str) -> str:
    """``about`` as another person's name: said, capitalised, in the message, and not a relation word
    (small models put "sister" or "Lena's visit" there), else "" (the speaker)."""
    about = about.strip(" .'")
    if not about or about.lower() in _SELF or about.lower() == speaker.lower() or about.lower() in RELATIONS:
        return ""
    if not about[0].isupper() or not re.search(rf"\b{re.escape(about)}\b", text):
        return ""
    return about


def _relation(attribute: str, about: str, statement: str, person: str, text: str,
              speaker: str) -> tuple[str | None, str]:
    """The key of a relationship and the person's name. The relation word may be in the attribute, in
    "about" or only in the statement; the name in "about" or in the statement ("Ana's sister is Lena")."""
    rel = next((r for part in (attribute, about, statement) for r in _relation_words(part)), "")
    if not person:
        names = [w for w in re.findall(r"\b[A-Z][a-z]+\b", f"{attribute} {about} {statement}")
                 if w.lower() not in RELATIONS and w.lower() != speaker.lower() and w not in _NOT_NAMES
                 and re.search(rf"\b{w}\b", text)]
        person = names[0] if names else ""
    if not rel:
        return None, person
    return relation_key(rel, person), person


def _relation_words(text: str) -> list[str]:
    lowered = text.lower()
    return [r for r in _RELATIONS_LONGEST_FIRST if re.search(rf"\b{re.escape(r)}\b", lowered)]


def _attribute_key(kind: str, attribute: str, statement: str, speaker: str) -> str | None:
    words = attribute.lower().replace("'s ", " ").strip(" .")
    said = statement.lower()
    if not fact_key(f" {words}"):  # only a time phrase ("next tuesday"): what the statement says
        words = re.sub(rf"^{re.escape(speaker.lower())}('s)?\s+", "", said)
    if kind == "feeling":
        return "feeling"
    if kind == "identity":
        if set(words.split()) & _HOME or re.search(r"\b(lives|living|moved|resides) (in|to)\b", said):
            return "home"
        if set(words.split()) & _JOB or re.search(r"\b(works|working) (as|at|for)\b", said):
            return "job"
        return f"identity:{fact_key(words)}" if fact_key(words) else None
    prefix = {"preference": "opinion"}.get(kind, kind)
    return f"{prefix}:{fact_key(words)}" if fact_key(words) else None


def _grounded(attribute: str, statement: str, text: str, speaker: str) -> bool:
    """Some word of the fact (its frame and the speaker's name aside) was said: a 0.5B model copies its
    examples' facts into messages that state none, and makes things up."""
    said = content_words(text)
    mine = set(content_words(f"{attribute} {statement}")) - _FRAME - set(content_words(speaker))
    return any(_same_word(a, b) for a in mine for b in said)


def _same_word(a: str, b: str) -> bool:
    """"run" and "running", "swim" and "swimming", "engaged" and "engagement"."""
    short, long = sorted((a, b), key=len)
    return (len(short) >= 3 and long.startswith(short)) or (len(short) >= 5 and a[:5] == b[:5])


def _when(phrase: str, text: str, at: datetime, kind: str) -> TimeSpan | None:
    """The time the fact refers to: the model's phrase if it was said and can be resolved; for plans and
    events with no usable phrase, the first time phrase in the message itself."""
    if phrase and phrase.lower() in text.lower().replace("’", "'"):
        spans = resolve(phrase, at)
        if spans:
            return spans[0]
    if kind in _DATED:
        spans = resolve(text, at)
        if spans:
            return spans[0]
    return None


_FIRST_PERSON = (
    (re.compile(r"^(?:the user|the speaker|user|speaker)\b", re.IGNORECASE), "{name}"),
    (re.compile(r"^i am\b|^i'm\b", re.IGNORECASE), "{name} is"),
    (re.compile(r"^i\b", re.IGNORECASE), "{name}"),
    (re.compile(r"^my\b", re.IGNORECASE), "{name}'s"),
)


def _third_person(statement: str, name: str) -> str:
    """Small models sometimes answer in the first person ("I love tea") or say "the user"."""
    for pattern, replacement in _FIRST_PERSON:
        if pattern.search(statement):
            return pattern.sub(replacement.format(name=name), statement, count=1)
    return statement
