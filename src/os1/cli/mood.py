"""`os1 mood`: your mood and the OS's over time, drawn as a chart (PNG); prints the file's path."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from os1.cli.common import get_settings
from os1.config import Settings
from os1.core.affect import AffectReading, Mood, Speaker
from os1.core.errors import InputError
from os1.engine.runtime import open_store_for
from os1.persona.mood import curve

if TYPE_CHECKING:
    from matplotlib.axes import Axes

NO_DATA = "no mood data yet — talk with your OS first (`os1 chat`), then run `os1 mood` again"


def mood(
    days: Annotated[int, typer.Option("--days", "-d", min=1, help="how many days back")] = 30,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="PNG file (default OS1_HOME/mood.png)")] = None,
) -> None:
    """Draw your mood and the OS's over time as a chart (PNG). Example: os1 mood --days 7"""
    settings = get_settings()
    now = datetime.now(UTC)
    readings, moods, name = asyncio.run(_load(settings, now - timedelta(days=days)))
    if not readings and not moods:
        typer.echo(NO_DATA)
        return
    path = (out or settings.home / "mood.png").expanduser()
    draw(path, readings, moods, now, name)
    typer.echo(str(path))


async def _load(settings: Settings, since: datetime) -> tuple[list[AffectReading], list[Mood], str]:
    store, user = await open_store_for(settings)
    try:
        profile = await store.profiles.get(user.id)
        readings = await store.affect.readings(user.id, since, Speaker.USER)
        moods = await store.affect.moods(user.id, since)
    finally:
        await store.close()
    return readings, moods, profile.identity.name if profile.identity else "OS1"


def draw(path: Path, readings: Sequence[AffectReading], moods: Sequence[Mood], now: datetime, os_name: str) -> None:
    """Two panels, valence above and arousal below: the user's messages as dots, the OS's mood as a line
    that decays between turns as the mood itself does."""
    # Imported here: matplotlib takes ~0.3 s to import and only this command needs it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 6), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)  # render with Agg: no display needed
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(2, 1))
    when = [_local(r.created_at) for r in readings]
    line = curve(moods, now) if moods else []
    top.plot(when, [r.emotion.valence for r in readings], "o", color="tab:blue", alpha=0.6, label="you")
    top.plot([_local(m.at) for m in line], [m.valence for m in line], color="tab:purple", label=os_name)
    bottom.plot(when, [r.emotion.arousal for r in readings], "o", color="tab:blue", alpha=0.6)
    bottom.plot([_local(m.at) for m in line], [m.arousal for m in line], color="tab:purple")
    _style(top, "valence", (-1.05, 1.05), "negative ← → positive")
    _style(bottom, "arousal", (-0.02, 1.02), "calm ← → stirred")
    top.axhline(0, color="grey", linewidth=0.8)
    top.legend(loc="upper left")
    top.set_title(f"Your mood and {os_name}'s, {_local(now):%d %b %Y}")
    fig.autofmt_xdate()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}", "choose another file with --out") from exc


def _style(ax: Axes, label: str, limits: tuple[float, float], hint: str) -> None:
    ax.set_ylim(*limits)
    ax.set_ylabel(f"{label}\n{hint}", fontsize=9)
    ax.grid(alpha=0.3)


def _local(at: datetime) -> datetime:
    """Naive local time: matplotlib would otherwise draw aware datetimes in UTC."""
    return at.astimezone().replace(tzinfo=None)
