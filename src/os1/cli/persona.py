"""`os1 persona show|history|revert|export|import` and `os1 journal`: who the OS is, how it grew, its diary."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.markup import escape

from os1.cli.common import console, get_settings
from os1.core.errors import NotFoundError
from os1.core.persona import JournalEntry, JournalSource, PersonaSource, PersonaVersion
from os1.core.profile import Profile
from os1.engine.runtime import open_store_for
from os1.persona.cards import import_card, write_card
from os1.persona.growth import describe_change
from os1.persona.versions import adopt, current_persona, revert
from os1.storage.base import Store

app = typer.Typer(
    help="Who your OS is: its name, voice, nature, interests, speaking style and values.\n\n"
    "The OS grows slowly on its own: after a conversation it may take up a new interest or shift its style a "
    "little, and it tells you at your next message. Every change is a numbered version; `history` shows "
    "them with the reason, `revert N` brings back version N (as a new version, so nothing is lost). "
    "`export`/`import` move a persona as a Character Card (V2 or V3, .json or .png).",
    no_args_is_help=True,
)

T = TypeVar("T")
SOURCES = {
    PersonaSource.FIRST_MEETING: "first meeting",
    PersonaSource.REFLECTION: "reflection",
    PersonaSource.REVERT: "revert",
    PersonaSource.IMPORT: "import",
}


def _run(work: Callable[[Store, Profile], Awaitable[T]]) -> T:
    """Open the store (no model needed), run ``work`` with the user's profile, close."""
    settings = get_settings()

    async def go() -> T:
        store, user = await open_store_for(settings)
        try:
            return await work(store, await store.profiles.get(user.id))
        finally:
            await store.close()

    return asyncio.run(go())


async def _current(store: Store, profile: Profile) -> PersonaVersion:
    version = await current_persona(store, profile)
    if version is None:
        raise NotFoundError("your OS has no persona yet", "run `os1` to meet it, or `os1 persona import CARD`")
    return version


@app.command("show")
def show() -> None:
    """Show the current persona. Example: os1 persona show"""
    v = _run(_current)
    s = v.state
    console.print(f"[bold magenta]{escape(s.name)}[/] — persona version {v.version} "
                  f"({SOURCES[v.source]}, {_when(v.created_at)})")
    console.print(f"  [dim]why:[/] {escape(v.reason)}")
    rows = [("voice", s.voice), ("nature", ", ".join(s.traits)), ("interests", ", ".join(s.interests) or "-"),
            ("speaking style", s.style), ("values", "; ".join(s.values))]
    if s.description:
        rows.append(("description", s.description))
    for label, value in rows:
        console.print(f"  [dim]{label}:[/] {escape(value)}")


@app.command("history")
def history(limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="how many versions")] = 30) -> None:
    """Every version, oldest first, with what changed and why. Example: os1 persona history"""

    async def work(store: Store, profile: Profile) -> list[PersonaVersion]:
        await _current(store, profile)
        return await store.persona.history(profile.user_id, limit + 1)

    versions = _run(work)
    shown = versions[-limit:]
    previous = versions[0] if len(versions) > limit else None
    for v in shown:
        change = describe_change(previous.state if previous else None, v.state)
        console.print(f"[bold]v{v.version}[/] [dim]{_when(v.created_at)}[/] {SOURCES[v.source]:<13} "
                      f"{escape(change)} [dim]— {escape(v.reason)}[/]")
        previous = v
    console.print("[dim]`os1 persona revert N` brings back version N.[/]")


@app.command("revert")
def revert_cmd(version: Annotated[int, typer.Argument(help="the version to bring back (see `history`)")]) -> None:
    """Bring back an earlier version, as a new version (history keeps everything). Example: os1 persona revert 2"""

    async def work(store: Store, profile: Profile) -> tuple[PersonaVersion, PersonaVersion]:
        before = await _current(store, profile)
        return before, await revert(store, profile, version)

    before, after = _run(work)
    console.print(f"Back to version {version}, now version {after.version} "
                  f"({escape(describe_change(before.state, after.state))}). "
                  f"Undo with `os1 persona revert {before.version}`.")


@app.command("export")
def export(
    file: Annotated[Path, typer.Argument(help="where to write: NAME.json, or NAME.png (an avatar, card inside)")],
    v2: Annotated[bool, typer.Option("--v2", help="write Character Card V2 only (for older apps)")] = False,
) -> None:
    """Save the persona as a Character Card (V3; a .png also carries a V2 copy). Example: os1 persona export me.png"""
    v = _run(_current)
    write_card(file, v.state, v.version, datetime.now(UTC), v2=v2)
    kind = "Character Card V2" if v2 else "Character Card V3" + (" with a V2 copy" if file.suffix == ".png" else "")
    console.print(f"Wrote {escape(v.state.name)} (persona version {v.version}) to {escape(str(file))} ({kind}).")


@app.command("import")
def import_(file: Annotated[Path, typer.Argument(help="a Character Card V2 or V3, .json or .png")]) -> None:
    """Become the persona of a Character Card (a new version; revert undoes it). Example: os1 persona import ada.png"""
    state = import_card(file)

    async def work(store: Store, profile: Profile) -> tuple[PersonaVersion | None, PersonaVersion]:
        before = await current_persona(store, profile)
        return before, await adopt(store, profile, state, f"you gave me the character card {file.name}")

    before, after = _run(work)
    undo = f" Undo with `os1 persona revert {before.version}`." if before else ""
    console.print(f"Imported {escape(state.name)} as persona version {after.version}.{undo}")


def journal(limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="how many entries")] = 10) -> None:
    """Read the OS's private journal: what it learned and wondered about after your talks. Example: os1 journal"""

    async def work(store: Store, profile: Profile) -> list[str]:
        entries = await store.journal.latest(profile.user_id, limit)
        return [f"[dim]{_when(e.created_at)}[/] {escape(e.text)}{_plain(e)}" for e in reversed(entries)]

    lines = _run(work)
    if not lines:
        console.print("[dim]nothing written yet: the OS writes after a conversation[/]")
    for line in lines:
        console.print(line)


def _plain(entry: JournalEntry) -> str:
    plain = entry.source is JournalSource.FALLBACK
    return " [dim](a plain note: the model could not reflect that time)[/]" if plain else ""


def _when(at: datetime) -> str:
    return at.astimezone().strftime("%Y-%m-%d %H:%M")
