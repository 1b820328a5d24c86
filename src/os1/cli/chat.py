"""`os1 chat`: talk in the terminal. Replies stream as they are written; Ctrl-C stops a reply."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from typing import Annotated

import typer

from os1.cli.common import console, err_console, get_settings
from os1.cli.history import print_messages
from os1.cli.meeting import ask, meet
from os1.cli.render import loading
from os1.core.errors import InputError, OS1Error
from os1.core.messages import ChatMessage
from os1.engine.runtime import Companion
from os1.engine.session import Session

HELP = """[bold]/help[/]     this help
[bold]/history[/]  the last messages of this conversation
[bold]/new[/]      start a new conversation (the old one stays in history)
[bold]/quit[/]     leave (Ctrl-D works too)
Ctrl-C while the OS is answering stops the reply; it is kept, marked as interrupted."""


def chat(
    new: Annotated[bool, typer.Option("--new", help="start a new conversation instead of continuing")] = False,
) -> None:
    """Talk with your OS in the terminal (meets you first if you have not met). Example: os1 chat"""
    settings = get_settings()
    with asyncio.Runner() as runner:
        companion = runner.run(loading(settings))
        try:
            _chat_loop(runner, companion, new)
        finally:
            runner.run(companion.aclose())


# After each turn, background learning (memory, mood) may use this long before the prompt returns.
AFTER_TURN_S = 1.0


def _chat_loop(runner: asyncio.Runner, companion: Companion, new: bool) -> None:
    session = runner.run(companion.open_session(new_conversation=new))
    if not session.profile.met:
        console.print("[bold]Hello. Before we start, a few questions, so I can get to know you.[/]")
        runner.run(meet(companion, ask({}, assume_defaults=False)))
        session = runner.run(companion.open_session())
    name = session.profile.identity.name if session.profile.identity else "OS1"
    _warm_in_background(companion, runner.run(session.warm_prefix()))
    console.print(f"[dim]Talking with {name}. /help for commands, /quit to leave.[/]")
    while True:
        try:
            line = console.input("[bold cyan]you>[/] ")
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        command = line.strip().lower()
        if command in ("/quit", "/exit", "/q"):
            runner.run(session.aclose())
            return
        if command == "/help":
            console.print(HELP)
        elif command == "/history":
            print_messages(runner.run(session.history(20)), name)
        elif command == "/new":
            runner.run(session.aclose())
            session = runner.run(companion.open_session(new_conversation=True))
            console.print("[dim]A new conversation.[/]")
        elif command.startswith("/"):
            console.print(f"[yellow]unknown command {command}[/] — /help lists them")
        elif line.strip():
            _turn(runner, session, line, name)


def _warm_in_background(companion: Companion, prefix: list[ChatMessage]) -> None:
    """Let the model read the persona and the conversation so far while the user types the first line."""
    threading.Thread(target=lambda: asyncio.run(companion.llm.warm(prefix)), name="os1-warm", daemon=True).start()


def _turn(runner: asyncio.Runner, session: Session, line: str, name: str) -> None:
    console.print(f"[bold magenta]{name}:[/] ", end="")
    try:
        runner.run(_stream(session, line))
        console.print()
        # The loop only runs while we are in runner.run: give memory and mood a moment to catch up.
        runner.run(session.settle(AFTER_TURN_S))
    except KeyboardInterrupt:
        # asyncio.Runner cancelled the turn; the session stored the reply as truncated.
        console.print(" [dim](interrupted)[/]")
    except InputError as exc:
        console.print()
        err_console.print(f"[yellow]{exc.one_line()}[/]")
    except OS1Error as exc:
        console.print()
        err_console.print(f"[bold red]error:[/] {exc.one_line()} (what you said is saved)")


async def _stream(session: Session, text: str) -> None:
    async with contextlib.aclosing(session.send(text)) as deltas:
        async for delta in deltas:
            sys.stdout.write(delta)
            sys.stdout.flush()
