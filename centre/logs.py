"""Logging that never writes a phone number in clear, whatever a message carries."""

from __future__ import annotations

import logging
import re

# International numbers (+ and 8 to 15 digits, spaces allowed) and long digit runs.
_NUMBER = re.compile(r"(?<![\w*])\+?\d[\d ()-]{6,}\d")


def _mask(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return ("+" if match.group().startswith("+") else "") + "*" * (len(digits) - 2) + digits[-2:]


def mask_text(text: str) -> str:
    """Return `text` with every phone-number-like run of digits masked."""
    return _NUMBER.sub(_mask, text)


class MaskingFilter(logging.Filter):
    """Mask phone numbers in a record's final message (and its traceback)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message with numbers masked."""
        message = record.getMessage()
        record.msg, record.args = mask_text(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_text(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        return True


def configure(level: str) -> None:
    """Send the app's logs to stderr with the masking filter on the handler."""
    root = logging.getLogger()
    if any(isinstance(f, MaskingFilter) for h in root.handlers for f in h.filters):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskingFilter())
    root.addHandler(handler)
    root.setLevel(level)
