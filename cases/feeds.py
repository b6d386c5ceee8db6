"""The CSV feed: the whole file is checked first, then imported in batches in one transaction."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from cases.changes import (
    FIELDS,
    Applied,
    Change,
    ChangeError,
    allow_long_statements,
    apply_changes,
    known_services,
    parse_change,
    refresh_statistics,
)
from centre.clock import now

CSV_REQUIRED = ("reference", "birth_date", "service", "status", "updated_at")
BATCH = 2000


class FeedError(ValueError):
    """A file refused as a whole, with the line that made it so."""

    def __init__(self, line: int, reason: str) -> None:
        """Keep the line number (1 is the header) and the reason."""
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


def _rows(path: Path, hash_key: str) -> Iterator[Change]:
    """Yield the file's changes one by one; raise FeedError at the first bad line."""
    moment, services = now(), known_services()
    with path.open(newline="", encoding="utf-8-sig") as file:
        reader = csv.reader(file)
        try:
            header = [name.strip().lower() for name in next(reader)]
        except StopIteration:
            raise FeedError(1, "the file is empty: a header line is needed") from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise FeedError(1, f"unreadable header ({exc})") from exc
        unknown = [name for name in header if name not in FIELDS]
        if unknown:
            raise FeedError(1, f"unknown column {unknown[0]!r} (known: {', '.join(FIELDS)})")
        missing = [name for name in CSV_REQUIRED if name not in header]
        if missing:
            raise FeedError(1, f"missing column {missing[0]!r}")
        if len(set(header)) != len(header):
            raise FeedError(1, "a column is named twice")
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError) as exc:
                raise FeedError(reader.line_num, f"unreadable line ({exc})") from exc
            if not values:
                continue  # a blank line
            if len(values) != len(header):
                raise FeedError(
                    reader.line_num, f"{len(values)} fields where the header has {len(header)}"
                )
            row = dict(zip(header, values, strict=True))
            for name in CSV_REQUIRED:
                if not row[name].strip():
                    raise FeedError(reader.line_num, f"{name} is missing")
            try:
                yield parse_change(row, hash_key, moment, services)
            except ChangeError as exc:
                raise FeedError(reader.line_num, str(exc)) from exc


def check_file(path: Path, hash_key: str) -> int:
    """Read the whole file without keeping it; return its number of rows or raise FeedError."""
    return sum(1 for _ in _rows(path, hash_key))


def import_file(path: Path, hash_key: str, source: str = "csv") -> Applied:
    """Check the whole file, then apply it in batches (the caller commits, or rolls back)."""
    check_file(path, hash_key)
    allow_long_statements()  # ANALYZE of a large table may take longer than a web request may
    total = Applied()
    batch: list[Change] = []
    batches = 0
    for change in _rows(path, hash_key):
        batch.append(change)
        if len(batch) == BATCH:
            total.add(apply_changes(batch, source))
            batch = []
            batches += 1
            if batches & (batches - 1) == 0:  # 1, 2, 4, 8...: each time the import doubles
                refresh_statistics()
    total.add(apply_changes(batch, source))
    return total
