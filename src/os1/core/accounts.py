"""Accounts of a multi-user server (`os1 serve`): a login name with its password hash, and bearer tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class TokenKind(StrEnum):
    """A login token expires; an API key (for OpenAI-compatible clients) lives until it is revoked."""

    LOGIN = "login"
    API_KEY = "api_key"


@dataclass(frozen=True, slots=True)
class Account:
    user_id: str
    username: str
    password_hash: str  # argon2id, encoded with its parameters and salt
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AuthToken:
    """A token as stored: never the secret itself, only its id (safe to show) and metadata."""

    id: str
    user_id: str
    kind: TokenKind
    name: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked: bool = False
