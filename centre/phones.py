"""Phone numbers: parsing, masking for display and logs, keyed hashing, country and time zone."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import timezone as number_timezone

_DIGITS = re.compile(r"\D")
# What an erased caller's number reads as, where its masked form was (see centre.privacy).
ANONYMISED = "anonymised"


def parse(number: str | None) -> phonenumbers.PhoneNumber | None:
    """Return the parsed E.164 number, or None for anonymous or malformed caller ids."""
    if not number or len(number) > 32:
        return None
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None
    return parsed if phonenumbers.is_possible_number(parsed) else None


def normalise(number: str | None) -> str | None:
    """Return the number in E.164 form, or None when it is not a usable number."""
    parsed = parse(number)
    if parsed is None:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@dataclass(frozen=True)
class CallerNumber:
    """What the centre keeps of a caller's number: never the number itself."""

    hash: str | None  # keyed_hash
    masked: str  # mask
    zone: str | None  # certain_timezone


def describe(number: str | None, key: str) -> CallerNumber:
    """Return the keyed hash, masked form and certain time zone of a number, parsing it once."""
    parsed = parse(number)
    return CallerNumber(_keyed_hash(parsed, key), _mask(number, parsed), _zone(parsed))


def mask(number: str | None) -> str:
    """Return the number with all but its country code and last two digits hidden."""
    return _mask(number, parse(number))


def _mask(number: str | None, parsed: phonenumbers.PhoneNumber | None) -> str:
    if not number:
        return "anonymous"
    digits = _DIGITS.sub("", number)
    if parsed is None:  # at most 15 digits, as in any real number, whatever was sent
        digits = digits[-15:]
        return "*" * max(0, len(digits) - 2) + digits[-2:] if len(digits) > 4 else "****"
    national = str(parsed.national_number)
    return f"+{parsed.country_code}{'*' * (len(national) - 2)}{national[-2:]}"


def keyed_hash(number: str | None, key: str) -> str | None:
    """Return an HMAC-SHA256 of the normalised number; a plain hash of a phone number is reversible."""
    return _keyed_hash(parse(number), key)


def _keyed_hash(parsed: phonenumbers.PhoneNumber | None, key: str) -> str | None:
    if parsed is None:
        return None
    normalised = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return hmac.new(key.encode(), normalised.encode(), hashlib.sha256).hexdigest()


def country(number: str | None) -> str | None:
    """Return the ISO country code the number belongs to, if any."""
    parsed = parse(number)
    if parsed is None:
        return None
    return phonenumbers.region_code_for_number(parsed)


def certain_timezone(number: str | None) -> str | None:
    """Return the caller's time zone when the number allows only one, else None."""
    return _zone(parse(number))


def _zone(parsed: phonenumbers.PhoneNumber | None) -> str | None:
    if parsed is None:
        return None
    zones = [z for z in number_timezone.time_zones_for_number(parsed) if z != "Etc/Unknown"]
    return zones[0] if len(zones) == 1 else None
