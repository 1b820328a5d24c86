"""`os1 memory`: see and control what OS1 remembers: list, search, show, edit, forget, export, history.

Memories are what `os1 chat` keeps from conversations: episodes (each thing said, as said), facts learned
from them, summaries and digests. Every change to them (add, supersede, merge, edit, forget) is in an
audit history that names the item and the action, never its content.

``os1 memory export`` writes this JSON shape (version 1; fields are only ever added, never renamed)::

    {"version": 1, "exported_at": ISO-8601,
     "user": {"id": str, "name": str},
     "items": [{"id", "kind", "text", "occurred_at", "created_at", "speaker", "conversation_id",
                "sources": [str], "entities": [str], "confidence", "importance", "subject", "attribute",
                "superseded_by": str | null, "current": bool}, ...],   # oldest first, superseded ones too
     "audit": [{"id", "item_id", "action", "kind", "at", "note"}, ...]}  # oldest first

Commands raise ``OS1Error`` subclasses; the main entry point turns them into one-line messages.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from os1.cli.common import console, get_settings
from os1.config import Settings
from os1.core.errors import InputError, NotFoundError
from os1.core.memory import MemoryChange, MemoryItem, MemoryKind
from os1.core.messages import Role, User
from os1.embeddings import load_embedder
from os1.engine.runtime import open_store_for
from os1.memory.service import Memory
from os1.storage.base import Store

EXPORT_VERSION = 1
_SIGNALS = {"keyword": "words", "vector": "meaning"}
PREVIEW = 10  # lines shown before asking to forget
_PAGE = 1000

app = typer.Typer(
    help="See and control what OS1 remembers about you: list, search, show, correct, forget and export "
    "memories, and the history of every change. Nothing leaves your machine. "
    "Example: `os1 memory search sister`, then `os1 memory forget --about 'my sister'`.",
    no_args_is_help=True,
)

ItemId = Annotated[str, typer.Argument(help="a memory id such as mem_01J... (see `os1 memory list`)",
                                       show_default=False)]


def _no_memory(item_id: str) -> NotFoundError:
    return NotFoundError(f"no memory {item_id}",
                         "see the ids with `os1 memory list`, or find one with `os1 memory search WORDS`")


@dataclass
class _Opened:
    store: Store
    user: User
    memory: Memory


@asynccontextmanager
async def _open(settings: Settings, *, embed: bool = False) -> AsyncIterator[_Opened]:
    """The store, the local user and their memory; the embedder is loaded only for commands that need
    meaning (search, edit): it takes seconds to load and listing or forgetting does not use it."""
    store, user = await open_store_for(settings)
    try:
        embedder = load_embedder(settings.memory_embedder) if embed and settings.memory_embedder != "none" else None
        yield _Opened(store, user, Memory(store, embedder, learn_facts=False))
    finally:
        await store.close()


def _when(at: datetime) -> str:
    return at.astimezone().strftime("%Y-%m-%d %H:%M")


def _said(item: MemoryItem) -> str:
    """The item's text, with who said it for an episode (a fact already names whom it is about)."""
    who = f"{item.speaker}: " if item.kind is MemoryKind.EPISODE and item.speaker else ""
    return escape(f"{who}{item.text}")


def _line(item: MemoryItem) -> str:
    """One memory on one line: id, date, kind, who, text; a replaced one dimmed."""
    rest = f"{_when(item.occurred_at)}  {item.kind.value:<7}  {_said(item)}"
    return f"[cyan]{item.id}[/]  {rest}" if item.current else f"[dim]{item.id}  {rest} (replaced)[/]"


@app.command("list", help="List memories, newest first; replaced facts are hidden unless --all (then shown "
             "dimmed). Example: `os1 memory list --kind fact --all`.")
