"""`flask guide export FILE` and `flask guide import FILE`: the whole guide as one file."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from centre.extensions import db
from knowledge import transfer
from knowledge.editing import Author

guide_group = AppGroup("guide", help="Export or import the whole consular guide as one file.")
CLI = Author(email="cli")


@guide_group.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["yaml", "json"]),
    default=None,
    help="Default: from the file's extension (.json is JSON, anything else YAML).",
)
def export_command(path: Path, fmt: str | None) -> None:
    """Write the whole guide to PATH (YAML, or JSON)."""
    fmt = fmt or ("json" if path.suffix.lower() == ".json" else "yaml")
    data = transfer.export_guide()
    path.write_text(transfer.dump(data, fmt), encoding="utf-8")
    click.echo(
        f"{len(data['services'])} services and {len(data['categories'])} categories "
        f"written to {path}"
    )


@guide_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--publish", is_flag=True, help="Publish the changes at once (else they are drafts).")
def import_command(path: Path, publish: bool) -> None:
    """Import PATH whole, or refuse it with the line and field of every problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{path} is not UTF-8 text") from exc
    with force_locale("en"):
        try:
            summary = transfer.import_guide(text, CLI, publish)
        except transfer.ImportRefused as refused:
            db.session.rollback()
            for problem in refused.problems:
                click.echo(f"{path}: {problem}", err=True)
            raise click.ClickException("the file was refused; nothing was imported") from None
    db.session.commit()
    click.echo(
        f"{summary.drafts} text(s) or facts changed, {summary.published} published, "
        f"{summary.services_added} service(s) added, {summary.categories} "
        f"categories added or changed"
    )
