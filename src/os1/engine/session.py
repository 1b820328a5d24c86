"""A Session: one user's live conversation. It runs the turn flow of DESIGN.md:

store the user's utterance (durably, before anything else) -> build the prompt -> stream the reply,
saving it as it grows -> mark it complete, or truncated when it was interrupted or failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from os1.core.errors import InputError, NotFoundError
from os1.core.ids import new_id
from os1.core.messages import ChatMessage, Conversation, MessageStatus, Role, StoredMessage
from os1.core.persona import PersonaState
from os1.core.profile import Profile
from os1.core.turns import Reply, Turn
from os1.engine.background import BackgroundLane
from os1.engine.care import CareGuard, CareKind, ContinuousUse
from os1.engine.clock import Clock, system_clock
from os1.engine.hooks import TurnHook
from os1.engine.prompt import build_prefix, build_prompt
from os1.engine.speculation import Speculation
from os1.llm.base import LLM, GenerationOptions
from os1.persona.identity import persona_prompt
from os1.persona.versions import current_persona
from os1.storage.base import Store

log = logging.getLogger(__name__)

# How many stored messages to consider for the prompt before the token budget trims them.
HISTORY_WINDOW = 200
# Save a growing reply at most this often, so a killed process loses at most this much of it.
FLUSH_INTERVAL_S = 0.2
# On close, background work (fact extraction, mood) gets this long to finish before it is cancelled.
CLOSE_GRACE_S = 10.0


@dataclass(frozen=True, slots=True)
class SessionConfig:
    n_ctx: int = 4096
    max_reply_tokens: int = 256
    temperature: float = 0.7
    max_message_chars: int = 8000

    @property
    def prompt_budget(self) -> int:
        return self.n_ctx - self.max_reply_tokens


class Delivery(Protocol):
    """How a front end that speaks the reply (``os1 talk``) tells the Session what the user actually heard.

    Text is yielded well before it is played, so for a spoken reply "complete" means played to the end,
    and a reply cut by barge-in is stored as far as it was heard, not as far as it was written.
    """

    async def finished(self) -> bool:
        """Wait until everything yielded was delivered; False when playback was cut short."""
        ...

    def heard(self, sent: str) -> str:
        """Of ``sent`` (all the text yielded), what reached the user."""
        ...


class Session:
    """Owns one conversation of one user. Create with ``Session.open``."""

    def __init__(
        self,
        store: Store,
        llm: LLM,
        profile: Profile,
        conversation: Conversation,
        config: SessionConfig,
        clock: Clock = system_clock,
        care: CareGuard | None = None,
        hooks: Sequence[TurnHook] = (),
        background: BackgroundLane | None = None,
    ) -> None:
        self.store = store
        self.care = care
        self.hooks = tuple(hooks)
        # Shared by every Session of a server process, so all users' after-reply work queues in one lane.
        self.background = background or BackgroundLane()
        # The persona version in the prompt; it changes only when reflection (or the user) makes a new one.
        self.persona: PersonaState | None = None
        self._background: set[asyncio.Task[None]] = set()
        self.use = ContinuousUse()
        self.llm = llm
        self.profile = profile
        self.conversation = conversation
        self.config = config
        self.clock = clock

    @classmethod
    async def open(
        cls,
        store: Store,
        llm: LLM,
        user_id: str,
        config: SessionConfig,
        *,
        new_conversation: bool = False,
        conversation_id: str | None = None,
        clock: Clock = system_clock,
        care: CareGuard | None = None,
        hooks: Sequence[TurnHook] = (),
        background: BackgroundLane | None = None,
    ) -> Session:
        """Continue the user's latest conversation (or start one), or the user's conversation named by id."""
        profile = await store.profiles.get(user_id)
        if conversation_id is not None:
            conversation = await store.conversations.get(user_id, conversation_id)
            if conversation is None:  # someone else's id reads exactly like one that does not exist
                raise NotFoundError(f"no conversation {conversation_id}", "list yours, or start a new one")
        else:
            conversation = None if new_conversation else await store.conversations.latest(user_id)
        if conversation is None:
            conversation = await store.conversations.create(user_id)
        session = cls(store, llm, profile, conversation, config, clock, care, hooks, background)
        version = await current_persona(store, profile)
        session.persona = version.state if version else None
        return session

    @property
    def user_id(self) -> str:
        return self.conversation.user_id

    async def history(self, limit: int = 50) -> list[StoredMessage]:
        return await self.store.messages.recent(self.user_id, self.conversation.id, limit)

    async def _reminder(self, now: datetime) -> AsyncGenerator[str, None]:
        """After three hours of continuous use, end the reply with a reminder that the OS is an AI."""
        if self.care is None:
            return
        last = await self.store.care_events.last(self.user_id, CareKind.AI_REMINDER.value)
        if reminder := self.use.reminder(now, last):
            await self.store.care_events.record(self.user_id, CareKind.AI_REMINDER.value, now)
            yield "\n\n" + reminder

    async def warm_prefix(self) -> list[ChatMessage]:
        """What the next turn's prompt will start with; give it to ``llm.warm`` while the user types."""
        dialogue, before = await self._dialogue()
        # Leave room for the next message and its time note, as the turn itself will.
        budget = self.config.prompt_budget - self.config.max_reply_tokens
        persona = persona_prompt(self.profile, self.persona)
        return await build_prefix(persona, dialogue, budget, self.llm.count_tokens, before)

    async def speculative_prompt(self, text: str, notes: bool = False,
                                 as_of: str | None = None) -> list[ChatMessage] | None:
        """The prompt ``send(text)`` would give the model, built without storing anything: give it to
        ``llm.warm`` while it is not yet sure the user has finished (a spoken pause). The hooks' turn note
        is left out unless ``notes`` (then the hooks' side-effect-free ``preview``s make it), so without
        it the model's cache covers everything up to the note. ``as_of``: a message id made when the
        speculation began; what was stored since (the turn's own words, when ``send`` came quickly) is left
        out. None when ``send`` would not ask the model."""
        try:
            text = self.check_input(text)
        except InputError:
            return None
        if notes and self.care is not None and self.care.fixed_reply(text, self.profile.user_name) is not None:
            return None
        as_of = as_of or new_id("msg")
        dialogue, before = await self._dialogue()
        dialogue = [m for m in dialogue if m.id < as_of]
        unsaved = StoredMessage(as_of, self.conversation.id, self.user_id, Role.USER, text, self.clock())
        note = await self._turn_note(self._turn_of(unsaved), preview=True) if notes else ""
        persona = persona_prompt(self.profile, self.persona)
        try:
            return await build_prompt(persona, [*dialogue, unsaved], self.config.prompt_budget,
                                      self.llm.count_tokens, before, note)
        except InputError:  # too long for the context: send will say so
            return None

    def speculate(self, text: str) -> Speculation | None:
        """Start writing the reply to ``text`` before it is sure the user has finished (engine/speculation.py);
        pass it to ``send``, or ``stop`` it. None when a hook cannot tell its note ahead (no ``preview``)."""
        if not all(callable(getattr(hook, "preview", None)) for hook in self.hooks):
            return None
        as_of = new_id("msg")  # now, not when the prompt is built: the turn may store the words meanwhile
        return Speculation(self.speculative_prompt(text, notes=True, as_of=as_of), self.llm, self._options())

    def _options(self) -> GenerationOptions:
        return GenerationOptions(max_tokens=self.config.max_reply_tokens, temperature=self.config.temperature)

    def check_input(self, text: str) -> str:
        text = text.strip()
        if not text:
            raise InputError("the message is empty", "type something to say")
        if len(text) > self.config.max_message_chars:
            raise InputError(
                f"the message is {len(text)} characters; the limit is {self.config.max_message_chars}",
                "send it in parts, or raise it with `os1 config set max_message_chars N`",
            )
        return text

    async def send(self, text: str, delivery: Delivery | None = None,
                   speculation: Speculation | None = None) -> AsyncGenerator[str, None]:
        """Run one turn and yield the reply as it streams.

        Closing the iterator early (Ctrl-C, barge-in) stores the reply as truncated at what was yielded,
        or at what ``delivery`` says was heard. With a ``delivery`` the iterator ends (and the reply is
        stored complete) only once it reports that everything was played. A ``speculation`` (from
        ``speculate(text)``) is taken when it was written for this turn's very prompt, and stopped either way.
        """
        # Until its first delta this turn goes before the learning from other turns (engine/background.py).
        prelude = self.background.prelude()
        try:
            text = self.check_input(text)
            async with contextlib.aclosing(self._turn(text, delivery, speculation)) as deltas:
                async for delta in deltas:
                    prelude.end()
                    yield delta
        finally:
            prelude.end()
            if speculation is not None:
                await speculation.stop()

    async def _turn(self, text: str, delivery: Delivery | None,
                    speculation: Speculation | None = None) -> AsyncGenerator[str, None]:
        now = self.clock()
        said = await self.store.messages.add(self.user_id, self.conversation.id, Role.USER, text, created_at=now)
        log.info("turn user=%s conversation=%s message=%s", self.user_id, self.conversation.id, said.id)
        self.use.touch(now)
        if version := await self.store.persona.latest(self.user_id):  # reflection may have made a new one
            self.persona = version.state
        turn = self._turn_of(said)
        fixed = self.care.fixed_reply(text, self.profile.user_name) if self.care else None
        if fixed is not None:
            await self.store.care_events.record(self.user_id, fixed.kind.value, now)
            replies = _words(fixed.text)
        else:
            messages = await self._prompt(said, await self._turn_note(turn))
            ahead = await speculation.take(messages) if speculation is not None else None
            replies = ahead if ahead is not None else self.llm.stream(messages, self._options())
            if speculation is not None:
                log.info("reply written ahead user=%s taken=%s", self.user_id, ahead is not None)
        # aclosing: when our caller stops early, the inner stream must finish (and store) right now.
        async with contextlib.aclosing(self._stream_and_store(replies, turn, delivery)) as deltas:
            async for delta in deltas:
                yield delta

    def _turn_of(self, said: StoredMessage) -> Turn:
        identity = self.profile.identity
        return Turn(self.user_id, self.conversation.id, said.id, said.content, said.created_at,
                    user_name=self.profile.user_name, os_name=identity.name if identity else "")

    async def _turn_note(self, turn: Turn, preview: bool = False) -> str:
        """The hooks' notes for this turn's prompt. A failing hook is logged and skipped: recall or mood
        going wrong must not cost the user their reply. ``preview``: the notes the hooks will most likely
        make, without their side effects (recording a nudge, forgetting), for a reply written ahead; it is
        taken only if the real notes come out the same."""
        notes = []
        for hook in self.hooks:
            try:
                # speculate() checked that every hook has a preview
                note = await (hook.preview(turn) if preview else hook.before_reply(turn))  # type: ignore[attr-defined]
            except Exception:
                log.exception("hook %s failed before the reply user=%s", hook.name, self.user_id)
                continue
            if note:
                notes.append(note)
        return "\n\n".join(notes)

    def _after_reply(self, turn: Turn, reply: Reply) -> None:
        """Let the hooks learn from the exchange in the background lane (the user does not wait for it)."""
        for hook in self.hooks:
            task = asyncio.get_running_loop().create_task(self.background.run(self._run_after(hook, turn, reply)))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _run_after(self, hook: TurnHook, turn: Turn, reply: Reply) -> None:
        try:
            await hook.after_reply(turn, reply)
        except Exception:
            log.exception("hook %s failed after the reply user=%s", hook.name, self.user_id)

    async def drain(self) -> None:
        """Wait for the background work of the turns so far (tests and benchmarks use this)."""
        while self._background:
            await asyncio.gather(*list(self._background))

    async def settle(self, timeout: float) -> None:
        """Let background work run for up to ``timeout`` seconds (a front end whose event loop stops
        between turns calls this after each one); what is unfinished goes on at the next chance."""
        if self._background:
            await asyncio.wait(list(self._background), timeout=timeout)

    async def aclose(self) -> None:
        """Give background work a grace period, then cancel what is left."""
        if not self._background:
            return
        pending = list(self._background)
        _, late = await asyncio.wait(pending, timeout=CLOSE_GRACE_S)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    async def _dialogue(self, upto: str | None = None) -> tuple[list[StoredMessage], datetime | None]:
        """The conversation so far (up to and including message ``upto``), and when the user spoke before it."""
        window = await self.store.messages.recent(self.user_id, self.conversation.id, HISTORY_WINDOW)
        # Another process may write to the same conversation meanwhile: nothing after this utterance.
        dialogue = [m for m in window if m.role is not Role.SYSTEM and (upto is None or m.id <= upto)]
        dialogue = [m for m in dialogue if m.content or m.id == upto]
        first = dialogue[0].id if dialogue else None
        before = await self.store.messages.last_exchange_at(self.user_id, before_id=first) if first else None
        return dialogue, before

    async def _prompt(self, said: StoredMessage, note: str = "") -> list[ChatMessage]:
        dialogue, before = await self._dialogue(upto=said.id)
        persona = persona_prompt(self.profile, self.persona)
        return await build_prompt(persona, dialogue, self.config.prompt_budget, self.llm.count_tokens, before, note)

    async def _stream_and_store(
        self, stream: AsyncGenerator[str, None], turn: Turn, delivery: Delivery | None = None
    ) -> AsyncGenerator[str, None]:
        reply: StoredMessage | None = None
        text = ""
        status = MessageStatus.TRUNCATED
        last_flush = 0.0
        stream = _then(stream, self._reminder(turn.at))
        try:
            async for delta in stream:
                text += delta
                if reply is None:
                    reply = await self.store.messages.add(
                        self.user_id, self.conversation.id, Role.ASSISTANT, text, MessageStatus.STREAMING
                    )
                    last_flush = time.monotonic()
                elif time.monotonic() - last_flush >= FLUSH_INTERVAL_S:
                    await self.store.messages.update(self.user_id, reply.id, text, MessageStatus.STREAMING)
                    last_flush = time.monotonic()
                yield delta
            if delivery is None or await delivery.finished():
                status = MessageStatus.COMPLETE
        finally:
            await stream.aclose()
            if delivery is not None and status is not MessageStatus.COMPLETE:
                text = delivery.heard(text)
            if reply is not None:
                await self.store.messages.update(self.user_id, reply.id, text, status)
                log.info("reply message=%s status=%s chars=%d", reply.id, status.value, len(text))
            self._after_reply(turn, Reply(reply.id if reply else None, text, status, self.clock()))


async def _words(text: str) -> AsyncGenerator[str, None]:
    """A fixed reply, streamed word by word like a model's, so every front end renders it the same way."""
    for i, word in enumerate(text.split(" ")):
        yield word if i == 0 else " " + word


async def _then(first: AsyncGenerator[str, None], second: AsyncGenerator[str, None]) -> AsyncGenerator[str, None]:
    """``first``, then ``second`` (only if ``first`` ended normally); both closed either way."""
    async with contextlib.aclosing(first), contextlib.aclosing(second):
        async for delta in first:
            yield delta
        async for delta in second:
            yield delta
