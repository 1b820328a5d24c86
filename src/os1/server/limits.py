"""A cap on request bodies, checked before anything reads them (the JSON parser included)."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

from os1.server.errors import error_body

# OpenAI clients resend the whole conversation with every request (the server ignores all but the last user
# message), so the cap is well above one message's limit; each message is then checked by Session.check_input.
MAX_BODY_BYTES = 1 << 20


class BodyLimit:
    """Refuses bodies over ``max_bytes`` (413) and bodies of unknown length (411): a declared length is
    checked up front, so no oversized body is ever read into memory."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        if length is None and headers.get(b"transfer-encoding"):
            await _refuse(send, 411, "a request body needs a Content-Length header")
        elif length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await _refuse(send, 413, f"the request body is over {self.max_bytes} bytes — send less at a time")
        else:
            await self.app(scope, receive, send)


async def _refuse(send: Send, status: int, message: str) -> None:
    body = json.dumps(error_body(message, "invalid_request_error")).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
