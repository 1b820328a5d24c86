"""Register, log in and out, and per-user API keys for OpenAI-compatible clients."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from os1.core.accounts import TokenKind
from os1.core.errors import NotFoundError
from os1.server.auth import Caller
from os1.server.errors import COMMON_ERRORS, RateLimitedError, documented
from os1.server.schemas import AccountOut, Credentials, KeyIn, KeyOut, LoginOut
from os1.server.state import current_caller, login_caller, state_of

router = APIRouter(prefix="/api", tags=["accounts"], responses=COMMON_ERRORS)
CallerDep = Annotated[Caller, Depends(current_caller)]
LoginDep = Annotated[Caller, Depends(login_caller)]


def _limit(request: Request, what: str) -> None:
    """One bucket per name and client address: guessing one name's password is slow, and one address
    cannot lock another out."""
    address = request.client.host if request.client else "?"
    limiter = state_of(request).login_limiter
    key = f"{what}|{address}"
    if not limiter.allow(key):
        raise RateLimitedError("too many tries", "wait a minute and try again", limiter.retry_after(key))


@router.post("/accounts", status_code=status.HTTP_201_CREATED, response_model=AccountOut,
             responses=documented(409, 413, 429))
async def register(body: Credentials, request: Request) -> AccountOut:
    _limit(request, "register")
    account = await state_of(request).auth.register(body.username, body.password)
    return AccountOut(user_id=account.user_id, username=account.username)


@router.post("/login", response_model=LoginOut, responses=documented(413, 429))
async def login(body: Credentials, request: Request) -> LoginOut:
    _limit(request, "login:" + body.username.lower())
    secret, token = await state_of(request).auth.login(body.username, body.password)
    return LoginOut(token=secret, token_id=token.id, expires_at=token.expires_at)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(caller: CallerDep, request: Request) -> None:
    if caller.token is not None:
        await state_of(request).engine.store.accounts.revoke(caller.user_id, caller.token.id)


@router.get("/me", response_model=AccountOut)
async def me(caller: CallerDep, request: Request) -> AccountOut:
    user = await state_of(request).engine.store.users.get(caller.user_id)
    return AccountOut(user_id=caller.user_id, username=user.name if user else "")


@router.post("/keys", status_code=status.HTTP_201_CREATED, response_model=KeyOut, responses=documented(403, 413))
async def create_key(body: KeyIn, caller: LoginDep, request: Request) -> KeyOut:
    secret, token = await state_of(request).auth.issue(caller.user_id, TokenKind.API_KEY, body.name)
    return KeyOut.of(token, secret)


@router.get("/keys", response_model=list[KeyOut], responses=documented(403))
async def list_keys(caller: LoginDep, request: Request) -> list[KeyOut]:
    return [KeyOut.of(t) for t in await state_of(request).engine.store.accounts.tokens(caller.user_id,
                                                                                          TokenKind.API_KEY)]


@router.delete("/keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT, responses=documented(403, 404))
async def revoke_key(key_id: str, caller: LoginDep, request: Request) -> None:
    if not key_id.startswith("key_") or not await state_of(request).engine.store.accounts.revoke(caller.user_id,
                                                                                                  key_id):
        raise NotFoundError(f"no API key {key_id}", "list yours with GET /api/keys")
