"""`os1 doctor`: checks the install and says how to fix each problem."""

from __future__ import annotations

import importlib.util
import shutil
import sqlite3
import sys
from dataclasses import dataclass

import httpx

from os1.config import Settings
from os1.llm.catalog import find_model, is_available, local_path
from os1.storage.sqlite.migrations import LATEST
from os1.voice import livekit_installed

MIN_FREE_BYTES = 1 << 30


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def run_checks(settings: Settings) -> list[Check]:
    checks = [_python(), _home(settings), _database(settings), _runtime(), _model(settings), _echo(settings)]
    if settings.llm_backend == "openai":
        checks.append(_openai(settings))
    return checks


def _python() -> Check:
    ok = sys.version_info >= (3, 11)
    return Check("python", ok, sys.version.split()[0], "" if ok else "install Python 3.11 or newer")


def _home(settings: Settings) -> Check:
    home = settings.home
    try:
        home.mkdir(parents=True, exist_ok=True)
        probe = home / ".doctor-probe"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        return Check("data folder", False, f"{home}: {exc}", "set OS1_HOME to a folder you can write")
    free = shutil.disk_usage(home).free
    ok = free >= MIN_FREE_BYTES
    detail = f"{home} ({free / 1e9:.1f} GB free)"
    return Check("data folder", ok, detail, "" if ok else "free some disk space (models need ~1 GB)")


def _database(settings: Settings) -> Check:
    url = settings.database_url.get_secret_value().strip()
    if url:
        return _postgres(url)
    path = settings.db_path
    if not path.exists():
        return Check("database", True, f"{path} (created on first use)")
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            integrity = con.execute("PRAGMA quick_check").fetchone()[0]
            version = con.execute("PRAGMA user_version").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error as exc:
        return Check("database", False, f"{path}: {exc}", f"move {path} aside and restart, or restore a backup")
    if integrity != "ok":
        return Check("database", False, f"{path}: {integrity}", f"move {path} aside and restore a backup")
    if version > LATEST:
        return Check("database", False, f"schema {version} is newer than this OS1", "upgrade OS1")
    return Check("database", True, f"{path} (schema {version})")


def _postgres(url: str) -> Check:
    """The shared PostgreSQL of `os1 serve`: reachable, and a schema this OS1 understands."""
    from os1.storage.postgres.migrations import LATEST as PG_LATEST
    from os1.storage.postgres.store import safe_url

    where = safe_url(url)
    try:
        import psycopg
    except ImportError:
        fix = "pip install -e '.[postgres]'"
        return Check("database", False, f"{where}: the PostgreSQL driver is not installed", fix)
    try:
        with psycopg.connect(url, connect_timeout=5) as con:
            exists = con.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()
            row = con.execute("SELECT version FROM schema_version").fetchone() if exists and exists[0] else None
    except psycopg.Error as exc:
        cause = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return Check("database", False, f"{where}: {cause}", "check database_url and that PostgreSQL is running")
    version = int(row[0]) if row else 0
    if version > PG_LATEST:
        return Check("database", False, f"{where}: schema {version} is newer than this OS1", "upgrade OS1")
    return Check("database", True, f"{where} (PostgreSQL, schema {version})")


def _runtime() -> Check:
    if importlib.util.find_spec("xllamacpp") is None:
        return Check("llm runtime", False, "xllamacpp is missing", "run `bash scripts/install.sh`")
    return Check("llm runtime", True, "xllamacpp")


def _echo(settings: Settings) -> Check:
    if settings.voice_echo_cancel == "off":
        return Check("echo cancellation", True, "off (only the barge-in gate keeps the OS from hearing itself)")
    if not livekit_installed():
        return Check("echo cancellation", False, "livekit is missing: the OS may hear itself through the speakers",
                     "run `bash scripts/install.sh`, or `os1 config set voice_echo_cancel off`")
    return Check("echo cancellation", True, "livekit (WebRTC AEC3)")


def _model(settings: Settings) -> Check:
    if settings.llm_backend != "local":
        return Check("model", True, f"not used (llm_backend = {settings.llm_backend})")
    try:
        model = find_model(settings.model)
    except Exception as exc:
        return Check("model", False, str(exc), "choose one with `os1 models use ID` (see `os1 models list`)")
    if local_path(model, settings.models_dir) is not None:
        return Check("model", True, f"{model.id} ready")
    if is_available(model, settings.models_dir):
        return Check("model", True, f"{model.id} installed; joined into one file on first use")
    return Check("model", False, f"{model.id} is not on this machine", f"run `os1 models pull {model.id}`")


def _openai(settings: Settings) -> Check:
    url = settings.openai_base_url.rstrip("/") + "/models"
    headers = {}
    if key := settings.openai_api_key.get_secret_value():
        headers["Authorization"] = f"Bearer {key}"
    try:
        resp = httpx.get(url, headers=headers, timeout=5)
    except httpx.HTTPError as exc:
        return Check(
            "openai server",
            False,
            f"{url}: {type(exc).__name__}",
            "start the server or fix `os1 config set openai_base_url URL`",
        )
    if resp.status_code in (401, 403):
        return Check(
            "openai server", False, f"{url}: HTTP {resp.status_code}", "set `os1 config set openai_api_key KEY`"
        )
    if resp.status_code >= 400:
        return Check(
            "openai server", False, f"{url}: HTTP {resp.status_code}", "check openai_base_url (it usually ends in /v1)"
        )
    return Check("openai server", True, url)
