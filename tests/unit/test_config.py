from pathlib import Path

import pytest

from os1.config import load_settings, set_config_value
from os1.core.errors import ConfigError


def test_defaults_live_in_os1_home(os1_home: Path) -> None:
    s = load_settings()
    assert s.home == os1_home and s.db_path == os1_home / "os1.db"
    assert s.llm_backend == "local" and s.n_threads >= 1


def test_env_overrides_file(os1_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    set_config_value(os1_home, "n_ctx", "8192")
    set_config_value(os1_home, "temperature", "0.2")
    monkeypatch.setenv("OS1_N_CTX", "2048")
    s = load_settings()
    assert s.n_ctx == 2048 and s.temperature == 0.2


def test_invalid_values_are_refused_and_not_written(os1_home: Path) -> None:
    with pytest.raises(ConfigError, match="n_threads"):
        set_config_value(os1_home, "n_threads", "0")
    with pytest.raises(ConfigError, match="unknown setting"):
        set_config_value(os1_home, "colour", "blue")
    assert not (os1_home / "config.toml").exists()


def test_broken_config_file_is_one_clear_error(os1_home: Path) -> None:
    os1_home.mkdir(parents=True)
    (os1_home / "config.toml").write_text("n_ctx = [unclosed")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings()
