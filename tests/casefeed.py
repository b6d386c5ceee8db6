"""Building case feeds for the tests: CSV files, JSON changes, and a caller's lookup."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path

from helpers import walk_to_main_menu

BIRTH_DIGITS = "05031984"  # the 1984-03-05 of `case_row`, as a caller types it
COLUMNS = (
    "reference",
    "birth_date",
    "service",
    "status",
    "updated_at",
    "phone",
    "language",
    "missing_documents",
    "consulate",
    "expected_date",
)


def luhn_valid(number: str) -> bool:
    """Return True when `number` passes the Luhn test (written here, not taken from the app)."""
    digits = [int(c) for c in number]
    doubled = [sum(divmod(2 * d, 10)) for d in digits[-2::-2]]
    return (sum(digits[-1::-2]) + sum(doubled)) % 10 == 0


def reference(number: int) -> str:
    """Return the well-formed reference whose first nine digits are 100000000 + `number`."""
    body = str(100_000_000 + number)
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


def with_wrong_check_digit(good: str) -> str:
    """Return `good` with its check digit changed."""
    return good[:-1] + str((int(good[-1]) + 1) % 10)


def write_csv(
    path: Path, rows: Iterable[Mapping[str, str]], columns: Iterable[str] = COLUMNS
) -> Path:
    """Write `rows` under a header of `columns`; return the path."""
    columns = list(columns)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({name: row.get(name, "") for name in columns})
    return path


def case_row(number: int = 1, **fields: str) -> dict[str, str]:
    """Return a CSV row of a case, with sensible values unless given."""
    return {
        "reference": reference(number),
        "birth_date": "1984-03-05",
        "service": "passport",
        "status": "in_review",
        "updated_at": "2026-11-20T10:00:00+01:00",
        "phone": "+33612345678",
        "language": "fr",
        "missing_documents": "",
        "consulate": "Paris",
        "expected_date": "2026-12-15",
        **fields,
    }


def look_up(phone, code: str, typed_reference: str, birth_digits: str):  # type: ignore[no-untyped-def]
    """Dial, choose `code`, option 2, type and confirm both entries; return the answer's turn."""
    walk_to_main_menu(phone, code)
    phone.press("2")
    phone.press(typed_reference + "#")
    phone.press("1")
    phone.press(birth_digits + "#")
    return phone.press("1")
