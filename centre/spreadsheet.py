"""CSV files a spreadsheet opens safely: a text cell is never read as a formula.

Excel, LibreOffice and Google Sheets run a cell that starts with = + - or @ (and, after
trimming, a tab or carriage return) as a formula, so a caller's phrase such as
"=HYPERLINK(...)" would become a live link in a supervisor's spreadsheet. As OWASP
advises, such a text cell is written with a leading single quote; numbers the app itself
writes as numbers (a count, a share, a negative difference) stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Return `value` as a spreadsheet will read it as data: text that could run is quoted."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    """Return `rows` as CSV text (CRLF line ends), every cell made safe to open."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return out.getvalue()
