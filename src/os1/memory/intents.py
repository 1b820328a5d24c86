"""Asking about memory in conversation: "what do you know about me?", "forget what I said about my sister"."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SAID = (r"(?:what i (?:said|told you|mentioned)|everything i (?:said|told you)|anything i (?:said|told you)"
         r"|everything|all)")
# A request, not a statement: "forget what I said about X", or the verb first ("please forget about X"),
# but not "I forget about things a lot".
_FORGET = re.compile(
    rf"(?:\b(?:forget|delete|erase|remove)\s+{_SAID}\s*"
    r"|(?:^|[.!?]\s*|\b(?:please|can you|could you|would you|will you)\s+)(?:forget|delete|erase|remove)\s+)"
    r"(?:about|regarding|on|concerning)\s+(?P<topic>[^.?!]+)",
    re.IGNORECASE,
)
_KNOW = re.compile(
    r"\bwhat (?:do|did) you (?:know|remember|recall) about me\b|\bwhat have you learn(?:ed|t) about me\b"
    r"|\bwhat do you know of me\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class ForgetRequest:
    topic: str


@dataclass(frozen=True, slots=True)
class KnowRequest:
    pass


def memory_intent(text: str) -> ForgetRequest | KnowRequest | None:
    if m := _FORGET.search(text):
        topic = m.group("topic").strip(" ,;:'\"")
        return ForgetRequest(topic) if topic else None
    if _KNOW.search(text):
        return KnowRequest()
    return None
