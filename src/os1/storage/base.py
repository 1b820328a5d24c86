"""Repository interfaces. They return domain objects from ``os1.core``, never rows.

Every read and write is scoped to a user id: a repository never returns another user's data.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from os1.core.accounts import Account, AuthToken, TokenKind
from os1.core.affect import AffectReading, Emotion, Mood, Speaker
from os1.core.memory import MemoryChange, MemoryItem, MemoryKind, NewMemory
from os1.core.messages import Conversation, MessageStatus, Role, SearchHit, StoredMessage, User
from os1.core.persona import JournalEntry, NewJournalEntry, PersonaSource, PersonaState, PersonaVersion
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
    async def newest(self, user_id: str, limit: int = 50) -> list[Conversation]:
        """The user's newest ``limit`` conversations, newest first."""
        ...


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

    async def get(self, user_id: str, message_id: str) -> StoredMessage | None: ...
    async def delete(self, user_id: str, message_ids: Sequence[str]) -> int:
        """Delete messages for good (the user asked to forget them); returns how many went."""
        ...

    async def since(self, user_id: str, after_id: str, limit: int = 500) -> list[StoredMessage]:
        """Messages after ``after_id`` across conversations, oldest first (memory catches up with these)."""
        ...


class VectorSearch(Protocol):
    """Nearest-neighbour search over a user's stored vectors, run by the database itself. Vectors are unit
    length, so a dot product is the cosine."""

    async def nearest(self, user_id: str, model: str, query: bytes, k: int) -> list[tuple[str, float]]:
        """The ``k`` items whose ``model`` vectors are nearest the float32 ``query``: (item id, cosine), best
        first; exact, and only this user's."""
        ...

    async def similarity(self, user_id: str, model: str, query: bytes, ids: Sequence[str]) -> dict[str, float]:
        """Cosine of ``query`` with each of the named items that has a ``model`` vector."""
        ...


class MemoryRepo(Protocol):
    """Long-term memory items with their keyword index, vectors, entities and audit history."""

    @property
    def vector_search(self) -> VectorSearch | None:
        """Set where the database searches vectors itself (PostgreSQL with pgvector); None: the memory layer
        loads ``vectors()`` and searches them in process."""
        ...

    async def add(self, user_id: str, items: Sequence[NewMemory]) -> list[MemoryItem]:
        """Store items in one transaction (each audited as added)."""
        ...

    async def get(self, user_id: str, ids: Sequence[str]) -> list[MemoryItem]:
        """The named items that exist for this user, in the order asked."""
        ...

    async def list_items(
        self, user_id: str, kinds: Sequence[MemoryKind] = (), *, current_only: bool = True,
        limit: int = 100, offset: int = 0, since: datetime | None = None, until: datetime | None = None,
    ) -> list[MemoryItem]:
        """Newest first."""
        ...

    async def count(self, user_id: str) -> int: ...
    async def keyword(
        self, user_id: str, match: str, limit: int, newest: int | None = None
    ) -> list[tuple[str, float]]:
        """(item id, BM25 score, higher is better) for an FTS5 MATCH expression; with ``newest``, only
        the newest ``newest`` matching items are scored (the cost of a ranked search grows with them)."""
        ...

    async def by_entities(self, user_id: str, entities: Sequence[str], limit: int) -> list[tuple[str, str]]:
        """(item id, entity) for items that mention any of ``entities`` (lowercase)."""
        ...

    async def entity_counts(self, user_id: str) -> dict[str, int]:
        """Every entity known for this user and how many items mention it."""
        ...

    async def citing(self, user_id: str, source_ids: Sequence[str]) -> list[MemoryItem]:
        """Items whose sources include any of ``source_ids`` (current or not)."""
        ...

    async def by_key(self, user_id: str, subject: str, attribute: str) -> list[MemoryItem]:
        """Current facts with this subject and attribute."""
        ...

    async def add_context(self, user_id: str, item_id: str, text: str, source_id: str) -> None:
        """Add what was said next (``text``, from ``source_id``) to an item's searchable context."""
        ...

    async def supersede(self, user_id: str, old_id: str, new_id: str) -> None: ...
    async def cite(self, user_id: str, item_id: str, source_ids: Sequence[str]) -> None:
        """Add sources to an item (a near-duplicate fact merged into it)."""
        ...

    async def edit(
        self, user_id: str, item_id: str, text: str, search_text: str = "", entities: Sequence[str] | None = None
    ) -> None:
        """Correct an item's text (``search_text`` is what is indexed, when it should differ) and, when
        given, the people and things it mentions; audited as an edit. Its vector is dropped: the caller
        embeds the new text."""
        ...
    async def forget(self, user_id: str, ids: Sequence[str]) -> int:
        """Delete items with their vectors, entities and index entries; returns how many went."""
        ...

    async def set_vectors(self, user_id: str, model: str, vectors: Sequence[tuple[str, bytes]]) -> None: ...
    async def vectors(self, user_id: str, model: str, after: int = 0) -> list[tuple[int, str, bytes]]:
        """(row number, item id, float32 bytes) of stored vectors after row number ``after``."""
        ...

    async def vector_state(self, user_id: str, model: str) -> tuple[int, str]:
        """(last row number of this user's vectors, id of the newest forget or edit): tells a cached index
        whether to load new rows or rebuild. Both are index lookups, cheap at any size."""
        ...

    async def unremembered(self, user_id: str, limit: int = 500) -> list[str]:
        """Ids of complete or truncated messages that no memory item cites yet, oldest first."""
        ...

    async def audit(self, user_id: str, limit: int = 100, *, item_id: str | None = None) -> list[MemoryChange]:
        """The newest ``limit`` changes, newest first (only those of ``item_id`` if named)."""
        ...


