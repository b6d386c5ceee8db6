"""Dates, times and numbers as a caller in a given language should hear or read them.

Staff pages show times through `page_datetime` (the `staff_datetime` filter): stored naive
UTC, shown in Moroccan time (`centre.clock.CENTRE_TZ`, the zone every rule of the centre
is computed in) for the page's language. Never through Flask-Babel's own `format_datetime`:
it converts with pytz, a second time-zone database that need not agree with the one
zoneinfo reads (they disagree on Morocco after 2026-09-20 when one is older than 2026c).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from babel.lists import format_list
from babel.numbers import format_currency, format_decimal
from flask_babel import gettext

from centre import languages
from centre.clock import CENTRE_TZ, from_storage


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


def page_locale() -> str:
    """Return the locale of the page being built (the staff member's language)."""
    from flask_babel import get_locale

    return str(get_locale() or "fr")


def page_datetime(moment: datetime | None, style: str = "short") -> str:
    """Return a stored (naive UTC) or aware moment as a Moroccan date and time for the page."""
    if moment is None:
        return ""
    return format_datetime(from_storage(moment), style, tzinfo=CENTRE_TZ, locale=page_locale())


def page_time(moment: datetime) -> str:
    """Return the Moroccan time of day of a stored or aware moment, e.g. "19:30", for the page."""
    return format_time(from_storage(moment), "HH:mm", tzinfo=CENTRE_TZ, locale=page_locale())


def page_date(moment: datetime, style: str = "long") -> str:
    """Return the Moroccan date of a stored or aware moment for the page."""
    aware = from_storage(moment)
    assert aware is not None
    return format_date(aware.astimezone(CENTRE_TZ).date(), style, locale=page_locale())


def page_day(day: date, style: str = "medium") -> str:
    """Return a calendar date (no time of day, no zone) for the page, e.g. "1 déc. 2026"."""
    return format_date(day, style, locale=page_locale())


def page_number(value: int | float) -> str:
    """Return a number written for the page's language."""
    return format_decimal(value, locale=page_locale())


def page_money(amount: int | float, currency: str) -> str:
    """Return an amount of `currency` (an ISO code such as "MAD") for the page's language."""
    return format_currency(amount, currency, locale=page_locale())


def page_language_names(codes: Iterable[str]) -> str:
    """Return languages by name in the page's language, in order of name: "allemand, arabe et anglais"."""
    locale = page_locale()
    names = sorted(languages.get(code).name_in(locale) for code in codes)
    return format_list(names, locale=locale)


# Unicode's first-strong isolate and its end: what they enclose takes its own direction and
# leaves the sentence around it alone (the plain-text twin of HTML's <bdi>).
FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE = "\u2068", "\u2069"


def isolated(text: str) -> str:
    """Return `text` set apart from the sentence it goes into, whatever its script.

    French words in an Arabic sentence (or Arabic ones in a French sentence) otherwise take
    the sentence's direction, and the quotes, colons and numbers around them land in the
    wrong order; isolated, each reads in its own direction, in its place.
    """
    return f"{FIRST_STRONG_ISOLATE}{text}{POP_DIRECTIONAL_ISOLATE}" if text else text


def too_long(limit: int, length: int) -> str:
    """Return why a staff text was refused for its length, in the page's language."""
    return gettext(
        "Too long: %(length)s characters where at most %(limit)s are kept. Nothing was saved: "
        "shorten it, then save again.",
        length=page_number(length),
        limit=page_number(limit),
    )
