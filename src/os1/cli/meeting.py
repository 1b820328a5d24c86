"""`os1 setup`: the first meeting, asked in the terminal (or answered by flags with --yes)."""

from __future__ import annotations

import asyncio
import getpass
from typing import Annotated

import typer
from rich.prompt import Prompt

from os1.cli.common import console, get_settings
from os1.cli.render import loading
from os1.core.profile import Profile
from os1.engine.first_meeting import INTERVIEW, Answers, greeting, run_first_meeting
from os1.engine.runtime import Companion


def setup(
    name: Annotated[str | None, typer.Option("--name", help="what the OS should call you")] = None,
    describe: Annotated[str | None, typer.Option("--describe", help="how you would describe yourself")] = None,
    social: Annotated[str | None, typer.Option("--social", help="social | in between | private")] = None,
    voice: Annotated[str | None, typer.Option("--voice", help="feminine | masculine | neutral")] = None,
    address: Annotated[str | None, typer.Option("--address", help="how you like to be spoken to")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="don't ask: use the flags and defaults")] = False,
) -> None:
    """Meet your OS (again): a few questions, then it chooses its name. Example: os1 setup --yes --name Theo"""
    given = {"user_name": name, "self_description": describe, "sociability": social, "voice": voice,
             "address_style": address}
    answers = ask(given, assume_defaults=yes)
    settings = get_settings()

    async def go() -> Profile:
        companion = await loading(settings)
        try:
            return await meet(companion, answers)
        finally:
            await companion.aclose()

    asyncio.run(go())


def ask(given: dict[str, str | None], *, assume_defaults: bool) -> Answers:
    values: dict[str, str] = {}
    for q in INTERVIEW:
        preset = given.get(q.key)
        if preset is not None:
            values[q.key] = preset
        elif assume_defaults:
            values[q.key] = getpass.getuser().capitalize() if q.key == "user_name" else q.default
        else:
            choices = list(q.choices) or None
            values[q.key] = Prompt.ask(q.text, choices=choices, default=q.default, console=console) or ""
            while q.key == "user_name" and not values[q.key].strip():
                values[q.key] = Prompt.ask("I'd like to know what to call you", console=console)
    return Answers.from_strings(values)


async def meet(companion: Companion, answers: Answers) -> Profile:
    with console.status("[italic]Choosing a name…[/]"):
        profile = await run_first_meeting(companion.store, companion.llm, companion.user.id, answers)
    assert profile.identity is not None
    console.print()
    console.print(f"[bold magenta]{profile.identity.name}:[/] {greeting(profile)}")
    return profile
