"""Hub downloads against a local fake hub (Starlette + uvicorn on a loopback port): verify, resume, fail."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from os1.config import Settings
from os1.core.errors import ModelError
from os1.llm import catalog, hub
from os1.llm.catalog import CatalogModel

REPO = "acme/tiny-GGUF"
FILENAME = "tiny-q4.gguf"
DATA = os.urandom(3 * 1024 * 1024 + 123)
SHA = hashlib.sha256(DATA).hexdigest()
COMMIT = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class HubState:
    files: dict[tuple[str, str], bytes] = field(default_factory=dict)
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)  # (method, path, Range)
    drop_after: int | None = None  # the next GET stops after this many bytes (then the flag clears)
    redirect: bool = False  # answer like huggingface.co: 302 to a CDN path, X-Linked-* on the redirect
    declared_sha: str | None = None  # lie about the sha256 in the headers

    def reset(self) -> None:
        self.files = {(REPO, FILENAME): DATA}
        self.requests = []
        self.drop_after = None
        self.redirect = False
        self.declared_sha = None


STATE = HubState()


def _parse_range(header: str | None, size: int) -> int:
    if not header or not header.startswith("bytes="):
        return 0
    return int(header[len("bytes="):].split("-")[0])


def _serve(request: Request, data: bytes, extra: dict[str, str]) -> Response:
    sha = STATE.declared_sha or hashlib.sha256(data).hexdigest()
    headers = {"ETag": f'"{sha}"', "Accept-Ranges": "bytes", **extra}
    start = _parse_range(request.headers.get("range"), len(data))
    if start >= len(data) and start:
        return Response(status_code=416, headers={"Content-Range": f"bytes */{len(data)}"})
    body = data[start:]
    status = 200
    if start:
        status = 206
        headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
    headers["Content-Length"] = str(len(body))
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers)
    drop, STATE.drop_after = STATE.drop_after, None

    async def chunks() -> AsyncIterator[bytes]:
        sent = 0
        for i in range(0, len(body), 64 * 1024):
            piece = body[i:i + 64 * 1024]
            if drop is not None and sent + len(piece) > drop:
                yield piece[: drop - sent]
                raise ConnectionResetError("fake hub drops the connection")
            sent += len(piece)
            yield piece

    return StreamingResponse(chunks(), status_code=status, headers=headers,
                             media_type="application/octet-stream")


async def resolve(request: Request) -> Response:
    p = request.path_params
    STATE.requests.append((request.method, request.url.path, request.headers.get("range")))
    data = STATE.files.get((f"{p['org']}/{p['repo']}", p["filename"]))
    if data is None:
        return Response("Entry not found", status_code=404, headers={"X-Error-Code": "EntryNotFound"})
    sha = STATE.declared_sha or hashlib.sha256(data).hexdigest()
    linked = {"X-Linked-Etag": f'"{sha}"', "X-Linked-Size": str(len(data)), "X-Repo-Commit": COMMIT}
    if STATE.redirect:
        return RedirectResponse(f"/cdn/{hashlib.sha256(data).hexdigest()}", status_code=302,
                                headers={**linked, "ETag": f'"{sha}"'})
    return _serve(request, data, linked)


async def cdn(request: Request) -> Response:
    STATE.requests.append((request.method, request.url.path, request.headers.get("range")))
    for data in STATE.files.values():
        if hashlib.sha256(data).hexdigest() == request.path_params["sha"]:
            # A CDN's ETag is not the LFS sha256: the client must not use it.
            return _serve(request, data, {"ETag": '"cdn-etag-not-a-sha"'})
    return Response(status_code=404)


APP = Starlette(routes=[
    Route("/{org}/{repo}/resolve/{revision}/{filename:path}", resolve, methods=["GET", "HEAD"]),
    Route("/cdn/{sha}", cdn, methods=["GET", "HEAD"]),
])


@pytest.fixture(scope="module")
def hub_url() -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(APP, log_level="critical", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "fake hub did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)
    sock.close()


@pytest.fixture
def env(hub_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    STATE.reset()
    monkeypatch.setenv("OS1_HOME", str(tmp_path))
    monkeypatch.setenv("HF_ENDPOINT", hub_url)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr(hub, "RETRY_PAUSE_S", 0.0)
    return Settings()


def _model(sha256: str = "", filename: str = FILENAME) -> CatalogModel:
    return CatalogModel(id="tiny-hub", title="tiny", kind="hub", size=0, sha256=sha256, filename=filename,
                        repo=REPO)


def _gets() -> list[tuple[str, str, str | None]]:
    return [r for r in STATE.requests if r[0] == "GET"]


def test_full_download_verifies_writes_marker_and_reports_progress(env: Settings) -> None:
    model = _model()
    seen: list[tuple[int, int]] = []
    path = hub.download(env, model, lambda done, total: seen.append((done, total)))
    assert path == env.models_dir / FILENAME
    assert path.read_bytes() == DATA
    assert catalog.local_path(model, env.models_dir) == path
    marker = path.with_name(path.name + ".verified.json")
    assert SHA in marker.read_text()
    assert not path.with_name(path.name + ".part").exists()
    dones = [d for d, _ in seen]
    assert dones == sorted(dones) and len(seen) > 3
    assert seen[-1] == (len(DATA), len(DATA))
    assert {t for _, t in seen} == {len(DATA)}
    # A second pull is a no-op: nothing is fetched again.
    before = len(STATE.requests)
    assert hub.download(env, model) == path
    assert len(STATE.requests) == before


def test_follows_the_cdn_redirect_and_trusts_the_linked_etag(env: Settings) -> None:
    STATE.redirect = True
    path = hub.download(env, _model())
    assert hashlib.sha256(path.read_bytes()).hexdigest() == SHA
    assert any(p.startswith("/cdn/") for _, p, _ in _gets())


def test_pinned_sha_is_used_and_hub_etag_ignored(env: Settings) -> None:
    STATE.declared_sha = "f" * 64  # the hub's header is wrong, the catalog's pin is right
    path = hub.download(env, _model(sha256=SHA))
    assert path.read_bytes() == DATA


def test_dropped_connection_leaves_a_part_and_the_next_pull_resumes_with_range(env: Settings) -> None:
    STATE.drop_after = 1024 * 1024
    with pytest.raises(ModelError) as info:
        hub.download(env, _model(), retries=0)
    assert "again" in info.value.fix and "resumes" in info.value.fix
    part = env.models_dir / f"{FILENAME}.part"
    assert 0 < part.stat().st_size < len(DATA)
    kept = part.stat().st_size
    seen: list[tuple[int, int]] = []
    path = hub.download(env, _model(), lambda d, t: seen.append((d, t)))
    assert hashlib.sha256(path.read_bytes()).hexdigest() == SHA
    assert _gets()[-1][2] == f"bytes={kept}-"
    assert seen[0][0] == kept and seen[-1] == (len(DATA), len(DATA))


def test_a_drop_is_resumed_automatically_within_one_pull(env: Settings) -> None:
    STATE.drop_after = 512 * 1024
    path = hub.download(env, _model())
    assert path.read_bytes() == DATA
    ranges = [r for _, _, r in _gets()]
    assert ranges[0] is None and ranges[1] is not None and ranges[1].startswith("bytes=")


def test_wrong_hash_raises_and_leaves_no_file(env: Settings) -> None:
    with pytest.raises(ModelError) as info:
        hub.download(env, _model(sha256="0" * 64))
    assert "sha256 mismatch" in info.value.cause and "removed" in info.value.fix
    assert list(env.models_dir.iterdir()) == []
    assert catalog.local_path(_model(), env.models_dir) is None


def test_missing_file_is_a_404_model_error(env: Settings) -> None:
    with pytest.raises(ModelError) as info:
        hub.download(env, _model(filename="nope.gguf"))
    assert "404" in info.value.cause
    assert "\n" not in info.value.one_line()


def test_unreachable_hub_says_how_to_go_on(env: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.setenv("HF_ENDPOINT", dead)
    with pytest.raises(ModelError) as info:
        hub.download(env, _model())
    assert f"cannot reach the model hub at {dead}" in info.value.cause
    assert "os1 models list" in info.value.fix


def test_endpoint_comes_from_settings_without_hf_endpoint(
    env: Settings, hub_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HF_ENDPOINT")
    assert hub.hub_endpoint(Settings(hub_endpoint=hub_url + "/")) == hub_url


def test_not_enough_disk_space_is_refused_before_downloading(
    env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hub.shutil, "disk_usage", lambda _p: type("U", (), {"free": 1000})())
    with pytest.raises(ModelError) as info:
        hub.download(env, _model())
    assert "disk space" in info.value.cause
    assert _gets() == []


def test_token_is_sent_as_bearer(env: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_secret")
    assert hub._headers()["Authorization"] == "Bearer hf_secret"
