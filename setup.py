"""Build hook: an installed app carries its compiled catalogs and its migrations.

The project's metadata lives in pyproject.toml; this file only adds a build step. The
catalogs (translations/<code>/LC_MESSAGES/messages.po) and migrations/ sit at the top of the
source tree, outside every package, so `pip install .` left both behind: the app answered
callers in English words spoken by the French, Arabic, Dutch... voices, and `flask setup`
found no migrations. `build_py` now compiles each catalog into centre/translations/ and copies
migrations/ into centre/migrations/ of the build; `centre.settings.project_directory` reads
them there when the source tree's are absent.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithCatalogs(build_py):
    """Build the packages, then compile the catalogs and copy the migrations into `centre`."""

    def run(self) -> None:
        """Compile every translations/*/LC_MESSAGES/messages.po to .mo; copy migrations/."""
        super().run()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        package = Path(self.build_lib) / "centre"
        catalogs = sorted((ROOT / "translations").glob("*/LC_MESSAGES/messages.po"))
        if not catalogs:
            raise SystemExit(
                "no catalogs under translations/: refusing to build an app without them"
            )
        for po in catalogs:
            code = po.parent.parent.name
            target = package / "translations" / code / "LC_MESSAGES" / "messages.mo"
            target.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as source:
                catalog = read_po(source, locale=code)
            with target.open("wb") as compiled:
                write_mo(compiled, catalog)  # fuzzy entries left out, as pybabel compile does
        shutil.copytree(
            ROOT / "migrations",
            package / "migrations",
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            dirs_exist_ok=True,
        )


setup(cmdclass={"build_py": BuildWithCatalogs})