def list_items(
    kind: Annotated[MemoryKind | None, typer.Option("--kind", "-k", case_sensitive=False,
                                                    help="only this kind")] = None,
    all_: Annotated[bool, typer.Option("--all", "-a", help="include facts a newer one replaced")] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="how many memories")] = 50,
) -> None:
    settings = get_settings()

    async def go() -> None:
        async with _open(settings) as o:
            items = await o.store.memory.list_items(o.user.id, [kind] if kind else [], current_only=not all_,
                                                    limit=limit)
            total = await o.store.memory.count(o.user.id)
        if not items:
            what = f"no {kind.value} memories" if kind else "no memories yet"
            console.print(f"[dim]{what} — OS1 remembers as you talk (`os1 chat`)[/]")
            return
        for item in items:
            console.print(_line(item), soft_wrap=True)
        console.print(f"[dim]{len(items)} shown, {total} stored in all. Details: `os1 memory show ID`.[/]")

    asyncio.run(go())


@app.command("search", help="Find the memories nearest to some words, best first, with their score and "
             "how each was found (the same words, or a close meaning). Example: "
             "`os1 memory search \"pottery class\"`.")
def search(
    text: Annotated[str, typer.Argument(help="what to look for", show_default=False)],
    k: Annotated[int, typer.Option("--limit", "-n", min=1, help="how many results")] = 10,
) -> None:
    settings = get_settings()

    async def go() -> None:
        async with _open(settings, embed=True) as o:
            hits = await o.memory.recall(o.user.id, text, now=datetime.now(UTC), k=k)
        if not hits:
            console.print(f"[dim]nothing found for {escape(repr(text))}[/]")
        for hit in hits:
            found_by = "+".join(_SIGNALS.get(s, s) for s in hit.signals) or "-"
            console.print(f"[bold]{hit.score:5.2f}[/]  [dim]{found_by:<13}[/] {_line(hit.item)}", soft_wrap=True)

    asyncio.run(go())


@app.command("show", help="Show one memory in full: where it came from (the messages it cites), what "
             "replaced it or what it replaced, and its change history. Example: `os1 memory show mem_01J...`.")
def show(item_id: ItemId) -> None:
    settings = get_settings()

    async def go() -> None:
        async with _open(settings) as o:
            found = await o.store.memory.get(o.user.id, [item_id])
            if not found:
                raise _no_memory(item_id)
            await _show(o, found[0])

    asyncio.run(go())


async def _show(o: _Opened, item: MemoryItem) -> None:
    repo = o.store.memory
    state = "current" if item.current else f"replaced by {item.superseded_by}"
    console.print(f"[bold cyan]{item.id}[/]  {item.kind.value}, {state}", soft_wrap=True)
    console.print(f"  {_said(item)}", soft_wrap=True)
    rows = [("said", _when(item.occurred_at)), ("stored", _when(item.created_at)), ("speaker", item.speaker),
            ("conversation", item.conversation_id or ""),
            ("about", f"{item.subject} / {item.attribute}" if item.subject or item.attribute else ""),
            ("mentions", ", ".join(item.entities)),
            ("confidence", f"{item.confidence:.2f}, importance {item.importance:.2f}")]
    for label, value in rows:
        if value:
            console.print(f"[dim]{label:<13}[/]{escape(value)}", soft_wrap=True)
    console.print("[bold]came from[/]")
    profile = await o.store.profiles.get(o.user.id)
    os_name = profile.identity.name if profile.identity else "OS1"
    for source in item.source_ids:
        console.print(f"  {escape(source)}  {await _source(o, item, source, os_name)}", soft_wrap=True)
    if item.superseded_by:
        newer = await repo.get(o.user.id, [item.superseded_by])
        text = _said(newer[0]) if newer else "(no longer stored)"
        console.print(f"[bold]replaced by[/] {item.superseded_by}  {text}", soft_wrap=True)
    if item.kind is not MemoryKind.EPISODE:  # only facts are replaced; episodes would be a long scan
        older = await repo.list_items(o.user.id, [item.kind], current_only=False, limit=sys.maxsize)
        for old in (i for i in older if i.superseded_by == item.id):
            console.print(f"[bold]replaces[/] {old.id}  {_when(old.occurred_at)}  {_said(old)}", soft_wrap=True)
    console.print("[bold]history[/]")
    for change in reversed(await repo.audit(o.user.id, sys.maxsize, item_id=item.id)):
        console.print(f"  {_change(change)}", soft_wrap=True)


