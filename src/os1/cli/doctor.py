"""`os1 doctor`: check models, backends, disk and database; print the fix for each problem."""

from __future__ import annotations

import typer

from os1.cli.common import console, get_settings
from os1.engine.doctor import run_checks


def doctor() -> None:
    """Check that OS1 can run here, and say how to fix what cannot. Example: os1 doctor"""
    checks = run_checks(get_settings())
    for check in checks:
        mark = "[green]ok[/]  " if check.ok else "[red]FAIL[/]"
        console.print(f"{mark} {check.name}: {check.detail}")
        if not check.ok and check.fix:
            console.print(f"      fix: {check.fix}")
    failed = sum(not c.ok for c in checks)
    console.print("all good" if not failed else f"{failed} problem(s)")
    if failed:
        raise typer.Exit(1)
