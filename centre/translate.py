"""`flask translate extract|init|update|compile`: pybabel over the project's Babel catalogs."""

from __future__ import annotations

import subprocess
import sys

import click
from flask.cli import AppGroup

from centre.settings import PROJECT_ROOT

CATALOGS = PROJECT_ROOT / "translations"
TEMPLATE = CATALOGS / "messages.pot"
PYBABEL = [sys.executable, "-m", "babel.messages.frontend"]

translate_group = AppGroup("translate", help="Extract, update and compile the message catalogs.")


def _pybabel(*args: str) -> None:
    subprocess.run([*PYBABEL, *args], cwd=PROJECT_ROOT, check=True)  # noqa: S603


@translate_group.command("extract")
def extract() -> None:
    """Collect every message of the code and templates into messages.pot."""
    _pybabel(
        "extract",
        "-F",
        "babel.cfg",
        "-k",
        "_l",
        "--sort-by-file",
        "--no-wrap",
        "--ignore-dirs=.venv",
        "--ignore-dirs=tests",
        "--ignore-dirs=bench",
        "--ignore-dirs=migrations",
        "-o",
        str(TEMPLATE),
        ".",
    )


@translate_group.command("init")
@click.argument("language")
def init(language: str) -> None:
    """Start the catalog of a new LANGUAGE."""
    _pybabel("init", "-i", str(TEMPLATE), "-d", str(CATALOGS), "-l", language, "--no-wrap")


@translate_group.command("update")
def update() -> None:
    """Extract, then merge new messages into every catalog (they start empty, never fuzzy)."""
    extract.callback()  # type: ignore[misc]  # a decorated command always has its callback
    _pybabel("update", "-i", str(TEMPLATE), "-d", str(CATALOGS), "--no-fuzzy-matching", "--no-wrap")


@translate_group.command("compile")
def compile_catalogs() -> None:
    """Compile the catalogs the app reads."""
    _pybabel("compile", "-d", str(CATALOGS))
