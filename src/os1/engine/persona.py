"""The persona in the turn: reflection and the journal after a sitting, and what the next turn is told.

Before the reply (a note, never the persona prefix): a change the OS made on its own is told once; a
user who asks what the OS has been thinking about gets its latest journal entries; after a hard message
the OS takes a short pause to think (``reflect_pause_s``) and says so. After the reply, in the Session's
background: when a sitting has ended (or a long one goes on), the OS reflects, writes in its journal
and may grow a little (``os1.persona.reflection``); the change shows in the prompt from then on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from os1.config import Settings
from os1.core.messages import MessageStatus
from os1.core.persona import PersonaVersion
from os1.core.turns import Reply, Turn
from os1.engine.care import CareKind
from os1.engine.hooks import rarely_a_note
from os1.llm.base import LLM
from os1.persona.emotion import read_emotion
from os1.persona.growth import announcement_note
from os1.persona.journal import ThinkingPause, sharing_note, wants_journal
from os1.persona.reflection import ReflectionPolicy, reflect, reflection_window
from os1.persona.versions import current_persona, grow
from os1.storage.base import Store

log = logging.getLogger(__name__)

# How many of the user's latest messages reflection looks through for the ones not yet reflected on.
SCAN_MESSAGES = 200
# How many journal entries the OS shares when asked.
SHARE_ENTRIES = 3

Valence = Callable[[str], float]
NO_PAUSE = ThinkingPause(0.0)
DEFAULT_POLICY = ReflectionPolicy()
Sleep = Callable[[float], Awaitable[None]]


class PersonaHook:
    """The turn hook. ``valence`` reads how negative a message is (-1..1); without it the OS never pauses."""

    name = "persona"

    def __init__(self, store: Store, llm: LLM, *, policy: ReflectionPolicy = DEFAULT_POLICY,
                 pause: ThinkingPause = NO_PAUSE, valence: Valence | None = None,
                 sleep: Sleep = asyncio.sleep) -> None:
        self.store = store
        self.llm = llm
        self.policy = policy
        self.pause = pause
        self.valence = valence
        self.sleep = sleep
        self._telling: dict[str, list[int]] = {}  # message id -> versions announced in its reply
        self._paused_at: dict[str, datetime] = {}  # user id -> when the OS last paused to think
        self._lock = asyncio.Lock()  # one reflection at a time: two quick turns must not reflect twice

    # A pause to think, news about itself or a journal entry to share: on few turns.
    preview = staticmethod(rarely_a_note)

    async def before_reply(self, turn: Turn) -> str | None:
        notes = []
        hard = await self._maybe_pause(turn)
        if hard:
            notes.append(self.pause.note(turn.user_name))
        else:  # news about itself can wait while the user is having a hard time
            notes.append(await self._announcement(turn))
        if wants_journal(turn.text):
            entries = await self.store.journal.latest(turn.user_id, SHARE_ENTRIES)
            notes.append(sharing_note(entries, turn.user_name))
        return "\n\n".join(n for n in notes if n) or None

    async def after_reply(self, turn: Turn, reply: Reply) -> None:
        told = self._telling.pop(turn.message_id, [])
        # An interrupted reply may have been cut before the news: tell it again next time.
        if told and reply.status is MessageStatus.COMPLETE:
            await self.store.persona.mark_announced(turn.user_id, told)
        async with self._lock:
            await self._reflect(turn, reply)

    async def _announcement(self, turn: Turn) -> str:
        pending = await self.store.persona.unannounced(turn.user_id)
        if not pending:
            return ""
        pairs: list[tuple[PersonaVersion, PersonaVersion | None]] = []
        for version in pending:
            pairs.append((version, await self.store.persona.get(turn.user_id, version.version - 1)))
        self._telling[turn.message_id] = [v.version for v in pending]
        return announcement_note(pairs, turn.user_name)

    async def _maybe_pause(self, turn: Turn) -> bool:
        if self.valence is None or self.pause.seconds <= 0:
            return False
        if not self.pause.due(self.valence(turn.text), turn.at, self._paused_at.get(turn.user_id)):
            return False
        self._paused_at[turn.user_id] = turn.at
        log.info("pause to think user=%s seconds=%.1f", turn.user_id, self.pause.seconds)
        await self.sleep(self.pause.seconds)
        return True

    async def _reflect(self, turn: Turn, reply: Reply) -> None:
        messages = await self.store.messages.history(turn.user_id, SCAN_MESSAGES)
        latest = await self.store.journal.latest(turn.user_id, 1)
        window = reflection_window(messages, latest[0] if latest else None, reply.at, self.policy)
        if not window:
            return
        profile = await self.store.profiles.get(turn.user_id)
        current = await current_persona(self.store, profile)
        if current is None:  # not met yet: nobody to reflect
            return
        result = await reflect(self.llm, current.state, window, turn.user_name, self.policy)
        entry = await self.store.journal.add(turn.user_id, result.entry, reply.at)
        log.info("journal entry=%s user=%s source=%s", entry.id, turn.user_id, entry.source.value)
        if result.refused:
            log.info("persona change refused user=%s: %s", turn.user_id, result.refused)
        if result.change is not None and await self._had_crisis(turn.user_id, window[0].created_at):
            log.info("no persona change from a sitting with a crisis user=%s", turn.user_id)
        elif result.change is not None:
            version = await grow(self.store, profile, result.change, reply.at)
            log.info("persona version=%d user=%s kind=%s", version.version, turn.user_id, result.change.kind.value)

    async def _had_crisis(self, user_id: str, since: datetime) -> bool:
        """A sitting in which the user was in crisis is no occasion to take up a new interest from it."""
        last = await self.store.care_events.last(user_id, CareKind.CRISIS.value)
        return last is not None and last >= since


def persona_hook(settings: Settings, store: Store, llm: LLM) -> PersonaHook:
    """The hook as ``open_companion`` registers it: pauses read the message's valence with the lexicons."""
    return PersonaHook(store, llm, pause=ThinkingPause(settings.reflect_pause_s),
                       valence=lambda text: read_emotion(text).valence)
