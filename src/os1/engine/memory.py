"""MemoryHook: memory's part in every turn.

Before the reply: answer "what do you know about me?" and "forget what I said about X" from memory
itself (never from the model's guesses), or else recall what is relevant to the user's message and put
it, with dates, in this turn's note. After the reply: remember both sides (the user's words also teach
facts; the OS's own words are kept as episodes only).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from os1.core.memory import MemoryItem, Recalled
from os1.core.messages import Role
from os1.core.turns import Reply, Turn
from os1.memory.episodes import Utterance
from os1.memory.intents import ForgetRequest, KnowRequest, memory_intent
from os1.memory.service import Memory

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RecallPolicy:
    k: int = 5  # memories at most in one turn's note
    max_chars: int = 1200  # about 300 tokens: recall must not crowd out the conversation itself
    min_score: float = 0.0  # fused score; the absolute relevance gate is Memory's ``relevant`` check


def when(item: MemoryItem) -> str:
    return item.occurred_at.strftime("%-d %B %Y")


def render_recalled(hits: list[Recalled], max_chars: int) -> str:
    lines: list[str] = []
    used = 0
    for hit in hits:
        who = f"{hit.item.speaker}: " if hit.item.speaker and hit.item.kind.value == "episode" else ""
        line = f"- [{when(hit.item)}] {who}{hit.item.text}"
        if used + len(line) > max_chars:
            break
        lines.append(line)
        used += len(line)
    if not lines:
        return ""
    return "Things you remember from earlier conversations (use them only if they help):\n" + "\n".join(lines)


class MemoryHook:
    name = "memory"

    def __init__(self, memory: Memory, policy: RecallPolicy | None = None) -> None:
        self.memory = memory
        self.policy = policy or RecallPolicy()
        self._caught_up: set[str] = set()

    async def catch_up(self, turn: Turn) -> int:
        """Remember messages that never reached memory (a process killed mid-turn, history from before
        memory was on); once per user per process. Requests about memory itself stay out."""
        if turn.user_id in self._caught_up:
            return 0
        self._caught_up.add(turn.user_id)
        store = self.memory.store
        missed = []
        for message_id in await store.memory.unremembered(turn.user_id):
            message = await store.messages.get(turn.user_id, message_id)
            if message is None or message.id == turn.message_id or memory_intent(message.content) is not None:
                continue
            mine = message.role is Role.USER
            speaker = (turn.user_name or "User") if mine else (turn.os_name or "OS")
            missed.append(Utterance(message.content, speaker, message.created_at, message.id,
                                    message.conversation_id, learn_facts=mine))
        if missed:
            await self.memory.remember(turn.user_id, missed)
            log.info("memory caught up user=%s messages=%d", turn.user_id, len(missed))
        return len(missed)

    async def before_reply(self, turn: Turn) -> str | None:
        await self.catch_up(turn)
        intent = memory_intent(turn.text)
        if isinstance(intent, ForgetRequest):
            return await self._forget(turn, intent.topic)
        if isinstance(intent, KnowRequest):
            return await self._known(turn)
        return await self._recalled(turn)

    async def preview(self, turn: Turn) -> str | None:
        """The note without catching up or forgetting (a request to forget is carried out by the turn only)."""
        intent = memory_intent(turn.text)
        if isinstance(intent, ForgetRequest):
            return None
        if isinstance(intent, KnowRequest):
            return await self._known(turn)
        return await self._recalled(turn)

    async def _recalled(self, turn: Turn) -> str | None:
        hits = await self.memory.recall(turn.user_id, turn.text, now=turn.at, k=self.policy.k * 2,
                                        min_score=self.policy.min_score, relevant_only=True)
        # What was said in this conversation is already in the prompt; recall what is not.
        hits = [h for h in hits if h.item.conversation_id != turn.conversation_id][: self.policy.k]
        return render_recalled(hits, self.policy.max_chars) or None

    async def _forget(self, turn: Turn, topic: str) -> str:
        items = await self.memory.about(turn.user_id, topic)
        gone = await self.memory.forget(turn.user_id, items)
        log.info("forgot user=%s items=%d", turn.user_id, gone)
        if not gone:
            return f"The user asked you to forget what they said about {topic}; you had nothing stored about it."
        return (f"The user asked you to forget what they said about {topic}. It is done: {gone} memories are "
                "deleted for good. Confirm this kindly in one sentence and do not repeat what was forgotten.")

    async def _known(self, turn: Turn) -> str:
        subject = (turn.user_name or "user").lower()
        facts = await self.memory.facts(turn.user_id, subject=subject, limit=12)
        if not facts:
            return "The user asks what you know about them. You have not learned facts about them yet; say so."
        listed = "\n".join(f"- {f.text} (since {when(f)})" for f in facts)
        return ("The user asks what you know about them. Tell them honestly, from this list only, and that "
                f"they can ask you to forget anything:\n{listed}")

    async def after_reply(self, turn: Turn, reply: Reply) -> None:
        said = [Utterance(turn.text, turn.user_name or "User", turn.at, turn.message_id, turn.conversation_id)]
        if reply.message_id and reply.text.strip():
            said.append(Utterance(reply.text, turn.os_name or "OS", reply.at, reply.message_id,
                                  turn.conversation_id, learn_facts=False))
        if memory_intent(turn.text) is not None:
            said = said[:0]  # a request about memory is not itself something to remember
        if said:
            await self.memory.remember(turn.user_id, said)
