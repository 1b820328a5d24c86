"""What the engine tells the capabilities (memory, mood, care) about each turn."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from os1.core.messages import MessageStatus


@dataclass(frozen=True, slots=True)
class Turn:
    """The user's utterance of one turn, already stored."""

    user_id: str
    conversation_id: str
    message_id: str
    text: str
    at: datetime
    user_name: str = ""
    os_name: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    """The OS's reply to a turn, as stored when it ended (``text`` is what was actually shown or played)."""

    message_id: str | None
    text: str
    status: MessageStatus
    at: datetime
