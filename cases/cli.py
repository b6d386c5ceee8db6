"""`flask --app app cases ...`: import a CSV feed, manage the clients of the push API."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask.cli import AppGroup

from cases.changes import hash_key
from cases.clients import add_client, revoke_client
from cases.feeds import FeedError, import_file
from centre.extensions import db

cases_group = AppGroup("cases", help="Applications: the CSV feed and the push API's clients.")


@cases_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(path: Path) -> None:
    """Import a CSV of cases: all of it, or nothing when a line is wrong."""
    started = time.perf_counter()
    try:
        applied = import_file(path, hash_key())
        db.session.commit()
    except FeedError as exc:
        db.session.rollback()
        raise click.ClickException(f"{path.name} refused, nothing imported: {exc}") from exc
    except BaseException:
        db.session.rollback()
        raise
    seconds = time.perf_counter() - started
    click.echo(
        f"{path.name}: {applied.created} new cases, "
        f"{applied.applied - applied.created} status changes, "
        f"{applied.history_only} older changes kept as history, "
        f"{applied.duplicates} already known, {applied.notified} SMS sent "
        f"({seconds:.1f} s)"
    )


@cases_group.command("client-add")
@click.argument("name")
def client_add(name: str) -> None:
    """Register a back-office client of the push API and print its token, once."""
    try:
        token = add_client(name)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Token for {name} (shown only now; keep it secret):")
    click.echo(token)


@cases_group.command("client-revoke")
@click.argument("name")
def client_revoke(name: str) -> None:
    """Revoke a client's token."""
    if not revoke_client(name):
        raise click.ClickException(f"no active client named {name!r}")
    db.session.commit()
    click.echo(f"{name}'s token is revoked.")
