"""Request and response bodies of the REST API (the OpenAPI spec at /openapi.json is built from these)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from os1.core.accounts import AuthToken
from os1.core.memory import MemoryItem
from os1.core.messages import Conversation, StoredMessage
from os1.core.profile import Sociability, VoicePreference


class Credentials(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)


class AccountOut(BaseModel):
    user_id: str
    username: str


class LoginOut(BaseModel):
    token: str = Field(description="send as `Authorization: Bearer TOKEN`; shown only this once")
    token_id: str
    expires_at: datetime | None


class KeyIn(BaseModel):
    name: str = Field("", max_length=100)


class KeyOut(BaseModel):
    id: str
    name: str
    created_at: datetime
    key: str | None = Field(None, description="the secret, only in the answer that created it")

    @classmethod
    def of(cls, token: AuthToken, key: str | None = None) -> KeyOut:
        return cls(id=token.id, name=token.name, created_at=token.created_at, key=key)


class ConversationOut(BaseModel):
    id: str
    title: str
    created_at: datetime

    @classmethod
    def of(cls, conversation: Conversation) -> ConversationOut:
        return cls(id=conversation.id, title=conversation.title, created_at=conversation.created_at)


class MessageOut(BaseModel):
    id: str
    conversation_id: str
    role: str
    content: str
    status: str = Field(description="complete, streaming, or truncated (interrupted)")
    created_at: datetime

    @classmethod
    def of(cls, m: StoredMessage) -> MessageOut:
        return cls(id=m.id, conversation_id=m.conversation_id, role=m.role.value, content=m.content,
                   status=m.status.value, created_at=m.created_at)


class MemoryOut(BaseModel):
    id: str
    kind: str
    text: str
    speaker: str
    occurred_at: datetime
    conversation_id: str | None
    sources: list[str]
    current: bool
    score: float | None = None
    signals: list[str] = []

    @classmethod
    def of(cls, item: MemoryItem, score: float | None = None, signals: tuple[str, ...] = ()) -> MemoryOut:
        return cls(id=item.id, kind=item.kind.value, text=item.text, speaker=item.speaker,
                   occurred_at=item.occurred_at, conversation_id=item.conversation_id,
                   sources=list(item.source_ids), current=item.current, score=score, signals=list(signals))


class ForgottenOut(BaseModel):
    forgotten: int = Field(description="memories removed, with what was derived from them")


class ProfileOut(BaseModel):
    user_id: str
    profile: dict[str, Any]


class ProfileUpdate(BaseModel):
    """What the user may change about themselves from the page (the settings tab); fields left out stay.
    The OS's own name is its choice, made at the first meeting, and is not here."""

    model_config = ConfigDict(extra="forbid")

    user_name: str | None = Field(None, max_length=80, description="what the OS calls you")
    address_style: str | None = Field(None, max_length=300, description="how you like to be spoken to")
    voice: VoicePreference | None = Field(None, description="the voice you prefer the OS to speak with")
    sociability: Sociability | None = Field(None, description="how much you like company")
