"""`flask reports refresh`: summarise the past days, for a scheduler to run nightly."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from centre.extensions import db
from reports import figures

reports_group = AppGroup("reports", help="The supervisors' dashboard: its per-day summaries.")


@reports_group.command("refresh")
@click.option("--since", help="First day to check, e.g. 2026-01-01 (default: the first call).")
def refresh_command(since: str | None) -> None:
    """Recompute the summary of every past day that is missing or out of date."""
    try:
        first = date.fromisoformat(since) if since else None
    except ValueError as exc:
        raise click.UsageError("--since takes a date such as 2026-01-01") from exc
    done = figures.refresh(first)
    db.session.commit()
    click.echo(f"Days summarised: {done.summarised}")
    click.echo(f"Days already up to date: {done.up_to_date}")
    live = done.live
    if live:
        shown = ", ".join(day.isoformat() for day in live[:10]) + (" ..." if len(live) > 10 else "")
        click.echo(f"Days left to live figures (calls not ended): {len(live)} ({shown})")
