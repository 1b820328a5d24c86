"""`os1 serve`'s WebSocket protocol (server/lean_ws.py): its queue and flag behave as asyncio's do, and on a real
uvicorn socket a conversation runs, refusals close as before, HTTP still works and an idle socket holds neither
the upgrade request's headers nor the 101 response."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from os1.server.lean_ws import Flag, Inbox, LeanWebSocketProtocol, uvicorn_options
from os1.server.limits import MAX_BODY_BYTES
from tests.unit.server_kit import PASSWORD, make_app

REPLY = "Good to hear from you again."


async def test_inbox_is_first_in_first_out_and_wakes_a_waiting_getter() -> None:
    inbox: Inbox[int] = Inbox()
    assert inbox.empty() and inbox.qsize() == 0
    with pytest.raises(asyncio.QueueEmpty):
        inbox.get_nowait()
    waiting = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    inbox.put_nowait(1)
    inbox.put_nowait(2)
    assert await waiting == 1
    assert inbox.qsize() == 1 and inbox.get_nowait() == 2 and inbox.empty()


async def test_an_item_for_a_cancelled_getter_goes_to_the_next_one() -> None:
    inbox: Inbox[str] = Inbox()
    first, second = asyncio.create_task(inbox.get()), asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    inbox.put_nowait("event")  # wakes the first getter...
    first.cancel()  # ...which is cancelled before it runs
    assert await asyncio.wait_for(second, 1) == "event"
    assert first.cancelled() and inbox.empty()


async def test_flag_waits_until_set() -> None:
    flag = Flag()
    assert not flag.is_set()
    waiting = asyncio.create_task(flag.wait())
    await asyncio.sleep(0)
    assert not waiting.done()
    flag.set()
    assert await waiting is True and flag.is_set()
    flag.clear()
    assert not flag.is_set()
    cancelled = asyncio.create_task(flag.wait())
    await asyncio.sleep(0)
    cancelled.cancel()
    await asyncio.gather(cancelled, return_exceptions=True)
    assert flag._waiters == []
    flag.set()
    assert await flag.wait() is True


@dataclass
class Live:
    url: str
    server: uvicorn.Server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def live(os1_home: Path) -> Iterator[Live]:
    """The app on uvicorn with `os1 serve`'s options, in a thread."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(make_app(os1_home, [REPLY]), host="127.0.0.1", port=port,
                                           log_level="warning", **uvicorn_options()))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield Live(f"127.0.0.1:{port}", server)
    server.should_exit = True
    thread.join(10)


def _token(live: Live) -> str:
    base = f"http://{live.url}"
    httpx.post(f"{base}/api/accounts", json={"username": "ann", "password": PASSWORD}).raise_for_status()
    login = httpx.post(f"{base}/api/login", json={"username": "ann", "password": PASSWORD})
    login.raise_for_status()
    token: str = login.json()["token"]
    return token


def test_a_conversation_on_a_real_socket_and_what_an_idle_one_holds(live: Live) -> None:
    token = _token(live)
    with connect(f"ws://{live.url}/v1/realtime", additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "session.created"
        sockets = [c for c in live.server.server_state.connections if isinstance(c, LeanWebSocketProtocol)]
        assert len(sockets) == 1
        assert sockets[0].request is None and sockets[0].response is None
        ws.send(json.dumps({"type": "input_text", "text": "Today was good."}))
        events = []
        while not events or events[-1]["type"] != "response.done":
            events.append(json.loads(ws.recv(timeout=10)))
        deltas = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
        assert deltas == REPLY and events[-1]["response"]["status"] == "completed"
        ws.send("x" * (MAX_BODY_BYTES + 1))  # over ws_max_size: the protocol closes with 1009
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                ws.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    assert httpx.get(f"http://{live.url}/openapi.json").status_code == 200  # HTTP takes the usual path


def test_a_wrong_token_is_refused_and_closed(live: Live) -> None:
    with connect(f"ws://{live.url}/v1/realtime?token=os1_forged") as ws:
        assert json.loads(ws.recv(timeout=10))["error"]["code"] == "invalid_auth"
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


def test_another_socket_path_is_refused_by_the_router(live: Live) -> None:
    with pytest.raises(Exception, match="403"), connect(f"ws://{live.url}/v1/elsewhere"):
        pass
