"""Accounts and bearer tokens: argon2id password hashes, random tokens stored only as their SHA-256."""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from os1.core.accounts import Account, AuthToken, TokenKind
from os1.core.errors import AuthError, InputError
from os1.storage.base import Store
from os1.storage.sqlite.store import LOCAL_USER_NAME

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}$")
MIN_PASSWORD, MAX_PASSWORD = 8, 1024
# What tells a key from a login token at a glance (and in a leaked-secret scanner).
PREFIX = {TokenKind.LOGIN: "os1_", TokenKind.API_KEY: "sk-os1-"}


def token_hash(secret: str) -> str:
    """Tokens carry 256 random bits, so a fast hash is safe here (unlike passwords) and lookups stay O(1)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret(kind: TokenKind) -> str:
    return PREFIX[kind] + secrets.token_urlsafe(32)


def bearer(header: str | None) -> str | None:
    """The secret of an ``Authorization: Bearer ...`` header."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking: a user, and the token they came with (None in local mode)."""

    user_id: str
    token: AuthToken | None = None


class Auth:
    def __init__(self, store: Store, token_ttl: timedelta, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.token_ttl = token_ttl
        self.clock = clock
        self.hasher = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) parameters
        self._dummy_hash = self.hasher.hash(secrets.token_hex(16))

    async def register(self, username: str, password: str) -> Account:
        _check_username(username)
        _check_password(password)
        hashed = await asyncio.to_thread(self.hasher.hash, password)  # ~50 ms of CPU: off the event loop
        return await self.store.accounts.create(username, hashed)

    async def login(self, username: str, password: str) -> tuple[str, AuthToken]:
        account = await self.store.accounts.by_username(username)
        # An unknown name costs as much as a wrong password, so timing does not tell which names exist.
        ok = await asyncio.to_thread(self._verify, account.password_hash if account else self._dummy_hash, password)
        if account is None or not ok:
            raise AuthError("wrong name or password", "check both, or register first")
        return await self.issue(account.user_id, TokenKind.LOGIN)

    async def issue(self, user_id: str, kind: TokenKind, name: str = "") -> tuple[str, AuthToken]:
        """A new secret (returned once, never stored) and its stored record."""
        secret = new_secret(kind)
        expires = self.clock() + self.token_ttl if kind is TokenKind.LOGIN else None
        token = await self.store.accounts.add_token(user_id, token_hash(secret), kind, name, expires)
        return secret, token

    async def authenticate(self, secret: str | None) -> Caller:
        if not secret:
            raise AuthError("no credentials", "send `Authorization: Bearer TOKEN` (log in at POST /api/login)")
        token = await self.store.accounts.token_owner(token_hash(secret), self.clock())
        if token is None:
            raise AuthError("the token is unknown, expired or revoked", "log in again (POST /api/login)")
        return Caller(token.user_id, token)

    def _verify(self, hashed: str, password: str) -> bool:
        try:
            return self.hasher.verify(hashed, password)
        except (VerificationError, InvalidHashError):
            return False


def _check_username(username: str) -> None:
    if not USERNAME.match(username):
        raise InputError("a name is 3-32 letters, digits, '.', '_' or '-', starting with a letter or digit",
                         "choose another name")
    if username.lower() == LOCAL_USER_NAME:  # the local mode's user: an account must never become it
        raise InputError(f"the name {username!r} is reserved", "choose another name")


def _check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InputError(f"a password is {MIN_PASSWORD} to {MAX_PASSWORD} characters", "choose another password")


def utc_now() -> datetime:
    return datetime.now(UTC)
