"""Human connection: notice when the user is drifting into talking only to the OS, and point gently
toward a person in their life (the way the OS in the film pushes toward the blind date).

Pure decisions over a timeline of days, no I/O (``os1.engine.connection`` builds the timeline from
memory and the affect readings). The rules are deliberately few and legible: a stretch of days talking
with the OS without mentioning anyone, loneliness in their own words, a low or falling mood; against
them, people mentioned lately and plans with someone. A nudge is rare (``NUDGE_EVERY``), never follows a
crisis, and is one kind sentence: no streaks, no guilt, no rewards, nothing that makes the OS itself the
reason to come back.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

# Signs are read over this trailing window of days.
WINDOW_DAYS = 14
# Too little talk to judge: someone new to the OS is not isolated, just new.
MIN_TALK_DAYS = 5
# Talking with the OS on many days without mentioning anyone for this long is the core sign.
QUIET_DAYS = 10
# People mentioned this recently outweigh everything else (the user has people around).
RECENT_PEOPLE_DAYS = 7
# Mean valence of the user's messages (-1..1) at or below this reads as a low mood; a drop of
# FALLING_BY between the two halves of the window as a falling one.
LOW_VALENCE = -0.15
FALLING_BY = 0.2
# Score at which the signs count as isolation (see ``isolation_signs`` for the weights): the quiet
# stretch and at least one more sign, e.g. loneliness in their own words.
ISOLATED_AT = 2.0
# At most one nudge a week: often enough to matter when someone is withdrawing, rare enough not to nag.
NUDGE_EVERY = timedelta(days=7)
# No nudge for a few days after a crisis reply: then the helplines and listening come first.
AFTER_CRISIS = timedelta(days=3)

# Relations worth reaching out to; a boss, a therapist or a pet is not whom the nudge means.
CLOSE_RELATIONS = frozenset({
    "mother", "mom", "mum", "father", "dad", "sister", "brother", "wife", "husband", "partner", "boyfriend",
    "girlfriend", "son", "daughter", "friend", "best friend", "roommate", "grandma", "grandmother", "grandpa",
    "grandfather", "aunt", "uncle", "cousin", "neighbor", "neighbour", "fiance", "fiancee", "kid", "child",
})
_HER = frozenset({"mother", "mom", "mum", "sister", "wife", "girlfriend", "daughter", "grandma", "grandmother",
                  "aunt", "fiancee"})
_HIM = frozenset({"father", "dad", "brother", "husband", "boyfriend", "son", "grandpa", "grandfather", "uncle",
                  "fiance"})

_NEGATED = re.compile(r"(?:\bnot|\bnever|n't|\bno longer)\s+(?:\w+\s+){0,2}$")
_LONELY = re.compile(
    r"\b(?:lonely|loneliness|so alone|all alone|(?:feel|feeling|felt|am|i'm) alone|isolated|"
    r"no ?one to talk to|nobody to talk to|no one cares|nobody cares|have no friends|no friends left|"
    r"miss having (?:someone|people|friends))\b"
)
_KIN = (r"mom|mum|mother|dad|father|parents|sister|brother|siblings|wife|husband|partner|boyfriend|girlfriend|"
        r"son|daughter|kids|children|family|friends?|best friend|roommate|grandma|grandpa|aunt|uncle|cousins?|"
        r"neighbou?rs?|colleagues|coworkers|team|fiancee?")
_KIN_MENTION = re.compile(rf"\b(?:my|our|with|and) ({_KIN})\b")
# A name after a social verb or "with" ("dinner with Jonas", "called Ana", "Mira and I").
_NAMED = re.compile(
    r"\b(?:with|met|meet|meeting|see|seeing|saw|call|called|calling|phoned|texted|visit|visited|visiting|hugged)"
    r"\s+([A-Z][a-z]+)\b|\b([A-Z][a-z]+) and I\b")
_NOT_PEOPLE = frozenset({"I", "The", "My", "You", "It", "Me", "Netflix", "Youtube", "YouTube", "Google",
                         *calendar.day_name, *calendar.month_name[1:]})


@dataclass(frozen=True, slots=True)
class Day:
    """One calendar day of the user's life as the OS saw it."""

    day: date
    talked: bool = True  # the user talked with the OS that day
    people: frozenset[str] = frozenset()  # names and relations they mentioned ("mira", "friends")
    lonely: bool = False  # loneliness in their own words
    valence: float | None = None  # mean valence of their messages that day
    social_plans: int = 0  # plans they made with someone


@dataclass(frozen=True, slots=True)
class Person:
    """Someone the user has told the OS about (a relation fact)."""

    name: str  # as they wrote it: "Mira"
    relation: str  # "sister", "best friend"
    mentions: int = 0  # items of memory that mention them
    last_at: datetime | None = None  # when they were last mentioned
    warm: bool = True  # not spoken of in distress (a fight, a loss)


@dataclass(frozen=True, slots=True)
class IsolationAssessment:
    score: float
    reasons: tuple[str, ...] = ()  # what the user did and said, in words the note can carry
    days_without_people: int = 0
    isolated: bool = False
    lonely: bool = False
    notes: tuple[str, ...] = ()  # counter-signs, for logs and tests


