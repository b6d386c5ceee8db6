"""The one place the app reads the time: aware UTC for logic, naive UTC for storage."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

CENTRE_TZ = ZoneInfo("Africa/Casablanca")


def now() -> datetime:
    """Return the current time, aware, in UTC."""
    return datetime.now(UTC)


def to_storage(moment: datetime) -> datetime:
    """Return `moment` as naive UTC, the form every timestamp column holds."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def from_storage(moment: datetime | None) -> datetime | None:
    """Return a stored naive-UTC timestamp as an aware datetime."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
