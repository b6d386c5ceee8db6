"""The seven message catalogs: complete, true to their placeholders, in step with the code."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from centre import languages

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
CODES = languages.CODES
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifr]")
LANGUAGE_MENU = "To continue in this language, press %(key)s."
EXTRACT = [
    "-m",
    "babel.messages.frontend",
    "extract",
    "-F",
    "babel.cfg",
    "-k",
    "_l",
    "--ignore-dirs=.venv",
    "--ignore-dirs=tests",
    "--ignore-dirs=bench",
    "--ignore-dirs=migrations",
]


def catalog_path(code: str) -> Path:
    """Return where the catalog of `code` lives."""
    return TRANSLATIONS / code / "LC_MESSAGES" / "messages.po"


def load(path: Path, locale: str | None = None) -> Catalog:
    """Read a .po or .pot file."""
    with path.open("rb") as file:
        return read_po(file, locale=locale)


@pytest.fixture(scope="module")
def catalogs() -> dict[str, Catalog]:
    """Return every catalog that exists, by language code."""
    return {code: load(catalog_path(code), code) for code in CODES if catalog_path(code).is_file()}


@pytest.fixture(scope="module")
def messages_in_code(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Extract the messages from the code, as `pybabel extract` would, into a fresh template."""
    pot = tmp_path_factory.mktemp("extract") / "messages.pot"
    result = subprocess.run(  # noqa: S603 (fixed arguments, no shell)
        [sys.executable, *EXTRACT, "-o", str(pot), "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [message_key(m) for m in load(pot) if m.id]


def message_key(message: Message) -> str:
    """Return the msgid (the singular one for a plural message)."""
    return message.id[0] if isinstance(message.id, tuple | list) else message.id


def forms(value: str | tuple[str, ...] | list[str]) -> list[str]:
    """Return the strings of a msgid or msgstr, singular or plural."""
    return [value] if isinstance(value, str) else list(value)


def translated(catalog: Catalog) -> list[Message]:
    """Return the catalog's messages, without the header."""
    return [message for message in catalog if message.id]


def placeholders(text: str) -> Counter[str]:
    """Return the named placeholders of `text`, e.g. {"date": 1, "time": 1}."""
    return Counter(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("code", CODES)
def test_every_language_has_its_catalog(code):
    assert catalog_path(code).is_file(), f"missing catalog for {code}: {catalog_path(code)}"


@pytest.mark.parametrize("code", CODES)
def test_each_catalog_declares_its_own_language_and_valid_plural_forms(catalogs, code):
    catalog = catalogs.get(code)
    assert catalog is not None, f"missing catalog for {code}"
    assert str(catalog.locale) == code
    assert catalog.num_plurals >= 1 and catalog.plural_expr
    assert not catalog.fuzzy, f"{code}: the header is marked fuzzy"


@pytest.mark.parametrize("code", CODES)
def test_every_message_is_translated_and_none_is_fuzzy(catalogs, code):
    catalog = catalogs.get(code)
    assert catalog is not None, f"missing catalog for {code}"
    assert translated(catalog), f"{code}: the catalog is empty"
    empty = [message_key(m) for m in translated(catalog) if not all(forms(m.string))]
    fuzzy = [message_key(m) for m in translated(catalog) if m.fuzzy]
    assert not empty, f"{code}: untranslated messages: {empty}"
    assert not fuzzy, f"{code}: fuzzy messages: {fuzzy}"


@pytest.mark.parametrize("code", CODES)
def test_translations_keep_the_placeholders_of_their_source(catalogs, code):
    catalog = catalogs.get(code)
    assert catalog is not None, f"missing catalog for {code}"
    wrong = []
    for message in translated(catalog):
        expected = placeholders(forms(message.id)[-1])
        for text in forms(message.string):
            if text and placeholders(text) != expected:
                wrong.append((message_key(message), text))
            elif text and expected:
                try:
                    text % dict.fromkeys(expected, "x")
                except (KeyError, ValueError, TypeError) as error:
                    wrong.append((message_key(message), f"{text} ({error})"))
    assert not wrong, f"{code}: placeholders differ from the source: {wrong}"


def test_every_catalog_translates_every_message_of_the_code(catalogs, messages_in_code):
    assert messages_in_code, "no message extracted from the code"
    missing: dict[str, list[str]] = {}
    for msgid in messages_in_code:
        for code in CODES:
            message = catalogs[code].get(msgid) if code in catalogs else None
            if message is None or not all(forms(message.string)) or message.fuzzy:
                missing.setdefault(msgid, []).append(code)
    report = "\n".join(
        f"  {msgid!r}: missing in {', '.join(codes)}" for msgid, codes in missing.items()
    )
    assert not missing, f"messages of the code not translated (flask translate update):\n{report}"


def test_no_catalog_keeps_a_message_the_code_no_longer_says(catalogs, messages_in_code):
    # A kept message costs translators a sentence nobody reads, and hides a removed one.
    said = set(messages_in_code)
    kept = {
        code: sorted(message_key(m) for m in translated(catalog) if message_key(m) not in said)
        for code, catalog in catalogs.items()
    }
    assert not any(kept.values()), f"messages no longer in the code (remove them): {kept}"


@pytest.mark.parametrize("code", CODES)
def test_the_language_menu_names_each_language_in_itself(catalogs, code):
    catalog = catalogs.get(code)
    assert catalog is not None, f"missing catalog for {code}"
    message = catalog.get(LANGUAGE_MENU)
    assert message is not None and message.string, f"{code}: the language menu message is missing"
    name = Locale.parse(code).get_display_name(code)
    said = message.string.lower()
    assert name.lower() in said, f"{code}: {message.string!r} does not name {name!r}"