async def _source(o: _Opened, item: MemoryItem, source: str, os_name: str) -> str:
    """What a source says: the stored message, or else the episode that keeps what was said."""
    if source.startswith("msg_"):
        msg = await o.store.messages.get(o.user.id, source)
        if msg is not None:
            who = "you" if msg.role is Role.USER else os_name
            return f"[dim]{_when(msg.created_at)}[/] {escape(who)}: {escape(msg.content)}"
    episodes = [i for i in await o.store.memory.citing(o.user.id, [source])
                if i.kind is MemoryKind.EPISODE and i.id != item.id]
    if episodes:
        return f"[dim]{_when(episodes[0].occurred_at)}[/] {_said(episodes[0])} [dim]({episodes[0].id})[/]"
    return "[dim](imported; the original is not stored)[/]" if item.kind is MemoryKind.EPISODE else \
        "[dim](no longer stored)[/]"


def _change(change: MemoryChange) -> str:
    note = f"  {escape(change.note)}" if change.note else ""
    return f"[dim]{_when(change.created_at)}[/]  {change.action.value:<9} {change.kind.value:<7} {change.item_id}{note}"


@app.command("edit", help="Correct what a memory says (it is re-indexed, and the change is in the history). "
             "Example: `os1 memory edit mem_01J... \"My sister's name is Lena, not Lina\"`.")
def edit(
    item_id: ItemId,
    text: Annotated[str, typer.Argument(help="the corrected text, quoted", show_default=False)],
) -> None:
    settings = get_settings()

    async def go() -> None:
        async with _open(settings, embed=True) as o:
            item = await o.memory.edit(o.user.id, item_id, text)
        if item is None:
            raise _no_memory(item_id)
        console.print(f"corrected {item.id}: {_said(item)}", soft_wrap=True)

    asyncio.run(go())


def can_ask() -> bool:
    """Whether someone can answer a question (stdin is a terminal)."""
    return sys.stdin.isatty()


@app.command("forget", help="Forget memories for good: named ones, or everything about a topic. What was "
             "learned from them (facts, summaries), their search entries and vectors, and the messages they "
             "came from go too; the history keeps only that something was forgotten. Asks first unless --yes. "
             "Example: `os1 memory forget --about \"my sister\"` or `os1 memory forget mem_01J... --yes`.")
