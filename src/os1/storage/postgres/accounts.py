"""PostgreSQL accounts and bearer tokens for `os1 serve` (login names unique whatever their case)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import psycopg

from os1.core.accounts import Account, AuthToken, TokenKind
from os1.core.errors import ConflictError
from os1.core.ids import new_id
from os1.storage.postgres.pool import Database
from os1.storage.postgres.util import now_utc

_TOKEN_COLUMNS = "id, user_id, kind, name, created_at, expires_at, revoked_at"


def _token(row: Sequence[object]) -> AuthToken:
    return AuthToken(str(row[0]), str(row[1]), TokenKind(row[2]), str(row[3]), row[4],  # type: ignore[arg-type]
                     row[5], revoked=row[6] is not None)  # type: ignore[arg-type]


class PostgresAccounts:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, username: str, password_hash: str) -> Account:
        account = Account(new_id("usr"), username, password_hash, now_utc())
        try:
            async with self.db.transaction() as con:
                await con.execute("INSERT INTO users VALUES (%s, %s, %s)",
                                  (account.user_id, username, account.created_at))
                await con.execute("INSERT INTO accounts VALUES (%s, %s, %s, %s)",
                                  (account.user_id, username, password_hash, account.created_at))
        except psycopg.errors.UniqueViolation as exc:  # the unique login name
            raise ConflictError(f"the name {username!r} is taken", "choose another name") from exc
        return account

    async def by_username(self, username: str) -> Account | None:
        async with self.db.transaction() as con:
            cur = await con.execute(
                "SELECT user_id, username, password_hash, created_at FROM accounts WHERE lower(username) = lower(%s)",
                (username,),
            )
            row = await cur.fetchone()
        return Account(row[0], row[1], row[2], row[3]) if row else None

    async def add_token(
        self, user_id: str, token_hash: str, kind: TokenKind, name: str = "", expires_at: datetime | None = None
    ) -> AuthToken:
        token = AuthToken(new_id("tok" if kind is TokenKind.LOGIN else "key"), user_id, kind, name, now_utc(),
                          expires_at)
        async with self.db.transaction() as con:
            await con.execute(
                f"INSERT INTO auth_tokens (token_hash, {_TOKEN_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, NULL)",
                (token_hash, token.id, user_id, kind.value, name, token.created_at, expires_at),
            )
        return token

    async def token_owner(self, token_hash: str, now: datetime) -> AuthToken | None:
        async with self.db.transaction() as con:
            cur = await con.execute(
                f"SELECT {_TOKEN_COLUMNS} FROM auth_tokens WHERE token_hash = %s AND revoked_at IS NULL "
                "AND (expires_at IS NULL OR expires_at > %s)",
                (token_hash, now),
            )
            row = await cur.fetchone()
        return _token(row) if row else None

    async def tokens(self, user_id: str, kind: TokenKind) -> list[AuthToken]:
        async with self.db.transaction() as con:
            cur = await con.execute(
                f"SELECT {_TOKEN_COLUMNS} FROM auth_tokens WHERE user_id = %s AND kind = %s AND revoked_at IS NULL "
                "ORDER BY id",
                (user_id, kind.value),
            )
            rows = await cur.fetchall()
        return [_token(r) for r in rows]

    async def revoke(self, user_id: str, token_id: str) -> bool:
        async with self.db.transaction() as con:
            cur = await con.execute(
                "UPDATE auth_tokens SET revoked_at = %s WHERE id = %s AND user_id = %s AND revoked_at IS NULL",
                (now_utc(), token_id, user_id),
            )
        return cur.rowcount == 1
