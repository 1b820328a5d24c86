"""The caller's own data: history, memory, profile. Every query names ``caller.user_id``; an id that
belongs to someone else reads exactly like one that does not exist (404)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from os1.core.errors import NotFoundError
from os1.core.memory import MemoryKind
from os1.core.profile import Profile
from os1.server.auth import Caller
from os1.server.errors import COMMON_ERRORS, documented
from os1.server.schemas import ConversationOut, ForgottenOut, MemoryOut, MessageOut, ProfileOut, ProfileUpdate
from os1.server.state import current_caller, state_of

router = APIRouter(prefix="/api", tags=["your data"], responses=COMMON_ERRORS)
CallerDep = Annotated[Caller, Depends(current_caller)]
Limit = Annotated[int, Query(ge=1, le=1000)]


@router.get("/conversations", response_model=list[ConversationOut])
async def conversations(caller: CallerDep, request: Request, limit: Limit = 50) -> list[ConversationOut]:
    """Newest first."""
    found = await state_of(request).engine.store.conversations.newest(caller.user_id, limit)
    return [ConversationOut.of(c) for c in found]


@router.get("/conversations/{conversation_id}/messages", response_model=list[MessageOut], responses=documented(404))
async def conversation_messages(conversation_id: str, caller: CallerDep, request: Request,
                                limit: Limit = 200) -> list[MessageOut]:
    """The conversation's last ``limit`` messages, oldest first."""
    store = state_of(request).engine.store
    if await store.conversations.get(caller.user_id, conversation_id) is None:
        raise NotFoundError(f"no conversation {conversation_id}", "list yours with GET /api/conversations")
    return [MessageOut.of(m) for m in await store.messages.recent(caller.user_id, conversation_id, limit)]


@router.get("/history", response_model=list[MessageOut])
async def history(caller: CallerDep, request: Request, search: str = "", limit: Limit = 50) -> list[MessageOut]:
    """The last messages across conversations, oldest first; with ``search``, those with all its words."""
    messages = state_of(request).engine.store.messages
    if search:
        return [MessageOut.of(h.message) for h in await messages.search(caller.user_id, search, limit)]
    return [MessageOut.of(m) for m in await messages.history(caller.user_id, limit)]


@router.get("/memory", response_model=list[MemoryOut])
async def memory_list(caller: CallerDep, request: Request, kind: MemoryKind | None = None,
                      all: bool = False, limit: Limit = 50) -> list[MemoryOut]:
    """What the OS remembers, newest first; replaced facts only with ``all``."""
    repo = state_of(request).engine.store.memory
    items = await repo.list_items(caller.user_id, [kind] if kind else [], current_only=not all, limit=limit)
    return [MemoryOut.of(i) for i in items]


@router.get("/memory/search", response_model=list[MemoryOut])
async def memory_search(caller: CallerDep, request: Request, q: Annotated[str, Query(min_length=1, max_length=2000)],
                        k: Annotated[int, Query(ge=1, le=100)] = 10) -> list[MemoryOut]:
    """Recall as the OS does before it answers: words and meaning, best first."""
    hits = await state_of(request).memory.recall(caller.user_id, q, now=datetime.now(UTC), k=k)
    return [MemoryOut.of(h.item, h.score, h.signals) for h in hits]


@router.delete("/memory/{item_id}", response_model=ForgottenOut, responses=documented(404))
async def memory_forget(item_id: str, caller: CallerDep, request: Request) -> ForgottenOut:
    """Forget a memory for good: it, what was derived from it, its vectors and the original messages."""
    state = state_of(request)
    items = await state.engine.store.memory.get(caller.user_id, [item_id])
    if not items:
        raise NotFoundError(f"no memory {item_id}", "list yours with GET /api/memory")
    return ForgottenOut(forgotten=await state.memory.forget(caller.user_id, items))


@router.get("/profile", response_model=ProfileOut)
async def profile(caller: CallerDep, request: Request) -> ProfileOut:
    """What the first meeting learned about the user, and the name the OS chose."""
    return _profile_out(caller.user_id, await state_of(request).engine.store.profiles.get(caller.user_id))


def _profile_out(user_id: str, found: Profile) -> ProfileOut:
    data = found.to_json()
    data.pop("user_id", None)
    return ProfileOut(user_id=user_id, profile=data)


@router.patch("/profile", response_model=ProfileOut)
async def update_profile(change: ProfileUpdate, caller: CallerDep, request: Request) -> ProfileOut:
    """Change what the OS calls you, how you like to be spoken to, the voice you prefer, how much you like
    company. Your next reply already follows it."""
    state = state_of(request)
    current = await state.engine.store.profiles.get(caller.user_id)
    updated = replace(current, user_name=_text(change.user_name, current.user_name),
                      address_style=_text(change.address_style, current.address_style),
                      voice=change.voice or current.voice, sociability=change.sociability or current.sociability)
    await state.engine.store.profiles.save(updated)
    state.sessions.profile_changed(updated)
    return _profile_out(caller.user_id, updated)


def _text(new: str | None, old: str) -> str:
    return old if new is None else new.strip()
