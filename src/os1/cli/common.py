"""What every command shares: the console, settings loading, and one-line errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console

from os1.config import Settings, load_settings
from os1.core.errors import OS1Error

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


class State:
    """Global options, set once by the main callback."""

    debug: bool = False


def use_home(home: Path | None) -> None:
    """--home wins over OS1_HOME; it is exported so child processes and settings agree."""
    if home is not None:
        os.environ["OS1_HOME"] = str(home.expanduser())


def get_settings() -> Settings:
    return load_settings()


def fail(message: str, fix: str = "", code: int = 1) -> NoReturn:
    """Print a one-line error (cause — fix) and exit."""
    text = f"{message} — {fix}" if fix else message
    err_console.print(f"[bold red]error:[/] {text}", soft_wrap=True)
    raise typer.Exit(code)


def fail_on(exc: OS1Error) -> NoReturn:
    if State.debug:
        raise exc
    fail(exc.cause, exc.fix)
