"""Turn hooks: how capabilities (memory, mood, care) take part in a turn without the Session knowing them.

A hook may add a note to this turn's prompt (``before_reply``) and learn from the finished exchange
(``after_reply``). Notes go just before the user's new message, never into the persona: the prompt's
prefix stays the same from turn to turn, so the local backend keeps reusing its evaluated prefix.
``after_reply`` runs in the Session's background tasks; slow work (fact extraction) belongs there.
"""

from __future__ import annotations

from typing import Protocol

from os1.core.turns import Reply, Turn


class TurnHook(Protocol):
    name: str

    async def before_reply(self, turn: Turn) -> str | None:
        """A note for this turn's prompt (recalled memories, the user's mood), or None."""
        ...

    async def after_reply(self, turn: Turn, reply: Reply) -> None:
        """Learn from the exchange once the reply has been stored."""
        ...
