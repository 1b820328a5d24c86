"""Turn hooks: how capabilities (memory, mood, care) take part in a turn without the Session knowing them.

A hook may add a note to this turn's prompt (``before_reply``) and learn from the finished exchange
(``after_reply``). Notes go just before the user's new message, never into the persona: the prompt's
prefix stays the same from turn to turn, so the local backend keeps reusing its evaluated prefix.
``after_reply`` runs in the Session's background tasks; slow work (fact extraction) belongs there.

A hook may also ``preview`` its note: what ``before_reply`` will most likely say, with no side effects, for a
spoken reply written ahead while the user may still be speaking (engine/speculation.py). A wrong guess
costs only that head start; a hook without ``preview`` turns writing ahead off.
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


async def rarely_a_note(turn: Turn) -> str | None:
    """``preview`` of a hook that makes a note on few turns (a nudge, a reminder, a follow-up): none is
    the best guess, and on the turn that gets one the reply written ahead is dropped."""
    return None
