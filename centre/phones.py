"""Phone numbers: parsing, masking for display and logs, keyed hashing, country and time zones."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import timezone as number_timezone

from centre.clock import CENTRE_TZ, zone

_DIGITS = re.compile(r"\D")
# What an erased caller's number reads as, where its masked form was (see operations.privacy).
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
    zones: str | None  # time_zones: the candidate zones, space-separated


def describe(number: str | None, key: str) -> CallerNumber:
    """Return the keyed hash, masked form and candidate time zones of a number, parsing it once."""
    parsed = parse(number)
    return CallerNumber(_keyed_hash(parsed, key), _mask(number, parsed), _zones(parsed))


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


def time_zones(number: str | None) -> str | None:
    """Return the time zones the number may be in, space-separated ("Europe/Rome Europe/Vatican")."""
    return _zones(parse(number))


# libphonenumber files every Moroccan number under the Canaries, whose clock runs an hour
# ahead of Morocco's in summer since IANA 2026c: a caller in Morocco is on Moroccan time.
_COUNTRY_ZONES = {"MA": "Africa/Casablanca", "EH": "Africa/El_Aaiun"}


def _zones(parsed: phonenumbers.PhoneNumber | None) -> str | None:
    if parsed is None:
        return None
    country = phonenumbers.region_code_for_number(parsed)
    if country in _COUNTRY_ZONES:
        return _COUNTRY_ZONES[country]
    zones = [z for z in number_timezone.time_zones_for_number(parsed) if z != "Etc/Unknown"]
    return " ".join(zones) or None


def local_zone(zones: str | None, moment: datetime) -> ZoneInfo | None:
    """Return the caller's zone at `moment` when all its candidate `zones` keep one UTC offset then.

    An Italian mobile may be in Rome or the Vatican: both tell the same time, so it is known;
    a Spanish mobile may be in Madrid or the Canaries, an hour apart: it is not.
    """
    if not zones:
        return None
    candidates = [zone(name) for name in zones.split()]
    offsets = {moment.astimezone(candidate).utcoffset() for candidate in candidates}
    return candidates[0] if len(offsets) == 1 else None


def local_zone_apart(zones: str | None, moment: datetime) -> ZoneInfo | None:
    """Return the caller's zone at `moment` when it is known and its clock differs from Morocco's."""
    local = local_zone(zones, moment)
    if (
        local is None
        or moment.astimezone(local).utcoffset() == moment.astimezone(CENTRE_TZ).utcoffset()
    ):
        return None
    return local
