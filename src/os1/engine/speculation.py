"""A spoken reply written ahead, while it is not yet sure the user has finished.

At a pause in speech the transcript is ready some 100-200 ms before the endpoint confirms the turn, and
the model writes its first sentence at ~13 tokens/s on this class of machine: starting to write at the
pause instead of the endpoint is time the user does not wait. ``Session.speculate`` starts one; the turn
(``Session.send``) *takes* it only when the prompt it builds for the stored utterance is exactly the
prompt the speculation was written for (same words, same hook notes, same history), so a reply taken
ahead is the reply the turn itself would have asked for. Anything else (the user spoke on, a hook's note
came out differently) stops it, and the turn asks the model afresh: a wrong guess costs only the head
start. Nothing is stored, shown or played before the turn takes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Awaitable, Sequence

from os1.core.messages import ChatMessage
from os1.llm.base import LLM, GenerationOptions

log = logging.getLogger(__name__)


class Speculation:
    """Builds its prompt (``prompt``, in a task of its own: None when there is nothing to write ahead),
    then streams the model's reply into a buffer until it is taken, stopped, or complete."""

    def __init__(self, prompt: Awaitable[list[ChatMessage] | None], llm: LLM, options: GenerationOptions) -> None:
        self.taken = False  # a turn took the reply
        self._deltas: list[str] = []
        self._grew = asyncio.Event()
        self._ended = False
        self._error: Exception | None = None
        self._building = asyncio.ensure_future(prompt)
        self._task = asyncio.create_task(self._write(llm, options))

    async def _prompt(self) -> list[ChatMessage] | None:
        """The prompt it is written for; None when there is none, or it failed or was stopped being built."""
        await asyncio.wait([self._building])
        if self._building.cancelled() or self._building.exception() is not None:
            return None
        return self._building.result()

    async def _write(self, llm: LLM, options: GenerationOptions) -> None:
        try:
            if (messages := await self._prompt()) is None:
                if not self._building.cancelled() and (exc := self._building.exception()) is not None:
                    # Only a head start is lost: the turn builds its own prompt and says what failed.
                    log.warning("the prompt for a reply written ahead failed", exc_info=exc)
                return
            async with contextlib.aclosing(llm.stream(messages, options)) as deltas:
                async for delta in deltas:
                    self._deltas.append(delta)
                    self._grew.set()
        except Exception as exc:  # the turn that takes it raises it, as its own stream would have
            self._error = exc
        finally:  # stopped, failed or complete: a reader waiting for more must not wait forever
            self._end()

    def _end(self) -> None:
        self._ended = True
        self._grew.set()

    async def take(self, prompt: Sequence[ChatMessage]) -> AsyncGenerator[str, None] | None:
        """The reply, from its first delta, if it was written for exactly ``prompt``; else None, once the
        speculation has stopped (so the model is free for the turn's own request)."""
        if await self._prompt() != list(prompt):
            await self.stop()
            return None
        self.taken = True
        return self._replay()

    async def _replay(self) -> AsyncGenerator[str, None]:
        """What was written so far at once, then the rest as it comes; closing it stops the model."""
        sent = 0
        try:
            while True:
                while sent < len(self._deltas):
                    sent += 1
                    yield self._deltas[sent - 1]
                if self._ended:
                    if self._error is not None:
                        raise self._error
                    return
                self._grew.clear()
                await self._grew.wait()
        finally:
            await self.stop()

    def cancel(self) -> None:
        """Stop writing (the model lets go of the request shortly after)."""
        self._building.cancel()
        self._task.cancel()

    async def stop(self) -> None:
        """Stop writing and wait until the model has let go of the request."""
        self.cancel()
        await asyncio.gather(self._building, self._task, return_exceptions=True)
