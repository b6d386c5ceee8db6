"""Case references (ten digits, a Luhn check digit last) and the keyed proofs built on them."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

from centre.check_digit import luhn_check_digit

REFERENCE_DIGITS = 10


def is_well_formed(reference: str) -> bool:
    """Return True when `reference` is ten digits whose last one checks the others."""
    return (
        len(reference) == REFERENCE_DIGITS
        and reference.isascii()
        and reference.isdigit()
        and luhn_check_digit(reference[:-1]) == reference[-1]
    )


def _keyed(key: str, message: str) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def birth_date_proof(reference: str, birth_date: date, key: str) -> str:
    """Return the HMAC that stands for "this reference belongs to someone born that day"."""
    return _keyed(key, f"case-birth-date:{reference}:{birth_date.isoformat()}")


def reference_hash(reference: str, key: str) -> str:
    """Return a keyed hash of a typed reference, for the lookup log."""
    return _keyed(key, f"case-reference:{reference}")


def proofs_match(given: str, stored: str) -> bool:
    """Compare two proofs in constant time."""
    return hmac.compare_digest(given.encode(), stored.encode())
