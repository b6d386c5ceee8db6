"""`flask jobs`: run the worker and the scheduler, run what is due now, show the backlog."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from centre import jobs, messaging
from centre.clock import now
from centre.extensions import db


@click.group("jobs")
def jobs_group() -> None:
    """Background jobs: outgoing SMS and calls, and the centre's scheduled work."""


@jobs_group.command("run")
@click.option("--workers", type=int, default=None, help="Worker threads (JOBS_WORKERS, 4).")
@click.option("--no-scheduler", is_flag=True, help="Run jobs only; another process schedules.")
@with_appcontext
def run_command(workers: int | None, no_scheduler: bool) -> None:
    """Run the worker (and the scheduler) until stopped with Ctrl-C or SIGTERM."""
    if jobs.huey.immediate:
        raise click.ClickException(
            "JOBS_URL=immediate runs jobs in place: there is no queue to serve"
        )
    count = workers or current_app.config["JOBS_WORKERS"]
    click.echo(f"jobs: {count} workers{'' if no_scheduler else ' and the scheduler'} started")
    jobs.run_worker(count, scheduler=not no_scheduler)


@jobs_group.command("drain")
@with_appcontext
def drain_command() -> None:
    """Run every job waiting or due now in this process, then stop."""
    click.echo(f"{jobs.run_ready()} jobs run")


@jobs_group.command("sweep")
@with_appcontext
def sweep_command() -> None:
    """Enqueue lost messages again and settle those left sending (the scheduler does it each minute)."""
    counts = messaging.sweep()
    click.echo(", ".join(f"{name}: {count}" for name, count in counts.items()))


@jobs_group.command("schedule")
@with_appcontext
def schedule_command() -> None:
    """List the scheduled work."""
    for entry in jobs.scheduled(current_app._get_current_object()):  # type: ignore[attr-defined]
        click.echo(f"{entry.name}: {entry.label}")


@jobs_group.command("backlog")
@with_appcontext
def backlog_command() -> None:
    """Print the outbox's backlog and the broker's depth."""
    midnight = now().replace(hour=0, minute=0, second=0, microsecond=0)
    state = messaging.backlog(midnight)
    depth = jobs.queue_depth()
    click.echo(
        f"queued {state.queued}, retrying {state.retrying}, sending {state.sending}, "
        f"failed today {state.failed_today}, oldest waiting {state.oldest_waiting}"
    )
    if depth is not None:
        click.echo(f"broker: {depth.waiting} jobs waiting, {depth.scheduled} scheduled")
    db.session.rollback()
