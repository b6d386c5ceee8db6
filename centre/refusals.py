"""One base for every refusal a staff page shows: `Refused(message)`.

A refusal carries what the person reads (`message`), in their language: text translated
when raised, lazy text (`_l`) translated when shown, or, in a subclass whose words need
details or the page's language, a `message` property. `text`, when a command or a log needs
other words (plain English for the shell), is what `str(refused)` says.
"""

from __future__ import annotations

from typing import Any


class Refused(ValueError):
    """What was asked cannot be done; `message` says why, in the reader's language."""

    def __init__(self, message: Any = "", text: str | None = None) -> None:
        """Keep the message shown on the page, and the words for the shell if they differ."""
        super().__init__(text if text is not None else message)
        self._message = message

    @property
    def message(self) -> str:
        """Return what the person reads, in the language of the page being built."""
        return str(self._message)
