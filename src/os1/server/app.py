"""The app factory: ``create_app(settings)`` builds the engine and the FastAPI app around it."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

from fastapi import FastAPI, WebSocket
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import Receive, Scope, Send

from os1 import __version__
from os1.config import Settings
from os1.core.errors import ConfigError
from os1.engine.runtime import open_engine
from os1.llm.base import LLM
from os1.memory.service import Memory
from os1.server import collector, openai_api, routes_accounts, routes_data, routes_web, ws
from os1.server.auth import Auth, utc_now
from os1.server.errors import install_error_handlers
from os1.server.limits import BodyLimit
from os1.server.ratelimit import RateLimiter
from os1.server.sessions import Sessions
from os1.server.state import ServerState

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8170
log = logging.getLogger(__name__)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name other than localhost may resolve anywhere
        return False


def check_bind(host: str, settings: Settings) -> None:
    """Without logins, whoever reaches the server is the local user: only this machine may reach it."""
    if settings.server_auth == "none" and not is_loopback(host):
        raise ConfigError(f"refusing to serve {host} without login (server_auth = none): anyone who can reach it "
                          "would read your conversations",
                          "bind to 127.0.0.1, or turn accounts on: `os1 config set server_auth accounts`")


class OS1App(FastAPI):
    """FastAPI with one short path: ``/v1/realtime`` sockets go straight to their handler. An idle socket
    holds its whole call chain for as long as it is open; through the middleware, the router and FastAPI's
    per-call exit stacks that was ~12 KB of each one's ~40 KB (bench/concurrency.py), for nothing: the body
    limit and CORS are HTTP's, and the handler answers its own errors on the socket."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if ws.is_realtime(scope):
            scope["app"] = self
            await ws.realtime(WebSocket(scope, receive, send))
        else:
            await super().__call__(scope, receive, send)


def create_app(settings: Settings, *, llm: LLM | None = None, host: str = DEFAULT_HOST,
               clock: Callable[[], datetime] = utc_now, login_limiter: RateLimiter | None = None,
               stats: Path | None = None) -> FastAPI:
    """The whole server for ``settings``; ``llm`` replaces the configured model (tests pass a scripted one),
    ``clock`` is what tokens expire by; ``stats``: where to write the turn times (server/turn_times.py) as the
    app stops."""
    check_bind(host, settings)
    state = _state(settings, llm, clock, login_limiter or RateLimiter())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        try:
            if stats is not None:  # here, not after uvicorn.run: on SIGTERM uvicorn re-raises the signal once done
                state.turn_times.write(stats)
        except OSError as exc:
            log.error("cannot write the turn times to %s: %s", stats, exc)
        finally:
            await state.aclose()

    app = OS1App(title="OS1", version=__version__, lifespan=lifespan,
                  description="Your OS over HTTP: accounts, history, memory, an OpenAI-compatible chat API and a "
                  "realtime WebSocket (docs/protocol.md).")
    app.state.os1 = state
    install_error_handlers(app)
    for router in (routes_accounts.router, routes_data.router, openai_api.router, ws.router):
        app.include_router(router)
    routes_web.install_page(app)
    _add_middleware(app, settings)
    return app


def _state(settings: Settings, llm: LLM | None, clock: Callable[[], datetime], limiter: RateLimiter) -> ServerState:
    engine = open_engine(settings, llm)
    memory = engine.memory or Memory(engine.store, None, learn_facts=False)
    auth = Auth(engine.store, timedelta(hours=settings.server_token_hours), clock)
    return ServerState(settings, engine, auth, Sessions(engine), memory, limiter)


def settle(app: FastAPI) -> None:
    """For a server process about to serve (`os1 serve`): load what every turn uses (the emotion and care
    lexicons) now rather than in the first user's turn, then keep long-lived objects out of the garbage
    collector's full scans (server/collector.py; a full collection under load paused every reply for
    0.1-0.5 s). Not for tests, which make many apps in one process."""
    state: ServerState = app.state.os1
    state.engine.preload()
    collector.install()


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    origins = [o.strip() for o in settings.server_cors_origins.split(",") if o.strip()]
    if origins:  # closed by default: no browser page from another origin may call the API
        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["*"],
                           allow_headers=["Authorization", "Content-Type"])
    app.add_middleware(BodyLimit)
