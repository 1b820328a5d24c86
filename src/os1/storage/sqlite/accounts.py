"""SQLite accounts and bearer tokens for `os1 serve`."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from os1.core.accounts import Account, AuthToken, TokenKind
from os1.core.errors import ConflictError
from os1.core.ids import new_id
from os1.storage.sqlite.util import dt, now_utc, transaction, ts

_TOKEN_COLUMNS = "id, user_id, kind, name, created_at, expires_at, revoked_at"


def _token(row: tuple[str, ...]) -> AuthToken:
    expires = dt(row[5]) if row[5] else None
    return AuthToken(row[0], row[1], TokenKind(row[2]), row[3], dt(row[4]), expires, revoked=row[6] is not None)


class SQLiteAccounts:
    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con

    async def create(self, username: str, password_hash: str) -> Account:
        account = Account(new_id("usr"), username, password_hash, now_utc())
        try:
            with transaction(self.con):
                created = ts(account.created_at)
                self.con.execute("INSERT INTO users VALUES (?, ?, ?)", (account.user_id, username, created))
                self.con.execute("INSERT INTO accounts VALUES (?, ?, ?, ?)",
                                 (account.user_id, username, password_hash, created))
        except sqlite3.IntegrityError as exc:  # the UNIQUE login name
            raise ConflictError(f"the name {username!r} is taken", "choose another name") from exc
        return account

    async def by_username(self, username: str) -> Account | None:
        row = self.con.execute(
            "SELECT user_id, username, password_hash, created_at FROM accounts WHERE username = ?", (username,)
        ).fetchone()
        return Account(row[0], row[1], row[2], dt(row[3])) if row else None

    async def add_token(
        self, user_id: str, token_hash: str, kind: TokenKind, name: str = "", expires_at: datetime | None = None
    ) -> AuthToken:
        token = AuthToken(new_id("tok" if kind is TokenKind.LOGIN else "key"), user_id, kind, name, now_utc(),
                          expires_at)
        self.con.execute(
            f"INSERT INTO auth_tokens (token_hash, {_TOKEN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
            (token_hash, token.id, user_id, kind.value, name, ts(token.created_at),
             ts(expires_at) if expires_at else None),
        )
        return token

    async def token_owner(self, token_hash: str, now: datetime) -> AuthToken | None:
        row = self.con.execute(
            f"SELECT {_TOKEN_COLUMNS} FROM auth_tokens WHERE token_hash = ? AND revoked_at IS NULL "
            "AND (expires_at IS NULL OR expires_at > ?)",
            (token_hash, ts(now)),
        ).fetchone()
        return _token(row) if row else None

    async def tokens(self, user_id: str, kind: TokenKind) -> list[AuthToken]:
        rows = self.con.execute(
            f"SELECT {_TOKEN_COLUMNS} FROM auth_tokens WHERE user_id = ? AND kind = ? AND revoked_at IS NULL "
            "ORDER BY id",
            (user_id, kind.value),
        ).fetchall()
        return [_token(r) for r in rows]

    async def revoke(self, user_id: str, token_id: str) -> bool:
        cur = self.con.execute(
            "UPDATE auth_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
            (ts(now_utc()), token_id, user_id),
        )
        return cur.rowcount == 1
