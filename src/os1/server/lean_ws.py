"""uvicorn's sans-I/O WebSocket protocol (``websockets-sansio``, its default with websockets installed), holding
less for each socket while it is idle: `os1 serve` is meant to hold 10,000 conversations (EVAL.md §4).

After the handshake uvicorn (and websockets' parser) keep the upgrade request and the 101 response, both with
their parsed headers (~4.5 KB a socket, used by nothing after the handshake), and each socket has an
``asyncio.Queue`` for the events the app has not read yet and an ``asyncio.Event`` for write flow control: five
deques of 760 bytes each, allocated whether anything ever waits or not. Here the request's headers and the
response go once the handshake is done, and the queue and the event are list-backed ones that allocate almost
nothing until used. The rest is uvicorn's own code (``tests/unit/test_server_lean_ws.py`` runs it on a real
socket).
"""

from __future__ import annotations

import asyncio
from typing import Any, Generic, TypeVar

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from os1.server.limits import MAX_BODY_BYTES

T = TypeVar("T")


def uvicorn_options() -> dict[str, Any]:
    """How `os1 serve` runs uvicorn (the e2e tests' server too). Each connection is a file: a deep accept
    backlog and no concurrency cap let thousands connect at once. No permessage-deflate: its zlib state was
    ~45 KB of every idle connection's ~75 KB (bench/concurrency.py), and the events are short text."""
    return {"ws": LeanWebSocketProtocol, "ws_max_size": MAX_BODY_BYTES, "ws_per_message_deflate": False,
            "backlog": 8192, "limit_concurrency": None}


class Inbox(Generic[T]):
    """What uvicorn uses of ``asyncio.Queue`` (unbounded): ``put_nowait``, ``get``, ``get_nowait``, ``empty``,
    ``qsize``; waiting getters are woken in order, as ``asyncio.Queue`` does."""

    __slots__ = ("_getters", "_items")

    def __init__(self) -> None:
        self._items: list[T] = []
        self._getters: list[asyncio.Future[None]] = []

    def put_nowait(self, item: T) -> None:
        self._items.append(item)
        self._wake_next()

    async def get(self) -> T:
        while not self._items:
            getter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._getters.append(getter)
            try:
                await getter
            except BaseException:
                if getter in self._getters:
                    self._getters.remove(getter)
                if self._items and not getter.cancelled():
                    self._wake_next()  # it was woken for an item it will not take now: the next getter takes it
                raise
        return self._items.pop(0)

    def get_nowait(self) -> T:
        if not self._items:
            raise asyncio.QueueEmpty
        return self._items.pop(0)

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items)

    def _wake_next(self) -> None:
        while self._getters:
            getter = self._getters.pop(0)
            if not getter.done():
                getter.set_result(None)
                return


class Flag:
    """``asyncio.Event``'s ``set``, ``clear``, ``is_set`` and ``wait``, with a list for its waiters."""

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = False
        self._waiters: list[asyncio.Future[None]] = []

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        if not self._set:
            self._set = True
            for waiter in self._waiters:
                if not waiter.done():
                    waiter.set_result(None)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> bool:
        if self._set:
            return True
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
            return True
        finally:
            self._waiters.remove(waiter)


class LeanWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's ``websockets-sansio`` protocol with the lighter inbox and flag, forgetting the handshake."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = Inbox()  # type: ignore[assignment]
        self.writable = Flag()  # type: ignore[assignment]
        self.writable.set()

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        # Read by nothing after the handshake (the scope has its own copy of the headers); websockets' parser
        # keeps the request in a local for the connection's life, so its headers are emptied, not just dropped.
        self.request = None  # type: ignore[assignment]
        event.headers.clear()

    async def send(self, message: Any) -> None:
        await super().send(message)
        if self.handshake_complete:
            self.response = None  # type: ignore[assignment]  # the 101 (or refusal) has been sent
