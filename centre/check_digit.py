"""The Luhn check digit that ends every reference a caller types (tickets and cases alike).

A mistyped digit or two neighbouring digits swapped change the check, so a reference typed
wrong is refused at once instead of finding someone else's ticket or case.
"""

from __future__ import annotations


def luhn_check_digit(digits: str) -> str:
    """Return the Luhn check digit for `digits`."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)
