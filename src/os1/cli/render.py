"""Rendering helpers shared by commands: progress while the model gets ready."""

from __future__ import annotations

from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from os1.cli.common import console
from os1.config import Settings
from os1.engine.runtime import Companion, open_companion
from os1.llm.catalog import find_model, join_parts, local_path, part_paths


def prepare_model(settings: Settings) -> None:
    """Join chunked packaged weights (once, ~500 MB-1 GB) with a progress bar before loading."""
    if settings.llm_backend != "local":
        return
    model = find_model(settings.model)
    if not model.joined or local_path(model, settings.models_dir) is not None or part_paths(model) is None:
        return  # nothing to join, ready, or missing (loading will say how to get it)
    columns = (TextColumn(f"preparing {model.id} (first use only)"), BarColumn(), DownloadColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("join", total=model.size or None)
        join_parts(model, settings.models_dir, lambda done, total: bar.update(task, completed=done, total=total))


async def loading(settings: Settings, *, learn_when_quiet_s: float = 0.0) -> Companion:
    """Open the companion: database, then the model, with a spinner while it loads (``learn_when_quiet_s``:
    see ``open_companion``)."""
    prepare_model(settings)
    label = settings.model if settings.llm_backend == "local" else settings.llm_backend
    with console.status(f"[italic]waking up ({label})…[/]", spinner="dots"):
        return await open_companion(settings, learn_when_quiet_s=learn_when_quiet_s)