def forget(
    ids: Annotated[list[str] | None, typer.Argument(help="memory ids to forget", show_default=False)] = None,
    about: Annotated[str | None, typer.Option("--about", help="forget everything about this topic")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")] = False,
) -> None:
    settings = get_settings()
    if bool(ids) == (about is not None):
        raise InputError("name memory ids or --about TOPIC" + (", not both" if ids else ""),
                         "e.g. `os1 memory forget --about \"my sister\"` or `os1 memory forget mem_01J...`")

    async def go() -> None:
        async with _open(settings) as o:
            if about is not None:
                chosen = await o.memory.about(o.user.id, about)
                if not chosen:
                    console.print(f"[dim]nothing stored about {escape(repr(about))}; nothing forgotten[/]")
                    return
            else:
                chosen = await o.store.memory.get(o.user.id, list(dict.fromkeys(ids or [])))
                missing = [i for i in ids or [] if i not in {c.id for c in chosen}]
                if missing:
                    raise _no_memory(missing[0])
            going = await _with_derived(o, chosen)
            _preview(going, len({s for i in going for s in i.source_ids if s.startswith("msg_")}))
            if not yes:
                if not can_ask():
                    raise InputError("forgetting needs a confirmation and there is no terminal to ask in",
                                     "add --yes to forget without asking")
                if not typer.confirm("Forget these for good?", default=False):
                    console.print("kept everything; nothing forgotten")
                    return
            gone = await o.memory.forget(o.user.id, chosen)
        console.print(f"forgot {gone} {'memory' if gone == 1 else 'memories'} for good. "
                      "`os1 memory history` shows that it happened, not what it was.")

    asyncio.run(go())


async def _with_derived(o: _Opened, items: Sequence[MemoryItem]) -> list[MemoryItem]:
    """What ``Memory.forget`` will remove: the items and everything citing the same sources."""
    derived = await o.store.memory.citing(o.user.id, list({s for i in items for s in i.source_ids}))
    return list({i.id: i for i in [*items, *derived]}.values())


def _preview(items: Sequence[MemoryItem], messages: int) -> None:
    came = f", and the {messages} stored message{'s' if messages != 1 else ''} they came from" if messages else ""
    console.print(f"[bold]{len(items)} {'memory' if len(items) == 1 else 'memories'} will be forgotten{came}:[/]")
    for item in items[:PREVIEW]:
        console.print(f"  {_line(item)}", soft_wrap=True)
    if len(items) > PREVIEW:
        console.print(f"  [dim]... and {len(items) - PREVIEW} more[/]")


@app.command("export", help="Write every memory (replaced ones too) with its sources, and the whole change "
             "history, as JSON (a stable, versioned shape). Example: `os1 memory export --out memories.json`.")
def export(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="JSON file (default: print to stdout)")] = None,
) -> None:
    settings = get_settings()
    data = asyncio.run(_export(settings))
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    path = out.expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}", "choose another file with --out") from exc
    console.print(f"exported {len(data['items'])} memories and {len(data['audit'])} changes to {escape(str(path))}",
                  soft_wrap=True)


async def _export(settings: Settings) -> dict[str, Any]:
    async with _open(settings) as o:
        items: list[MemoryItem] = []
        while page := await o.store.memory.list_items(o.user.id, current_only=False, limit=_PAGE, offset=len(items)):
            items += page
        audit = await o.store.memory.audit(o.user.id, sys.maxsize)
    return {
        "version": EXPORT_VERSION,
        "exported_at": datetime.now(UTC).isoformat(),
        "user": {"id": o.user.id, "name": o.user.name},
        "items": [_item_json(i) for i in reversed(items)],
        "audit": [_change_json(c) for c in reversed(audit)],
    }


def _item_json(item: MemoryItem) -> dict[str, Any]:
    return {
        "id": item.id, "kind": item.kind.value, "text": item.text, "occurred_at": item.occurred_at.isoformat(),
        "created_at": item.created_at.isoformat(), "speaker": item.speaker, "conversation_id": item.conversation_id,
        "sources": list(item.source_ids), "entities": list(item.entities), "confidence": item.confidence,
        "importance": item.importance, "subject": item.subject, "attribute": item.attribute,
        "superseded_by": item.superseded_by, "current": item.current,
    }


def _change_json(change: MemoryChange) -> dict[str, Any]:
    return {"id": change.id, "item_id": change.item_id, "action": change.action.value, "kind": change.kind.value,
            "at": change.created_at.isoformat(), "note": change.note}


HISTORY_HELP = ("Show the last changes to memory, newest last: every add, supersede (replaced by a newer fact), "
                "merge, edit and forget. The history names the memory and never keeps its content. "
                "Example: `os1 memory history -n 20`.")


def history(limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="how many changes")] = 50) -> None:
    settings = get_settings()

    async def go() -> None:
        async with _open(settings) as o:
            changes = list(reversed(await o.store.memory.audit(o.user.id, limit)))
            alive = {i.id: i for i in await o.store.memory.get(o.user.id, list({c.item_id for c in changes}))}
        if not changes:
            console.print("[dim]no memory changes yet[/]")
        for change in changes:
            item = alive.get(change.item_id)
            now = _said(item) if item else "[dim](forgotten)[/]"
            console.print(f"{_change(change)}  {now}", soft_wrap=True)

    asyncio.run(go())


app.command("history", help=HISTORY_HELP)(history)
app.command("audit", help=HISTORY_HELP, hidden=True)(history)
