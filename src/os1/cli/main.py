"""The `os1` command: `os1` alone meets you the first time, then chats."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from os1 import __version__
from os1.cli import chat, config_cmd, doctor, history, meeting, memory, models, mood, persona
from os1.cli.checkin import checkin
from os1.cli.common import State, err_console, use_home
from os1.cli.serve import serve
from os1.cli.talk import talk
from os1.core.errors import OS1Error

app = typer.Typer(
    name="os1",
    help="OS1, a personal AI companion that runs on your own machine.\n\n"
    "Run `os1` to meet it (the first time) and talk. Everything stays in OS1_HOME (default ~/.os1).",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(models.app, name="models")
app.add_typer(config_cmd.app, name="config")
app.add_typer(memory.app, name="memory")
app.add_typer(persona.app, name="persona")
app.command("chat")(chat.chat)
app.command("setup")(meeting.setup)
app.command("history")(history.history)
app.command("doctor")(doctor.doctor)
app.command("mood")(mood.mood)
app.command("journal")(persona.journal)
app.command("checkin")(checkin)
app.command("talk")(talk)
app.command("serve")(serve)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"os1 {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def main(
    ctx: typer.Context,
    home: Annotated[Path | None, typer.Option("--home", help="data folder (overrides OS1_HOME)")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="log details and show tracebacks")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version")
    ] = False,
) -> None:
    use_home(home)
    State.debug = debug
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if ctx.invoked_subcommand is None:
        chat.chat(new=False)


def run() -> None:
    """Entry point: OS1 errors become one line (cause — fix); tracebacks only with --debug."""
    debug = "--debug" in sys.argv
    try:
        # Without standalone mode click returns the code of a typer.Exit instead of exiting.
        code = app(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except OS1Error as exc:
        if debug:
            raise
        err_console.print(f"[bold red]error:[/] {exc.one_line()}", soft_wrap=True)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # click usage errors and the unexpected
        import click

        # Typer vendors its own copy of click (typer._click); its usage errors derive from TyperException.
        if isinstance(exc, click.ClickException | typer.TyperException):
            show = getattr(exc, "show", None)
            if callable(show):
                show()
            else:
                err_console.print(f"[bold red]error:[/] {exc.format_message()}", soft_wrap=True)
            sys.exit(exc.exit_code)
        if debug:
            raise
        err_console.print(
            f"[bold red]error:[/] unexpected {type(exc).__name__}: {exc} — rerun with --debug and report it",
            soft_wrap=True,
        )
        sys.exit(1)
