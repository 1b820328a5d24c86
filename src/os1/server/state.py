"""What every request of one server process shares, and the dependency that finds the caller."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request
from starlette.requests import HTTPConnection

from os1.config import Settings
from os1.core.accounts import TokenKind
from os1.engine.runtime import Engine
from os1.memory.service import Memory
from os1.server.auth import Auth, Caller, bearer
from os1.server.errors import ForbiddenError
from os1.server.ratelimit import RateLimiter
from os1.server.sessions import Sessions
from os1.server.turn_times import TurnTimes


@dataclass
class ServerState:
    settings: Settings
    engine: Engine
    auth: Auth
    sessions: Sessions
    memory: Memory  # the engine's, or a keyword-only one when memory is off (listing and forgetting still work)
    login_limiter: RateLimiter
    # Each text turn's receipt-to-first-delta time (server/turn_times.py; `os1 serve --stats`).
    turn_times: TurnTimes = field(default_factory=TurnTimes)

    @property
    def local_mode(self) -> bool:
        return self.settings.server_auth == "none"

    async def caller(self, secret: str | None) -> Caller:
        """The user a token belongs to; in local mode the one local user, with no token needed."""
        if self.local_mode:
            return Caller((await self.engine.store.users.local_user()).id)
        return await self.auth.authenticate(secret)

    async def aclose(self) -> None:
        await self.sessions.aclose()
        await self.engine.aclose()


def state_of(conn: HTTPConnection) -> ServerState:
    state: ServerState = conn.app.state.os1
    return state


async def current_caller(request: Request) -> Caller:
    """FastAPI dependency: every route that touches a user's data depends on this, and on nothing else
    to know whose data it is."""
    return await state_of(request).caller(bearer(request.headers.get("authorization")))


async def login_caller(request: Request) -> Caller:
    """Like ``current_caller``, but refuses API keys: a leaked key must not be able to mint more keys."""
    caller = await current_caller(request)
    if caller.token is not None and caller.token.kind is not TokenKind.LOGIN:
        raise ForbiddenError("an API key cannot manage API keys", "use a login token (POST /api/login)")
    return caller
