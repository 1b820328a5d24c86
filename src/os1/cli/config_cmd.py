"""`os1 config show|set`: see and change settings (kept in OS1_HOME/config.toml)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from os1.cli.common import console, get_settings
from os1.config import describe_settings, set_config_value

app = typer.Typer(help="See and change settings. Environment variables OS1_<KEY> override the file.",
                  no_args_is_help=True)


@app.command("show")
def show() -> None:
    """Print every setting, its value and what it does. Example: os1 config show"""
    settings = get_settings()
    table = Table(title=f"settings ({settings.config_path})")
    for column in ("key", "value", "meaning"):
        table.add_column(column)
    for key, value, meaning in describe_settings(settings):
        table.add_row(key, value, meaning)
    console.print(table)


@app.command("set")
def set_(
    key: Annotated[str, typer.Argument(help="setting name, as in `os1 config show`")],
    value: Annotated[str, typer.Argument(help="new value")],
) -> None:
    """Change a setting, checked before it is saved. Example: os1 config set n_threads 2"""
    settings = get_settings()
    updated = set_config_value(settings.home, key, value)
    shown = "****" if "key" in key else str(getattr(updated, key))
    console.print(f"{key} = {shown}")
