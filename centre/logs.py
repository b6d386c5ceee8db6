"""Logging that never writes a phone number in clear, whatever a message carries.

Numbers are masked when a record is created (a log record factory), so every handler sees
the masked text: the app's stderr, gunicorn's, pytest's capture, any added later. Records
below the log level are never created, so they cost nothing; an emitted record is formatted
once, as its first handler would have done anyway.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

# An access log line's status and size after the quoted request line (gunicorn's and Apache's
# '"%(r)s" %(s)s %(b)s', e.g. '"GET / HTTP/1.1" 200 8193'): kept as they are, not a number.
_STATUS_AND_SIZE = r'(?<=" )[1-5]\d\d (?:\d+|-)(?= |$)'
# International numbers (+ or %2B, then 8 to 15 digits, spaces allowed) and long digit runs,
# not inside a word: a job's or a call's id ("a51cfd2a-0784-4146a...") is no phone number.
_PHONE = r"(?<![\w*])(?:\+|%2[Bb])?\d[\d ()-]{6,}\d(?!\w)"
_NUMBER = re.compile(f"(?P<kept>{_STATUS_AND_SIZE})|{_PHONE}")
_TRACEBACKS = logging.Formatter()


def _mask(match: re.Match[str]) -> str:
    text = match.group()
    if match.group("kept"):
        return text
    prefix = next((p for p in ("+", "%2B", "%2b") if text.startswith(p)), "")
    digits = re.sub(r"\D", "", text[len(prefix) :])
    return prefix + "*" * (len(digits) - 2) + digits[-2:]


def mask_text(text: str) -> str:
    """Return `text` with every phone-number-like run of digits masked."""
    return _NUMBER.sub(_mask, text)


def mask_record(record: logging.LogRecord) -> None:
    """Replace a record's message, traceback and stack with their masked text."""
    try:
        message = record.getMessage()
    except Exception:  # a malformed call: left for the handler to report, as logging does
        return
    record.msg, record.args = mask_text(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = _TRACEBACKS.formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_text(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_text(record.stack_info)


class MaskingFilter(logging.Filter):
    """Mask phone numbers in a record's final message (and its traceback)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message with numbers masked."""
        mask_record(record)
        return True


def _masking_factory(make: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        mask_record(record)
        return record

    factory.masks_numbers = True  # type: ignore[attr-defined]  # a mark on the function itself
    return factory


def install_masking() -> None:
    """Mask every log record of the process as it is created (once, whoever logs it)."""
    current = logging.getLogRecordFactory()
    if not getattr(current, "masks_numbers", False):
        logging.setLogRecordFactory(_masking_factory(current))


def configure(level: str) -> None:
    """Mask every record, and send the app's logs to stderr (once per process)."""
    install_masking()
    root = logging.getLogger()
    if any(isinstance(f, MaskingFilter) for h in root.handlers for f in h.filters):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskingFilter())
    root.addHandler(handler)
    root.setLevel(level)
