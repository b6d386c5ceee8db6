"""The one place the app reads the time: aware UTC for logic, naive UTC for storage."""

from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import overload
from zoneinfo import ZoneInfo


@cache
def zone(name: str) -> ZoneInfo:
    """Return the time zone `name` from the `tzdata` package the app pins, not the system's copy.

    Servers' own tz databases lag behind: Debian 12's (2025b) still puts Morocco on UTC+1 after
    IANA 2026c moved it to UTC+0 from 2026-09-20, which would open and close the centre an
    hour early. The pinned package gives every machine the same rules, upgraded with the app.
    """
    with resources.files("tzdata.zoneinfo").joinpath(*name.split("/")).open("rb") as data:
        return ZoneInfo.from_file(data, key=name)


CENTRE_TZ = zone("Africa/Casablanca")


def now() -> datetime:
    """Return the current time, aware, in UTC."""
    return datetime.now(UTC)


def to_storage(moment: datetime) -> datetime:
    """Return `moment` as naive UTC, the form every timestamp column holds."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


@overload
def from_storage(moment: datetime) -> datetime: ...
@overload
def from_storage(moment: None) -> None: ...
@overload
def from_storage(moment: datetime | None) -> datetime | None: ...
def from_storage(moment: datetime | None) -> datetime | None:
    """Return a stored naive-UTC timestamp as an aware datetime."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
