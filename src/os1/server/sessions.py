"""Each user's live Session in this process, and one turn at a time per user."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator

from os1.core.profile import Profile
from os1.engine.runtime import Engine
from os1.engine.session import Session

NEW_CONVERSATION = "new"


class Sessions:
    """The user's current conversation, shared by their WebSockets and OpenAI-compatible requests: the OS is
    one person to them, so it answers one message at a time (the others wait their turn)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._current: dict[str, Session] = {}
        self._turns: dict[str, asyncio.Lock] = {}
        self._retired: list[Session] = []  # switched away from; their background learning may still run

    async def current(self, user_id: str) -> Session:
        """The user's current Session (their latest conversation, or a new one)."""
        session = self._current.get(user_id)
        if session is None:
            session = await self.engine.open_session(user_id)
            self._current[user_id] = session
        return session

    async def conversation_id(self, user_id: str) -> str:
        """The conversation the user's next turn goes to, without opening a Session: a connection that
        stays idle then costs no Session (its profile, persona and hook state) in memory."""
        if (session := self._current.get(user_id)) is not None:
            return session.conversation.id
        conversation = await self.engine.store.conversations.latest(user_id)
        if conversation is None:  # the Session opened at the first turn continues the latest one: this one
            conversation = await self.engine.store.conversations.create(user_id)
        return conversation.id

    async def switch(self, user_id: str, conversation: str) -> Session:
        """Make ``conversation`` (an id of the user's, or "new") the current one; another user's id is
        not found."""
        if conversation == NEW_CONVERSATION:
            session = await self.engine.open_session(user_id, new_conversation=True)
        else:
            session = await self.engine.open_session(user_id, conversation_id=conversation)
        old = self._current.get(user_id)
        self._current[user_id] = session
        if old is not None:
            self._retired.append(old)
        return session

    async def reply(self, user_id: str, text: str) -> AsyncGenerator[str, None]:
        """Run one turn of the user's current Session, yielding the reply; closing this early stores the
        reply truncated where it stopped."""
        async with self._turn_lock(user_id):
            session = await self.current(user_id)
            async with contextlib.aclosing(session.send(text)) as deltas:
                async for delta in deltas:
                    yield delta

    def profile_changed(self, profile: Profile) -> None:
        """The user changed their profile (the page's settings): their live Session's next prompt uses it."""
        if (session := self._current.get(profile.user_id)) is not None:
            session.profile = profile

    async def check_input(self, user_id: str, text: str) -> str:
        """The Session's own check (empty, too long), before any reply starts streaming."""
        return (await self.current(user_id)).check_input(text)

    def turn(self, user_id: str) -> asyncio.Lock:
        """Held for one of the user's turns; a spoken turn (server/voice_ws.py) holds it too."""
        return self._turn_lock(user_id)

    def _turn_lock(self, user_id: str) -> asyncio.Lock:
        return self._turns.setdefault(user_id, asyncio.Lock())

    async def aclose(self) -> None:
        for session in [*self._retired, *self._current.values()]:
            await session.aclose()
        self._current.clear()
        self._retired.clear()
