"""`os1 serve`: the HTTP and WebSocket server (src/os1/server) on one port."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from os1.cli.common import console, get_settings

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8170  # as in os1.server.app, which is imported only when serving


def serve(
    host: Annotated[str, typer.Option("--host", help="address to listen on (127.0.0.1: this machine only)")]
    = DEFAULT_HOST,
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port")] = DEFAULT_PORT,
    stats: Annotated[Path | None, typer.Option(
        "--stats", help="when the server stops, write each recent text turn's overhead (ms from receiving the "
        "message to sending the first reply delta) to this JSON file; bench/concurrency.py uses it")] = None,
) -> None:
    """Serve many people at once: accounts, history and memory over REST, an OpenAI-compatible
    /v1/chat/completions and a realtime WebSocket (/v1/realtime). Example: `os1 serve --port 8170`."""
    # Imported here: FastAPI and uvicorn cost start-up time every other command does not need to pay.
    import uvicorn

    from os1.server import check_bind, create_app
    from os1.server.app import settle
    from os1.server.lean_ws import uvicorn_options

    settings = get_settings()
    check_bind(host, settings)  # before the model loads: a refused start should be instant
    app = create_app(settings, host=host, stats=stats)
    mode = "no login (local mode)" if settings.server_auth == "none" else "accounts"
    console.print(f"os1 serve on http://{host}:{port} ({mode}); API spec at /openapi.json")
    _raise_open_files_limit()
    settle(app)
    uvicorn.run(app, host=host, port=port, log_level="warning", **uvicorn_options())


def _raise_open_files_limit() -> None:
    """Lift this process's open-files limit from the soft default (often 1024) to the hard one, so
    10,000 connections fit; the hard limit itself is the system's (`ulimit -Hn`, docs/protocol.md)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = 65536 if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
