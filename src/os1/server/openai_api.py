"""``POST /v1/chat/completions``, as OpenAI's clients expect it, answered by the caller's own Session.

Only the LAST user message of the request is the user's turn. The OS keeps its own history (and persona
and memory) per user, so earlier messages in the request are ignored: sending them again would duplicate
what it already remembers, and a client could not rewrite what was said.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from os1.core.errors import InputError, OS1Error
from os1.core.ids import new_id
from os1.server.auth import Caller
from os1.server.errors import COMMON_ERRORS, documented, error_body, status_of
from os1.server.state import current_caller, state_of

router = APIRouter(prefix="/v1", tags=["OpenAI-compatible"], responses=COMMON_ERRORS)
CallerDep = Annotated[Caller, Depends(current_caller)]
MODEL = "os1"


class ChatMessageIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):  # content parts: only text is understood here
            return "".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatCompletionIn(BaseModel):
    # Sampling settings and the like are accepted and ignored: the OS answers with its own.
    model_config = ConfigDict(extra="allow")
    model: str = MODEL
    messages: list[ChatMessageIn] = Field(min_length=1)
    stream: bool = False


def last_user_text(body: ChatCompletionIn) -> str:
    for message in reversed(body.messages):
        if message.role == "user":
            return message.text()
    raise InputError("the request has no user message", "add {\"role\": \"user\", \"content\": ...}")


@router.get("/models")
async def models(caller: CallerDep) -> dict[str, Any]:
    return {"object": "list", "data": [{"id": MODEL, "object": "model", "created": 0, "owned_by": "os1"}]}


@router.post("/chat/completions", response_model=None, responses=documented(413, 502))
async def chat_completions(body: ChatCompletionIn, caller: CallerDep, request: Request) -> Any:
    sessions = state_of(request).sessions
    text = await sessions.check_input(caller.user_id, last_user_text(body))
    completion = _Completion(new_id("chatcmpl"), int(time.time()), body.model)
    if body.stream:
        return StreamingResponse(completion.sse(sessions.reply(caller.user_id, text)), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    return await completion.whole(sessions.reply(caller.user_id, text))


class _Completion:
    """One answer in OpenAI's two shapes: a whole ``chat.completion``, or ``chat.completion.chunk`` events."""

    def __init__(self, completion_id: str, created: int, model: str) -> None:
        self.id, self.created, self.model = completion_id, created, model

    async def whole(self, deltas: AsyncGenerator[str, None]) -> dict[str, Any]:
        text = "".join([d async for d in deltas])
        choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        return {"id": self.id, "object": "chat.completion", "created": self.created, "model": self.model,
                "choices": [choice]}

    async def sse(self, deltas: AsyncGenerator[str, None]) -> AsyncIterator[str]:
        # If the client goes away, Starlette closes this generator, which closes ``deltas``: the reply is
        # stored truncated where it stopped, as on Ctrl-C in `os1 chat`.
        try:
            yield self._event({"role": "assistant", "content": ""})
            async for delta in deltas:
                yield self._event({"content": delta})
            yield self._event({}, finish_reason="stop")
            yield "data: [DONE]\n\n"
        except OS1Error as exc:  # the headers are gone: say it in the stream, as OpenAI does
            _, kind = status_of(exc)
            yield f"data: {json.dumps(error_body(exc.one_line(), kind))}\n\n"
        finally:
            await deltas.aclose()

    def _event(self, delta: dict[str, str], finish_reason: str | None = None) -> str:
        chunk = {"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
                 "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}
        return f"data: {json.dumps(chunk)}\n\n"