class CareEventRepo(Protocol):
    """Counts of care events (a detected crisis, a disclosure, a break reminder), never their content."""

    async def record(self, user_id: str, kind: str, at: datetime | None = None) -> None: ...
    async def count(self, user_id: str, kind: str, since: datetime | None = None) -> int: ...
    async def last(self, user_id: str, kind: str) -> datetime | None: ...


class PersonaRepo(Protocol):
    """Numbered versions of the OS's persona; a version is never changed, only followed by a newer one."""

    async def add(
        self, user_id: str, state: PersonaState, reason: str, source: PersonaSource, *, announced: bool = True,
        created_at: datetime | None = None,
    ) -> PersonaVersion:
        """Store ``state`` as the next version (numbered 1, 2, ...) in one transaction."""
        ...

    async def latest(self, user_id: str) -> PersonaVersion | None: ...
    async def get(self, user_id: str, version: int) -> PersonaVersion | None: ...
    async def history(self, user_id: str, limit: int = 100) -> list[PersonaVersion]:
        """The last ``limit`` versions, oldest first."""
        ...

    async def unannounced(self, user_id: str) -> list[PersonaVersion]:
        """Versions the OS made on its own that the user has not been told about yet, oldest first."""
        ...

    async def mark_announced(self, user_id: str, versions: Sequence[int]) -> None: ...


class JournalRepo(Protocol):
    """The OS's private diary, written after conversations."""

    async def add(self, user_id: str, entry: NewJournalEntry, created_at: datetime | None = None) -> JournalEntry: ...
    async def latest(self, user_id: str, limit: int = 5) -> list[JournalEntry]:
        """The newest ``limit`` entries, newest first."""
        ...

    async def forget_about(self, user_id: str, message_ids: Sequence[str]) -> int:
        """Delete the entries written about any of these (still stored) messages; returns how many."""
        ...


class AffectRepo(Protocol):
    """The emotion read from each message, and the OS's mood toward the user over time."""

    async def add(
        self, user_id: str, message_id: str, speaker: Speaker, emotion: Emotion, at: datetime
    ) -> AffectReading:
        """Store the reading of one of the user's messages; reading it again replaces it."""
        ...

    async def reading(self, user_id: str, message_id: str, speaker: Speaker) -> AffectReading | None: ...
    async def readings(
        self, user_id: str, since: datetime | None = None, speaker: Speaker | None = None
    ) -> list[AffectReading]:
        """Oldest first."""
        ...

    async def save_mood(self, user_id: str, mood: Mood) -> None: ...
    async def mood(self, user_id: str) -> Mood | None:
        """The newest stored mood (as it was then, before any decay since)."""
        ...

    async def moods(self, user_id: str, since: datetime | None = None) -> list[Mood]:
        """Oldest first."""
        ...


class AccountRepo(Protocol):
    """Logins and bearer tokens of the server. Tokens are stored as a hash of the secret, never the secret.

    ``by_username`` and ``token_owner`` are the only lookups not scoped by a user id: they are how a request
    finds its user in the first place.
    """

    async def create(self, username: str, password_hash: str) -> Account:
        """A new user with this login, in one transaction; raises ``ConflictError`` if the name is taken."""
        ...

    async def by_username(self, username: str) -> Account | None: ...
    async def add_token(
        self, user_id: str, token_hash: str, kind: TokenKind, name: str = "", expires_at: datetime | None = None
    ) -> AuthToken: ...
    async def token_owner(self, token_hash: str, now: datetime) -> AuthToken | None:
        """The live (unrevoked, unexpired) token with this hash, if any."""
        ...

    async def tokens(self, user_id: str, kind: TokenKind) -> list[AuthToken]:
        """The user's unrevoked tokens of one kind, oldest first."""
        ...

    async def revoke(self, user_id: str, token_id: str) -> bool:
        """Revoke one of the user's tokens; False when the user has no such live token."""
        ...


class Store(Protocol):
    users: UserRepo
    accounts: AccountRepo
    profiles: ProfileRepo
    conversations: ConversationRepo
    messages: MessageRepo
    care_events: CareEventRepo
    affect: AffectRepo
    memory: MemoryRepo
    persona: PersonaRepo
    journal: JournalRepo

    async def close(self) -> None: ...
