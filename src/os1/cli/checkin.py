"""`os1 checkin`: let the OS say hello first, if you turned check-ins on. Run it from cron or a timer."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

import typer

from os1.cli.common import get_settings
from os1.config import Settings
from os1.engine.checkin import CheckinPolicy, CheckinResult, check_in
from os1.engine.runtime import open_store_for


def checkin(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="say what it would send, store nothing")] = False,
) -> None:
    """Check in with you if one is due (opt-in: os1 config set checkins true).
    Example crontab line: 0 * * * * os1 checkin"""
    settings = get_settings()
    result = asyncio.run(_run(settings, dry_run))
    if result.message is None:
        typer.echo(f"no check-in: {result.reason}")
    else:
        typer.echo(result.message if not dry_run else f"would say: {result.message}")


async def _run(settings: Settings, dry_run: bool) -> CheckinResult:
    store, user = await open_store_for(settings)
    policy = CheckinPolicy(settings.checkins, settings.quiet_hours, settings.checkin_min_hours)
    try:
        # Local time: quiet hours are the user's own hours.
        return await check_in(store, user.id, datetime.now().astimezone(), policy, dry_run=dry_run)
    finally:
        await store.close()
