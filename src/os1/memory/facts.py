"""Facts from what people say about themselves, without an LLM: first-person patterns.

"I love hiking" -> likes hiking; "my sister Ana" -> sister: Ana; "I moved to Lyon" -> lives in Lyon;
"I have an interview tomorrow" -> plan, with the date resolved. Works with the tiniest model (or none);
``llm_facts.py`` does the same with a capable LLM. Each fact carries a key (subject, attribute) so a newer
fact with the same key supersedes the older one (``learn.py``), keeping the history.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from os1.memory.timeref import resolve

_ART = r"(?:a |an |the |my |some )?"
_OBJ = r"([a-z0-9][a-z0-9 '\-]{1,48}?)"
_END = r"(?=[.,!?;]| and | but | because | so | with | when |$)"
_RELATIONS = (
    "mother|mom|mum|father|dad|sister|brother|wife|husband|partner|boyfriend|girlfriend|son|daughter|friend|"
    "best friend|boss|colleague|coworker|roommate|grandma|grandmother|grandpa|grandfather|aunt|uncle|cousin|"
    "therapist|doctor|neighbor|neighbour|fiance|fiancee|kid|child|dog|cat"
)
# Relations a person has one of at a time: a new name replaces the old. Others (friends) accumulate.
_SINGLE = {"mother", "mom", "mum", "father", "dad", "wife", "husband", "partner", "boyfriend", "girlfriend", "boss",
           "therapist", "fiance", "fiancee"}
_FEELINGS = (
    "happy|sad|lonely|alone|anxious|stressed|excited|tired|exhausted|depressed|angry|upset|worried|nervous|"
    "overwhelmed|proud|grateful|hopeful|frustrated|bored|scared|calm|content|down|heartbroken|thrilled"
)


@dataclass(frozen=True, slots=True)
class Fact:
    """A fact about ``subject`` (a person's name, lowercase; the user in chat)."""

    subject: str
    attribute: str  # e.g. "opinion:hiking", "relation:sister", "home", "plan:interview"
    text: str  # a sentence a prompt can carry: "Ana loves hiking"
    confidence: float
    kind: str  # preference | relationship | identity | plan | event | feeling | habit
    entities: tuple[str, ...] = ()
    importance: float = 0.5


def _clean(obj: str) -> str:
    return re.sub(r"\s+", " ", obj.strip(" '-")).strip()


_TRAILING = re.compile(
    r"\s+(anymore|any more|these days|nowadays|so much|very much|a lot|lately|now|too|as well|again|"
    r"tomorrow|today|tonight|yesterday|last \w+|next \w+|this \w+|on \w+day|in \w+ \w+|in \w+)$"
)


def fact_key(obj: str) -> str:
    """What a fact is about, normalised so "coffee" and "coffee anymore" are the same key."""
    obj = obj.lower()
    while (m := _TRAILING.search(obj)) is not None:
        obj = obj[: m.start()]
    words = [w for w in obj.split() if w not in {"a", "an", "the", "my", "some", "to", "of", "in"}]
    return " ".join(words[-3:])


@dataclass(frozen=True, slots=True)
class _Rule:
    pattern: re.Pattern[str]
    build: Callable[[re.Match[str], str, str, datetime], Fact | None]


def _opinion(positive: bool) -> Callable[[re.Match[str], str, str, datetime], Fact | None]:
    def build(m: re.Match[str], who: str, name: str, at: datetime) -> Fact | None:
        obj = _clean(m.group(2))
        if not fact_key(obj) or obj.lower() in {"it", "that", "this", "you", "them", "to"}:
            return None
        verb = "likes" if positive else "dislikes"
        return Fact(who, f"opinion:{fact_key(obj)}", f"{name} {verb} {obj}", 0.8, "preference")

    return build


def relation_key(rel: str, person: str) -> str:
    """The key of a relation: per person where people have many ("relation:sister:lena"), else one
    ("relation:boss": a new name replaces the old)."""
    rel = rel.lower()
    return f"relation:{rel}" if rel in _SINGLE or not person else f"relation:{rel}:{person.lower()}"


def _relation(m: re.Match[str], who: str, name: str, at: datetime) -> Fact | None:
    rel, person = m.group(1).lower(), m.group(2)
    if not person[0].isupper() or person.lower() in {"i", "is", "and", "the"}:
        return None
    return Fact(who, relation_key(rel, person), f"{name}'s {rel} is {person}", 0.85, "relationship",
                (person.lower(),), 0.7)


def _home(m: re.Match[str], who: str, name: str, at: datetime) -> Fact | None:
    place = _clean(m.group(2))
    return Fact(who, "home", f"{name} lives in {place}", 0.8, "identity", importance=0.7)


def _job(m: re.Match[str], who: str, name: str, at: datetime) -> Fact | None:
    job = _clean(m.group(2))
    if job.split()[0].lower() in {"bit", "little", "lot", "fan", "big", "huge", "good", "great", "very"}:
        return None
    return Fact(who, "job", f"{name} works as {job}", 0.7, "identity",
                importance=0.7)


def _dated(kind: str, verb: str = "") -> Callable[[re.Match[str], str, str, datetime], Fact | None]:
    """A plan or an event, with its date resolved against when it was said. ``verb`` defaults to the one said."""

    def build(m: re.Match[str], who: str, name: str, at: datetime) -> Fact | None:
        what = _clean(m.group(2))
        spans = resolve(m.group(0), at)
        when = f" ({spans[0].describe()})" if spans else ""
        if kind == "event" and not spans:
            return None  # an undated "I went..." is just an episode; the dated ones make timeline facts
        said = verb or _THIRD_PERSON.get(m.group(1).lower(), m.group(1).lower())
        return Fact(who, f"{kind}:{fact_key(what)}", f"{name} {said} {what}{when}", 0.75, kind, importance=0.6)

    return build


_THIRD_PERSON = {"have": "has", "'ve got": "has", "got": "got"}


def _feeling(m: re.Match[str], who: str, name: str, at: datetime) -> Fact | None:
    feeling = m.group(2)
    return Fact(who, "feeling", f"{name} felt {feeling} on {at.date().isoformat()}", 0.7, "feeling", importance=0.4)


def _habit(m: re.Match[str], who: str, name: str, at: datetime) -> Fact | None:
    what = _clean(m.group(2))
    return Fact(who, f"habit:{fact_key(what)}", f"{name}'s habit: {m.group(1).lower()} {what}", 0.7, "habit")


def _ci(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_RULES = [
    _Rule(_ci(rf"\bi (really |absolutely |just )?(?:love|like|enjoy|adore|am into|'m into|prefer) "
                     rf"{_ART}{_OBJ}{_END}"), _opinion(True)),
    _Rule(_ci(rf"\bi (really )?(?:hate|dislike|can't stand|cannot stand|don't like|do not like|no longer like"
                     rf"|don't enjoy) {_ART}{_OBJ}{_END}"), _opinion(False)),
    _Rule(_ci(rf"\bmy ({_RELATIONS})(?:,| is| named| called| is called)? ([A-Z][a-z]+)\b"),
          _relation),
    _Rule(_ci(rf"\bi (live|moved|am moving|'m moving|relocated) (?:in|to) {_OBJ}{_END}"), _home),
    _Rule(_ci(rf"\bi (work as|am working as|'m working as|got a job as|became) {_ART}{_OBJ}{_END}"), _job),
    _Rule(_ci(rf"\bi (have|'ve got|got) {_ART}({_OBJ} (?:tomorrow|today|tonight|next \w+|on \w+day|in \w+ \w+))"
                     ), _dated("plan")),
    _Rule(_ci(rf"\bi(?:'m| am) (going to|planning to|gonna|about to) {_OBJ}{_END}"), _dated("plan", "plans to")),
    _Rule(_ci(rf"\bi (went|visited|started|finished|joined|quit|ran|took|met|bought|adopted|got) {_OBJ}{_END}"),
          _dated("event")),
    _Rule(_ci(rf"\bi(?:'m| am| feel| felt| was| have been|'ve been)( so| really| very| pretty| a bit)? "
                     rf"({_FEELINGS})\b"), _feeling),
    _Rule(_ci(rf"\bi (usually|always|often|regularly|every day|every morning|every week) {_OBJ}{_END}"),
          _habit),
]


class FactExtractor(Protocol):
    """Finds facts a speaker states about themselves. ``PatternExtractor`` needs no model;
    ``os1.memory.llm_facts.LLMExtractor`` asks a capable LLM."""

    name: str

    async def extract(self, text: str, speaker: str, at: datetime) -> list[Fact]: ...


class PatternExtractor:
    name = "patterns"

    async def extract(self, text: str, speaker: str, at: datetime) -> list[Fact]:
        return extract(text, speaker, at)


def extract(text: str, speaker: str, at: datetime, *, display: str = "") -> list[Fact]:
    """Facts a speaker states about themselves in ``text``. ``display`` is how to name them in the fact
    ("Ana", or "the user"); ``speaker`` becomes the subject key."""
    who = speaker.lower() or "user"
    name = display or speaker or "the user"
    said = text.replace("’", "'")
    facts: dict[str, Fact] = {}
    for rule in _RULES:
        for m in rule.pattern.finditer(said):
            fact = rule.build(m, who, name, at)
            if fact is not None:
                facts.setdefault(fact.attribute, fact)
    return list(facts.values())
