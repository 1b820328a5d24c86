"""`os1 history`: what was said, newest last; `--search` finds words in every conversation."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Annotated

import typer
from rich.markup import escape

from os1.cli.common import console, get_settings
from os1.core.messages import Role, StoredMessage
from os1.engine.runtime import open_store_for


def history(
    search: Annotated[str | None, typer.Option("--search", "-s", help="only messages with these words")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="how many messages")] = 30,
) -> None:
    """Show past messages. Example: os1 history --search sister"""
    settings = get_settings()

    async def go() -> None:
        store, user = await open_store_for(settings)
        try:
            profile = await store.profiles.get(user.id)
            name = profile.identity.name if profile.identity else "OS1"
            if search:
                hits = await store.messages.search(user.id, search, limit)
                if not hits:
                    console.print(f"[dim]nothing found for {search!r}[/]")
                for hit in hits:
                    console.print(f"[dim]{_when(hit.message)}[/] {_who(hit.message, name)} {escape(hit.snippet)}")
            else:
                print_messages(await store.messages.history(user.id, limit), name)
        finally:
            await store.close()

    asyncio.run(go())


def print_messages(messages: Sequence[StoredMessage], os_name: str) -> None:
    if not messages:
        console.print("[dim]no messages yet[/]")
    for m in messages:
        mark = " [yellow](interrupted)[/]" if m.truncated else ""
        console.print(f"[dim]{_when(m)}[/] {_who(m, os_name)} {escape(m.content)}{mark}")


def _who(m: StoredMessage, os_name: str) -> str:
    return "[bold cyan]you:[/]" if m.role is Role.USER else f"[bold magenta]{escape(os_name)}:[/]"


def _when(m: StoredMessage) -> str:
    return m.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
