"""Chat messages as the LLM sees them and as storage keeps them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"


class MessageStatus(StrEnum):
    """Where a stored message is in its life. A reply is ``streaming`` until it ends."""

    COMPLETE = "complete"
    STREAMING = "streaming"
    TRUNCATED = "truncated"


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message of a prompt."""

    role: Role
    content: str

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role.value, "content": self.content}


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """One utterance of a conversation, as kept in storage."""

    id: str
    conversation_id: str
    user_id: str
    role: Role
    content: str
    created_at: datetime
    status: MessageStatus = MessageStatus.COMPLETE

    @property
    def truncated(self) -> bool:
        return self.status is MessageStatus.TRUNCATED

    def as_chat(self) -> ChatMessage:
        return ChatMessage(self.role, self.content)


@dataclass(frozen=True, slots=True)
class Conversation:
    id: str
    user_id: str
    created_at: datetime
    title: str = ""


@dataclass(frozen=True, slots=True)
class User:
    id: str
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A stored message that matched a history search, with a highlighted snippet."""

    message: StoredMessage
    snippet: str = ""
