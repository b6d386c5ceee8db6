"""Dates, times and numbers as a caller in a given language should hear or read them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_decimal


def spoken_date(moment: datetime, locale: str, zone: ZoneInfo) -> str:
    """Return the full date, e.g. "Tuesday, 1 December 2026" / "mardi 1 décembre 2026", in `zone`."""
    return format_date(moment.astimezone(zone).date(), "full", locale=locale)


def spoken_time(moment: datetime, locale: str, zone: ZoneInfo) -> str:
    """Return the time of day, e.g. "08:00", in `zone`."""
    return format_time(moment, "HH:mm", tzinfo=zone, locale=locale)


def spoken_number(value: int, locale: str) -> str:
    """Return a number written for the locale."""
    return format_decimal(value, locale=locale)


def digit_by_digit(value: str) -> str:
    """Return "4, 7, 1" for "471", so a voice reads a reference one digit at a time."""
    return ", ".join(value)
