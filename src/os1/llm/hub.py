"""Download a hub model (a GGUF file in a Hugging Face repository): resumable and hash-checked.

The file lands in ``settings.models_dir / model.filename``. While it downloads it is called
``<filename>.part``; after an interruption the next pull continues it with an HTTP ``Range`` request.
Bytes are hashed as they arrive (a resumed ``.part`` is hashed first) and compared with the sha256 the
catalog pins or, when it pins none, with the sha256 the hub declares for the LFS file: the
``X-Linked-Etag`` (else ``ETag``) header of a HEAD on ``{endpoint}/{repo}/resolve/{revision}/{filename}``,
read without following the redirect to the CDN. Only a verified file is renamed into place and gets the
marker that ``catalog.local_path`` trusts.

Why plain httpx and not ``huggingface_hub.hf_hub_download``: the library reads ``HF_ENDPOINT`` once, at
import time (so the endpoint cannot follow settings or a test), reports progress only through a tqdm class,
stores files in its own cache layout (or a ``local_dir`` with ``.cache`` metadata) instead of our
``.part`` + marker scheme, and may switch to the Xet protocol, which a local fake hub cannot serve. The
protocol we need (one HEAD, one ranged GET, redirects) is small, and owning it keeps errors one-line and
the behaviour testable offline. The endpoint is ``HF_ENDPOINT`` when set, else ``settings.hub_endpoint``;
``HF_TOKEN``, when set, is sent as a Bearer token (httpx drops it on a redirect to another host).
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from os1.core.errors import ModelError
from os1.llm import catalog
from os1.llm.catalog import CatalogModel, Progress

if TYPE_CHECKING:
    from os1.config import Settings

Output = Callable[[str], None]  # a human-readable line for the user

CHUNK = 256 << 10
RETRIES = 3  # automatic resumes within one pull after a dropped connection
RETRY_PAUSE_S = 1.0
TIMEOUT = httpx.Timeout(60.0, connect=10.0)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_UNREACHABLE_FIX = "check the network, or use a packaged model: `os1 models list`"


@dataclass(frozen=True, slots=True)
class RemoteFile:
    endpoint: str
    url: str
    size: int  # 0 when the hub does not say
    sha256: str  # the hash the download must match (pinned by the catalog, else declared by the hub)


def hub_endpoint(settings: Settings) -> str:
    """``HF_ENDPOINT`` (the huggingface_hub convention) wins over ``settings.hub_endpoint``."""
    return (os.environ.get("HF_ENDPOINT") or settings.hub_endpoint).rstrip("/")


def file_url(endpoint: str, model: CatalogModel) -> str:
    return f"{endpoint}/{model.repo}/resolve/{model.revision}/{model.filename}"


def _headers() -> dict[str, str]:
    headers = {"User-Agent": "os1 (model pull)", "Accept-Encoding": "identity"}
    token = os.environ.get("HF_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _client() -> httpx.Client:
    return httpx.Client(headers=_headers(), timeout=TIMEOUT, follow_redirects=True)


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"


def _check_status(model: CatalogModel, response: httpx.Response) -> None:
    status = response.status_code
    if status == 404:
        raise ModelError(
            f"the hub has no file {model.filename} in {model.repo}@{model.revision} (HTTP 404)",
            "check the repository and file name, or pick another model: `os1 models list`",
        )
    if status in (401, 403):
        raise ModelError(
            f"the hub refused access to {model.repo} (HTTP {status})",
            "set HF_TOKEN to a token that may read it (and accept the model's licence on the hub)",
        )
    if status >= 400:
        raise ModelError(
            f"the hub answered HTTP {status} for {model.filename}",
            f"try again later: `os1 models pull {model.id}`",
        )


def probe(settings: Settings, model: CatalogModel, client: httpx.Client | None = None) -> RemoteFile:
    """HEAD the file: its size and the sha256 to check against. Redirects are followed by hand so the
    hub's own ``X-Linked-*`` headers (on the redirect, not on the CDN's answer) are read."""
    endpoint = hub_endpoint(settings)
    url = file_url(endpoint, model)
    own = client is None
    http = client or _client()
    try:
        target = url
        for _ in range(5):
            try:
                response = http.head(target, follow_redirects=False)
            except httpx.TransportError as exc:
                raise ModelError(f"cannot reach the model hub at {endpoint} ({type(exc).__name__})",
                                 _UNREACHABLE_FIX) from exc
            if response.is_redirect and not response.headers.get("X-Linked-Etag"):
                target = str(response.next_request.url) if response.next_request else target
                continue
            break
        if not response.is_redirect:
            _check_status(model, response)
        declared = (response.headers.get("X-Linked-Etag") or response.headers.get("ETag") or "")
        declared = declared.removeprefix("W/").strip('"').lower()
        size_text = response.headers.get("X-Linked-Size") or (
            "" if response.is_redirect else response.headers.get("Content-Length", "")
        )
    finally:
        if own:
            http.close()
    size = int(size_text) if size_text.isdigit() else model.size
    sha = model.sha256 or (declared if _SHA256.match(declared) else "")
    if not sha:
        raise ModelError(
            f"the hub declares no sha256 for {model.repo}/{model.filename}, so it cannot be verified",
            "pin the file's sha256 in the catalog, or pick another model: `os1 models list`",
        )
    return RemoteFile(endpoint=endpoint, url=url, size=size, sha256=sha)


def download(
    settings: Settings,
    model: CatalogModel,
    progress: Progress | None = None,
    on_output: Output | None = None,
    retries: int = RETRIES,
) -> Path:
    """Download (or finish downloading) a hub model and return the verified file."""
    if model.kind != "hub":
        raise ModelError(f"{model.id} is not a hub model", f"use `os1 models pull {model.id}`")
    target = catalog.cache_path(model, settings.models_dir)
    ready = catalog.local_path(model, settings.models_dir)
    if ready is not None:
        return ready
    say = on_output or (lambda _line: None)
    with _client() as http:
        remote = probe(settings, model, http)
        part = target.with_name(target.name + ".part")
        settings.models_dir.mkdir(parents=True, exist_ok=True)
        done = part.stat().st_size if part.exists() else 0
        if remote.size and done > remote.size:
            part.unlink()
            done = 0
        _check_space(settings.models_dir, remote.size - done if remote.size else 0)
        if done:
            say(f"resuming {model.filename} at {_human(done)} of {_human(remote.size)}")
        else:
            say(f"downloading {model.filename} ({_human(remote.size) if remote.size else 'size unknown'})"
                f" from {remote.url}")
        digest = _hash_file(part) if done else hashlib.sha256()
        attempt = 0
        while True:
            before = done
            try:
                done, digest = _fetch(http, model, remote, part, done, digest, progress)
                break
            except _Interrupted as exc:
                done, digest = exc.done, exc.digest
                if attempt >= retries:
                    raise ModelError(
                        f"the download of {model.filename} was interrupted at {_human(done)}"
                        f" ({exc.reason})",
                        f"run `os1 models pull {model.id}` again; it resumes where it stopped",
                    ) from exc
                attempt += 1
                if done == before:
                    time.sleep(RETRY_PAUSE_S * attempt)
                say(f"connection lost ({exc.reason}); resuming at {_human(done)}")
    actual = digest.hexdigest()
    catalog.verify_digest(model, actual, part, expected=remote.sha256)
    target.with_name(target.name + ".verified.json").unlink(missing_ok=True)
    os.replace(part, target)
    catalog.write_marker(target, actual)
    return target


class _Interrupted(Exception):
    def __init__(self, reason: str, done: int, digest: hashlib._Hash) -> None:
        super().__init__(reason)
        self.reason = reason
        self.done = done
        self.digest = digest


def _fetch(
    http: httpx.Client,
    model: CatalogModel,
    remote: RemoteFile,
    part: Path,
    done: int,
    digest: hashlib._Hash,
    progress: Progress | None,
) -> tuple[int, hashlib._Hash]:
    """One GET (ranged when ``done`` > 0) appended to ``part``; raises _Interrupted on a dropped link."""
    total = remote.size
    if total and done == total:
        return done, digest  # the .part is complete; only verification was left
    headers = {"Range": f"bytes={done}-"} if done else {}
    try:
        with http.stream("GET", remote.url, headers=headers) as response:
            if response.status_code == 416 and done:
                # The server says our offset is past the end: the .part is not usable; start over.
                part.unlink(missing_ok=True)
                raise _Interrupted("the partial file did not match the server's", 0, hashlib.sha256())
            _check_status(model, response)
            if done and response.status_code != 206:
                done, digest = 0, hashlib.sha256()  # the server ignored Range: take the whole file
            elif done and not response.headers.get("Content-Range", "").startswith(f"bytes {done}-"):
                part.unlink(missing_ok=True)
                raise _Interrupted("the server resumed at the wrong offset", 0, hashlib.sha256())
            if not total:
                length = response.headers.get("Content-Length", "")
                total = done + int(length) if length.isdigit() else 0
            if progress:
                progress(done, total)
            try:
                with part.open("ab" if done else "wb") as out:
                    for block in response.iter_bytes(CHUNK):
                        out.write(block)
                        digest.update(block)
                        done += len(block)
                        if progress:
                            progress(done, total)
            except OSError as exc:
                raise _disk_error(exc, part) from exc
    except httpx.ConnectError as exc:
        raise ModelError(f"cannot reach the model hub at {remote.endpoint} ({type(exc).__name__})",
                         _UNREACHABLE_FIX) from exc
    except httpx.TransportError as exc:
        raise _Interrupted(type(exc).__name__, done, digest) from exc
    if total and done != total:
        raise _Interrupted(f"got {done} of {total} bytes", done, digest)
    return done, digest


def _hash_file(path: Path) -> hashlib._Hash:
    digest = hashlib.sha256()
    with path.open("rb") as src:
        while block := src.read(4 << 20):
            digest.update(block)
    return digest


def _check_space(folder: Path, needed: int) -> None:
    free = shutil.disk_usage(folder).free
    if needed and free < needed:
        raise ModelError(
            f"not enough disk space in {folder}: {_human(needed)} needed, {_human(free)} free",
            "free some space (or set OS1_HOME to a bigger disk) and pull again",
        )


def _disk_error(exc: OSError, path: Path) -> ModelError:
    if exc.errno == errno.ENOSPC:
        return ModelError(f"the disk is full while writing {path}",
                          "free some space and pull again; the download resumes where it stopped")
    return ModelError(f"cannot write {path} ({exc.strerror or exc})",
                      "check the permissions of OS1_HOME, or set OS1_HOME to a writable folder")
