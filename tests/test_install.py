"""The installed app speaks the caller's language or does not start."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, TEST_CONFIG

from app import create_app
from centre import languages
from centre.settings import ConfigurationError

LEFT_OUT = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "*.egg-info",
    "instance",
    "__pycache__",
    "*.pyc",
    "*.mo",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    "results",
)
# One message, as each language's catalog says it (the installed app must say the same).
SAVED = {"fr": "Enregistré.", "ar": "تم الحفظ.", "nl": "Opgeslagen."}


def test_a_wheel_built_without_compiled_catalogs_carries_them_and_speaks_each_language(
    tmp_path: Path,
) -> None:
    # A checkout as a fresh clone has it: sources and .po files, no compiled catalog.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=LEFT_OUT)
    assert not list(source.rglob("*.mo"))
    built = subprocess.run(  # noqa: S603 (fixed arguments; --no-index: nothing leaves the machine)
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            ".",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            str(tmp_path / "wheels"),
        ],
        cwd=source,
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = (tmp_path / "wheels").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for code in languages.CODES:
        assert f"centre/translations/{code}/LC_MESSAGES/messages.mo" in names, code
    assert "centre/migrations/env.py" in names
    # Installed on its own, run from elsewhere: it migrates and speaks each language.
    site = tmp_path / "site"
    installed = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "-q",
            "--target",
            str(site),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert installed.returncode == 0, installed.stderr[-2000:]
    script = (
        "import sys, centre, app\n"
        "from flask_babel import force_locale, gettext\n"
        "from flask_migrate import upgrade\n"
        "assert centre.__file__.startswith(sys.argv[1]), centre.__file__\n"
        "made = app.create_app({'TESTING': True, 'SQLALCHEMY_DATABASE_URI': sys.argv[2]})\n"
        "with made.app_context():\n"
        "    upgrade()\n"
        "for code in sys.argv[3:]:\n"
        "    with made.test_request_context(), force_locale(code):\n"
        "        print(code, gettext('Saved.'))\n"
    )
    ran = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script, str(site), f"sqlite:///{tmp_path / 'installed.db'}", *SAVED],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert ran.stdout.splitlines() == [f"{code} {said}" for code, said in SAVED.items()]


def test_the_app_refuses_to_start_when_a_languages_compiled_catalog_is_missing(
    tmp_path: Path,
) -> None:
    for code in languages.CODES:
        if code != "nl":
            compiled = ROOT / "translations" / code / "LC_MESSAGES" / "messages.mo"
            target = tmp_path / code / "LC_MESSAGES" / "messages.mo"
            target.parent.mkdir(parents=True)
            shutil.copyfile(compiled, target)
    config = {
        **TEST_CONFIG,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
        "BABEL_TRANSLATION_DIRECTORIES": str(tmp_path),
    }
    with pytest.raises(ConfigurationError, match=r"catalog missing for nl in .*make catalogs"):
        create_app(config)
    (tmp_path / "nl" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copyfile(
        ROOT / "translations" / "nl" / "LC_MESSAGES" / "messages.mo",
        tmp_path / "nl" / "LC_MESSAGES" / "messages.mo",
    )
    assert create_app(config).config["BABEL_TRANSLATION_DIRECTORIES"] == str(tmp_path)
