"""Text from outside (a form, a command, a feed, a file) that can be stored, spoken and shown.

A control character (NUL, U+0001...) makes TwiML invalid XML and is refused by PostgreSQL
(NUL); a lone surrogate cannot even be encoded. Such text is refused where people type it,
with the character named, and dropped from what Twilio sends (speech), which nobody can fix.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# C0 controls, DEL, lone surrogates and the two non-characters XML refuses.
_UNSAFE = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff"
_UNSAFE_MULTILINE = re.compile(f"[{_UNSAFE}]")
_UNSAFE_ONE_LINE = re.compile(f"[{_UNSAFE}\\t\\n\\r]")


class ControlCharacter(ValueError):
    """Text holds a character that cannot be stored, spoken or shown; `code` names it."""

    def __init__(self, character: str) -> None:
        """Keep the character as its code point, e.g. "U+0001"."""
        self.code = f"U+{ord(character):04X}"
        super().__init__(f"contains the control character {self.code}")


def unsafe_character(text: str, multiline: bool = False) -> str | None:
    """Return the first character of `text` that must not be kept, or None."""
    pattern = _UNSAFE_MULTILINE if multiline else _UNSAFE_ONE_LINE
    found = pattern.search(text)
    return found.group() if found else None


def refuse_controls(text: str, multiline: bool = False) -> str:
    """Return `text` unchanged, or raise ControlCharacter (tab and newlines only if `multiline`)."""
    character = unsafe_character(text, multiline)
    if character is not None:
        raise ControlCharacter(character)
    return text


def without_controls(text: str) -> str:
    """Return `text` with every unsafe character (newlines and tabs included) made a space."""
    return _UNSAFE_ONE_LINE.sub(" ", text)


def is_web_link(url: str) -> bool:
    """Tell whether `url` is an http(s) link to a host, and nothing else (no javascript:...)."""
    if url != url.strip() or unsafe_character(url) is not None or " " in url:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
