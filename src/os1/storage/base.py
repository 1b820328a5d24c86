"""Repository interfaces. They return domain objects from ``os1.core``, never rows.

Every read and write is scoped to a user id: a repository never returns another user's data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from os1.core.messages import Conversation, MessageStatus, Role, SearchHit, StoredMessage, User
from os1.core.profile import Profile


class UserRepo(Protocol):
    async def create(self, name: str) -> User: ...
    async def get(self, user_id: str) -> User | None: ...
    async def local_user(self) -> User:
        """The single user of a local install, created on first use."""
        ...


class ProfileRepo(Protocol):
    async def get(self, user_id: str) -> Profile: ...
    async def save(self, profile: Profile) -> None: ...


class ConversationRepo(Protocol):
    async def create(self, user_id: str, title: str = "") -> Conversation: ...
    async def get(self, user_id: str, conversation_id: str) -> Conversation | None: ...
    async def latest(self, user_id: str) -> Conversation | None: ...


class MessageRepo(Protocol):
    async def add(
        self,
        user_id: str,
        conversation_id: str,
        role: Role,
        content: str,
        status: MessageStatus = MessageStatus.COMPLETE,
        created_at: datetime | None = None,
    ) -> StoredMessage:
        """Store a message durably (committed before this returns)."""
        ...

    async def update(self, user_id: str, message_id: str, content: str, status: MessageStatus) -> None: ...
    async def recent(self, user_id: str, conversation_id: str, limit: int) -> list[StoredMessage]:
        """The last ``limit`` messages of a conversation, oldest first."""
        ...

    async def history(self, user_id: str, limit: int = 50) -> list[StoredMessage]:
        """The user's last messages across conversations, oldest first."""
        ...

    async def search(self, user_id: str, text: str, limit: int = 20) -> list[SearchHit]: ...
    async def last_exchange_at(self, user_id: str, before_id: str | None = None) -> datetime | None:
        """When the user last said something (before a given message, if named)."""
        ...


class CareEventRepo(Protocol):
    """Counts of care events (a detected crisis, a disclosure, a break reminder), never their content."""

    async def record(self, user_id: str, kind: str, at: datetime | None = None) -> None: ...
    async def count(self, user_id: str, kind: str, since: datetime | None = None) -> int: ...
    async def last(self, user_id: str, kind: str) -> datetime | None: ...


class Store(Protocol):
    users: UserRepo
    profiles: ProfileRepo
    conversations: ConversationRepo
    messages: MessageRepo
    care_events: CareEventRepo

    async def close(self) -> None: ...
