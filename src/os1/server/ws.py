"""``/v1/realtime``: a text conversation over a WebSocket, with OpenAI Realtime's event names where they fit.
The events and their JSON schemas are in docs/protocol.md; audio events go to ``voice_ws.VoiceChannel``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.types import Scope

from os1.core.errors import OS1Error
from os1.core.ids import new_id
from os1.server.auth import bearer
from os1.server.errors import status_of
from os1.server.limits import MAX_BODY_BYTES
from os1.server.state import ServerState, state_of
from os1.server.voice_ws import VoiceChannel

router = APIRouter()
PATH = "/v1/realtime"
AUTH_TIMEOUT_S = 10.0  # a connection that does not say who it is within this long is closed
POLICY_VIOLATION = 1008


@router.websocket(PATH)
async def realtime(ws: WebSocket) -> None:
    await ws.accept()
    state = state_of(ws)
    user_id = await _authenticate(ws, state)
    if user_id is not None:
        await Conversation(ws, state, user_id).run()


def is_realtime(scope: Scope) -> bool:
    """A socket for ``realtime``: the app takes these straight there (app.OS1App)."""
    return bool(scope["type"] == "websocket" and scope["path"] == scope.get("root_path", "") + PATH)


async def _authenticate(ws: WebSocket, state: ServerState) -> str | None:
    """The token comes as ``?token=``, an ``Authorization`` header, or a first ``{"type": "auth"}`` event
    (browsers cannot set headers on a WebSocket)."""
    secret = ws.query_params.get("token") or bearer(ws.headers.get("authorization"))
    try:
        if secret is None and not state.local_mode:
            first = json.loads(await asyncio.wait_for(ws.receive_text(), AUTH_TIMEOUT_S))
            secret = first.get("token") if isinstance(first, dict) and first.get("type") == "auth" else None
        return (await state.caller(secret)).user_id
    except (OS1Error, ValueError, TimeoutError) as exc:
        message = exc.one_line() if isinstance(exc, OS1Error) else "the first event must be {\"type\": \"auth\"}"
        await _send_quietly(ws, _error("invalid_auth", message))
        await ws.close(POLICY_VIOLATION)
    except WebSocketDisconnect:
        pass
    return None


def _error(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": "invalid_request_error", "code": code, "message": message}}


async def _send_quietly(ws: WebSocket, event: dict[str, Any]) -> None:
    with contextlib.suppress(Exception):  # the client may already be gone; nothing to tell then
        await ws.send_json(event)


class Conversation:
    """One connection: queued user text, at most one response running, cancellable at any delta."""

    __slots__ = ("_sending", "_voice", "pending", "received_at", "response", "state", "user_id", "ws")

    def __init__(self, ws: WebSocket, state: ServerState, user_id: str) -> None:
        self.ws, self.state, self.user_id = ws, state, user_id
        self.pending: list[str] = []
        self.received_at = 0.0  # when the event being handled came in (perf_counter): a turn's overhead starts here
        self.response: asyncio.Task[None] | None = None
        self._sending = asyncio.Lock()  # the reader and the running response both send: one frame at a time
        self._voice: VoiceChannel | None = None  # made at the first audio event: an idle socket holds none

    @property
    def voice(self) -> VoiceChannel:
        if self._voice is None:
            state, user_id = self.state, self.user_id
            self._voice = VoiceChannel(state.settings, lambda: state.sessions.current(user_id),
                                       state.sessions.turn(user_id), self._send_quietly)
        return self._voice

    async def _send(self, event: dict[str, Any]) -> None:
        async with self._sending:
            await self.ws.send_json(event)

    async def _send_session(self, kind: str) -> None:
        conversation = await self.state.sessions.conversation_id(self.user_id)  # no Session until a turn
        await self._send({"type": kind, "session": {"conversation": conversation, "modalities": ["text", "audio"]}})

    async def run(self) -> None:
        await self._send_session("session.created")
        try:
            while True:
                await self._dispatch(await self._receive())
        except WebSocketDisconnect:
            pass
        finally:
            await self._cancel_response()
            if self._voice is not None:
                await self._voice.shutdown()

    async def _receive(self) -> dict[str, Any] | None:
        raw = await self.ws.receive_text()
        self.received_at = time.perf_counter()
        if len(raw) > MAX_BODY_BYTES:
            await self._send(_error("too_large", f"an event is at most {MAX_BODY_BYTES} bytes"))
            return None
        try:
            event = json.loads(raw)
        except ValueError:
            event = None
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            await self._send(_error("invalid_event", "each event is a JSON object with a \"type\""))
            return None
        return event

    async def _dispatch(self, event: dict[str, Any] | None) -> None:
        if event is None:
            return
        handler = {
            "session.update": self._session_update,
            "conversation.item.create": self._item_create,
            "input_text": self._input_text,
            "response.create": self._response_create,
            "response.cancel": self._response_cancel,
            "input_audio_buffer.append": self._audio_append,
            "conversation.item.truncate": self._audio_truncate,
        }.get(event["type"])
        if handler is None:
            await self._send(_error("unknown_event", f"unknown event type {event['type']!r}"))
            return
        try:
            await handler(event)
        except OS1Error as exc:
            await self._send(_error(status_of(exc)[1], exc.one_line()))

    async def _audio_append(self, event: dict[str, Any]) -> None:
        await self.voice.append(event)

    async def _audio_truncate(self, event: dict[str, Any]) -> None:
        await self.voice.truncate(event)

    async def _session_update(self, event: dict[str, Any]) -> None:
        """``session.conversation``: "new", or the id of one of the caller's conversations."""
        if self._busy():
            await self._send(_error("response_active", "wait for response.done, or send response.cancel"))
            return
        conversation = (event.get("session") or {}).get("conversation")
        if isinstance(conversation, str):
            if self._voice is not None:
                await self._voice.aclose()  # the voice speaks in one conversation: the next append opens anew
            await self.state.sessions.switch(self.user_id, conversation)
        await self._send_session("session.updated")

    async def _item_create(self, event: dict[str, Any]) -> None:
        item = event.get("item") or {}
        text = "".join(str(part.get("text", "")) for part in item.get("content") or []
                       if isinstance(part, dict) and part.get("type") in ("input_text", "text"))
        if item.get("type", "message") != "message" or item.get("role", "user") != "user" or not text:
            await self._send(_error("invalid_item", "send a user message with input_text content"))
            return
        self.pending.append(await self.state.sessions.check_input(self.user_id, text))
        await self._send({"type": "conversation.item.created",
                                 "item": {"type": "message", "role": "user",
                                          "content": [{"type": "input_text", "text": text}]}})

    async def _input_text(self, event: dict[str, Any]) -> None:
        """The simple form: one event that is both the user's message and the request for a response."""
        self.pending.append(str(event.get("text", "")))
        await self._response_create(event)

    async def _response_create(self, event: dict[str, Any]) -> None:
        if self._busy():
            await self._send(_error("response_active", "wait for response.done, or send response.cancel"))
            return
        text, self.pending = "\n".join(self.pending), []
        text = await self.state.sessions.check_input(self.user_id, text)
        self.response = asyncio.create_task(self._respond(new_id("resp"), text, self.received_at))

    async def _response_cancel(self, event: dict[str, Any]) -> None:
        if self._voice is not None and await self._voice.cancel():
            return
        if not self._busy():
            await self._send(_error("response_cancel_not_active", "no response is running"))
            return
        await self._cancel_response()

    def _busy(self) -> bool:
        return self.response is not None and not self.response.done()

    async def _cancel_response(self) -> None:
        if self.response is not None and not self.response.done():
            self.response.cancel()
            await asyncio.gather(self.response, return_exceptions=True)

    async def _respond(self, response_id: str, text: str, received_at: float) -> None:
        """Stream one reply; cancelling this task stops the model, and the Session stores the reply
        truncated where it stopped. ``received_at``: when the event asking for it came in."""
        await self._send({"type": "response.created", "response": {"id": response_id, "status": "in_progress"}})
        said, status, timed = "", "completed", False
        try:
            async with contextlib.aclosing(self.state.sessions.reply(self.user_id, text)) as deltas:
                async for delta in deltas:
                    said += delta
                    await self._send({"type": "response.output_text.delta", "response_id": response_id,
                                      "delta": delta})
                    if not timed:
                        self.state.turn_times.add(1000 * (time.perf_counter() - received_at))
                        timed = True
            await self._send({"type": "response.output_text.done", "response_id": response_id, "text": said})
        except asyncio.CancelledError:
            status = "cancelled"
        except OS1Error as exc:
            status = "failed"
            await self._send_quietly(_error(status_of(exc)[1], exc.one_line()))
        await self._send_quietly(_done(response_id, status, said))

    async def _send_quietly(self, event: dict[str, Any]) -> None:
        with contextlib.suppress(Exception):  # the client may be gone (that is why a response is cancelled)
            await self._send(event)


def _done(response_id: str, status: str, text: str) -> dict[str, Any]:
    content = [{"type": "output_text", "text": text}]
    return {"type": "response.done", "response": {
        "id": response_id, "status": status,
        "output": [{"type": "message", "role": "assistant", "content": content}]}}
