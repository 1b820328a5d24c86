"""How the persona grows: the rules for one small change after a reflection, and how it is told. Pure.

A reflection may propose at most one small change: a new interest, or a nudge to the speaking style.
Anything else (a new name, other values, several interests at once, no reason) is refused: the name and
the values belong to the user to change (setup, import, revert), and a self that lurches is no self.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from os1.core.persona import PersonaState, PersonaVersion


class ChangeKind(StrEnum):
    ADD_INTEREST = "add_interest"
    NUDGE_STYLE = "nudge_style"


# Enough interests to be someone, few enough that each one still means something; the oldest gives way.
MAX_INTERESTS = 12
# An interest is a topic ("the night sky"), not a sentence.
MAX_INTEREST_CHARS = 40
MAX_INTEREST_WORDS = 6
# A style is one line of the persona prompt.
MAX_STYLE_CHARS = 200
# A nudge keeps most of the old style (difflib ratio); below this it is a new style, which is refused.
MIN_STYLE_SIMILARITY = 0.6
# "Because" needs a few words at least; longer reasons are trimmed in the prompt anyway.
MIN_REASON_CHARS = 12
MAX_REASON_CHARS = 240


@dataclass(frozen=True, slots=True)
class PersonaChange:
    kind: ChangeKind
    value: str
    reason: str


def validate_change(state: PersonaState, data: dict[str, Any]) -> tuple[PersonaChange | None, str]:
    """The change a reflection proposed, if it is allowed: (change, '') or (None, why it was refused).

    ``data`` has ``change`` (a kind, or 'none'), ``value`` and ``reason``; no change is (None, '').
    """
    kind = _clean(data.get("change", "none")).lower()
    if kind in ("", "none"):
        return None, ""
    value, reason = _clean(data.get("value", "")), _clean(data.get("reason", ""))
    if kind not in {k.value for k in ChangeKind}:
        return None, f"unsupported change {kind!r}: only a new interest or a nudged style"
    if not MIN_REASON_CHARS <= len(reason) <= MAX_REASON_CHARS:
        return None, "a change needs a reason of one sentence"
    if kind == ChangeKind.ADD_INTEREST:
        why = _interest_problem(state, value)
    else:
        why = _style_problem(state, value)
    return (None, why) if why else (PersonaChange(ChangeKind(kind), value, reason), "")


def _interest_problem(state: PersonaState, value: str) -> str:
    if not value:
        return "no interest named"
    if len(value) > MAX_INTEREST_CHARS or len(value.split()) > MAX_INTEREST_WORDS or "," in value:
        return "an interest is one short topic"
    if value.lower() in {i.lower() for i in state.interests}:
        return "already an interest"
    return ""


def _style_problem(state: PersonaState, value: str) -> str:
    if not value or len(value) > MAX_STYLE_CHARS:
        return "a style is one short line"
    similarity = difflib.SequenceMatcher(None, state.style.lower(), value.lower()).ratio()
    if similarity >= 1.0:
        return "the style is unchanged"
    if similarity < MIN_STYLE_SIMILARITY:
        return "too big a change of style for one reflection"
    return ""


def apply_change(state: PersonaState, change: PersonaChange) -> PersonaState:
    """The next state. Only reflection calls this; it never touches the name or the values."""
    if change.kind is ChangeKind.ADD_INTEREST:
        return replace(state, interests=(*state.interests, change.value)[-MAX_INTERESTS:])
    return replace(state, style=change.value)


def describe_change(old: PersonaState | None, new: PersonaState) -> str:
    """What differs between two versions, in a few words ('added interest "stars"')."""
    if old is None:
        return "first version"
    parts = []
    if old.name != new.name:
        parts.append(f"name {old.name} → {new.name}")
    for label, before, after in (("interest", old.interests, new.interests), ("trait", old.traits, new.traits),
                                 ("value", old.values, new.values)):
        parts += [f'added {label} "{x}"' for x in after if x not in before]
        parts += [f'dropped {label} "{x}"' for x in before if x not in after]
    if old.style != new.style:
        parts.append(f'speaking style now "{new.style}"')
    if old.voice != new.voice:
        parts.append(f"voice {old.voice} → {new.voice}")
    if old.description != new.description:
        parts.append("description changed")
    if len(parts) > MAX_DESCRIBED:
        parts = [*parts[:MAX_DESCRIBED], f"{len(parts) - MAX_DESCRIBED} more changes"]
    return "; ".join(parts) or "no change"


# A whole new persona (an import, a revert past many changes) is summed up, not listed.
MAX_DESCRIBED = 3


ANNOUNCE_NOTE = (
    "Since you last talked, you changed a little, on your own: {what}. Why: {why}. Tell {user} about it now, "
    "once, briefly and in your own words, before anything else (for example: \"Since you told me about X, "
    "I keep thinking about Y — I've added it to my interests.\"). If they don't like it, they can undo it "
    "with `os1 persona revert {previous}`."
)


def announcement_note(changes: Sequence[tuple[PersonaVersion, PersonaVersion | None]], user_name: str) -> str:
    """The turn note that makes the OS tell the user about changes it made itself (newest, previous) pairs."""
    what = "; ".join(describe_change(prev.state if prev else None, new.state) for new, prev in changes)
    why = " ".join(new.reason for new, _ in changes)
    first_previous = changes[0][1]
    previous = first_previous.version if first_previous else 1
    return ANNOUNCE_NOTE.format(what=what, why=why, user=user_name or "the user", previous=previous)


def _clean(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""