def says_lonely(text: str) -> bool:
    """Loneliness in the user's own words ("I feel so alone"), not negated ("I'm not lonely")."""
    lowered = text.lower().replace("’", "'")
    return any(not _NEGATED.search(lowered[: m.start()]) for m in _LONELY.finditer(lowered))


def social_mentions(text: str, known: Iterable[str] = ()) -> frozenset[str]:
    """The people in ``text``: known names, relations ("my sister", "with friends") and names after a
    social verb. Lowercase. A place after "with" slips through now and then; that errs toward sociable."""
    said = text.replace("’", "'")
    lowered = said.lower()
    found = {k for k in known if k and re.search(rf"\b{re.escape(k)}\b", lowered)}
    found |= {m.group(1) for m in _KIN_MENTION.finditer(lowered)}
    for m in _NAMED.finditer(said):
        name = m.group(1) or m.group(2)
        if name not in _NOT_PEOPLE:
            found.add(name.lower())
    return frozenset(found)


def isolation_signs(days: Sequence[Day], today: date) -> IsolationAssessment:
    """Weigh the signs in the trailing window ending ``today``. ``days`` may have gaps (days without talk)."""
    window = [d for d in days if today - timedelta(days=WINDOW_DAYS) < d.day <= today]
    talk_days = sum(d.talked for d in window)
    if talk_days < MIN_TALK_DAYS:
        return IsolationAssessment(0.0, notes=(f"only {talk_days} days of talk",))
    quiet = _days_without_people(days, today)
    score, reasons, notes = 0.0, [], []
    if quiet >= QUIET_DAYS:
        score += 1.0
        reasons.append(f"have not mentioned anyone in {quiet} days")
    lonely_days = sum(d.lonely for d in window)
    if lonely_days:
        score += 1.5 if lonely_days >= 3 else 1.0
        reasons.append("said they feel lonely")
    score += _mood_signs(window, today, reasons)
    if quiet < RECENT_PEOPLE_DAYS:
        score -= 1.5
        notes.append("mentioned people recently")
    if any(d.social_plans for d in window):
        score -= 1.0
        notes.append("made plans with someone")
    # The stretch without people is required: loneliness or a low mood alone is for listening, not nudging.
    isolated = quiet >= QUIET_DAYS and score >= ISOLATED_AT
    return IsolationAssessment(score, tuple(reasons), quiet, isolated, lonely_days > 0, tuple(notes))


def _days_without_people(days: Sequence[Day], today: date) -> int:
    """Days since the user last mentioned anyone (since the first day known, if never)."""
    mentioned = [d.day for d in days if d.people and d.day <= today]
    since = max(mentioned) if mentioned else min((d.day for d in days), default=today) - timedelta(days=1)
    return (today - since).days


def _mood_signs(window: Sequence[Day], today: date, reasons: list[str]) -> float:
    """Low mood over the window, and a fall from its first half to its second."""
    rated = [d for d in window if d.valence is not None]
    if len(rated) < MIN_TALK_DAYS:
        return 0.0
    score = 0.0
    if _mean(rated) <= LOW_VALENCE:
        score += 0.5
        reasons.append("have sounded low")
    middle = today - timedelta(days=WINDOW_DAYS // 2)
    early, late = [d for d in rated if d.day <= middle], [d for d in rated if d.day > middle]
    if early and late and _mean(early) - _mean(late) >= FALLING_BY:
        score += 0.5
        reasons.append("have sounded lower lately")
    return score


def _mean(days: Sequence[Day]) -> float:
    return sum(d.valence or 0.0 for d in days) / len(days)


def nudge_due(assessment: IsolationAssessment, now: datetime, last_nudge_at: datetime | None,
              last_crisis_at: datetime | None = None, *, crisis: bool = False) -> bool:
    """Whether to nudge now: isolated, no nudge within ``NUDGE_EVERY``, no crisis now or just before."""
    if crisis or not assessment.isolated:
        return False
    if last_crisis_at is not None and now - last_crisis_at < AFTER_CRISIS:
        return False
    return last_nudge_at is None or now - last_nudge_at >= NUDGE_EVERY


def pick_person(people: Sequence[Person]) -> Person | None:
    """Whom to suggest: someone close and spoken of warmly, the most mentioned, then the most recent."""
    close = [p for p in people if p.warm and p.relation in CLOSE_RELATIONS]
    close.sort(key=lambda p: (p.mentions, p.last_at.timestamp() if p.last_at else 0.0), reverse=True)
    return close[0] if close else None


def nudge_note(assessment: IsolationAssessment, person: Person | None) -> str:
    """The note for the model: why (in the user's terms), whom, and how gently."""
    why = f"They {_join(assessment.reasons)}." if assessment.reasons else ""
    if person is None:
        step = ("Gently encourage one small step toward other people (messaging someone they have not talked "
                "to in a while, a class, a walk somewhere with people around)")
    else:
        them = "her" if person.relation in _HER else "him" if person.relation in _HIM else "them"
        step = (f"Gently encourage them to reach out to {person.name} (their {person.relation}), or suggest a "
                f"small plan with {them}")
    return (f"{why} {step}; one sentence, only where it fits, no guilt, no pressure, and do not make yourself "
            "the alternative to people.").strip()


def _join(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
