"""Times as the workbench shows them: in local time or UTC (the user's choice), and saying which.

A time inside a table shows bare (``2024-05-01 17:30:00.123``) under a header that names the zone
(:func:`column_title`: ``Committed (local)``); a time standing alone carries the zone after it
(:func:`stamp_ms`: ``2024-05-01 12:00:00.123 UTC``). Exports never use these: they write RFC 3339
in UTC whatever the choice (:mod:`workbench.models.event_export`).
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime, tzinfo

from workbench.client.broker_rules import time_ago as _relative

_RELATIVE_S = 30 * 24 * 3600
"""Past this age, :func:`time_ago` gives a date (as the broker's listings do)."""


class TimeZoneChoice(enum.Enum):
    """Where displayed times are told: the computer's local zone (the default) or UTC."""

    LOCAL = "local"
    UTC = "utc"

    @property
    def label(self) -> str:
        """What follows a time to say its zone: "local" or "UTC"."""
        return "UTC" if self is TimeZoneChoice.UTC else "local"

    @property
    def tz(self) -> tzinfo | None:
        """The zone for :meth:`datetime.fromtimestamp` (None: local)."""
        return UTC if self is TimeZoneChoice.UTC else None

    @classmethod
    def parse(cls, value: object) -> TimeZoneChoice:
        """A saved setting's value as a choice (local for anything unknown)."""
        return cls.UTC if str(value).lower() == cls.UTC.value else cls.LOCAL


LOCAL = TimeZoneChoice.LOCAL


def moment(ms: int, zone: TimeZoneChoice = LOCAL) -> datetime:
    """Milliseconds since the epoch as a datetime in ``zone``."""
    return datetime.fromtimestamp(ms / 1000, zone.tz)


_BEYOND_CALENDAR = (ValueError, OverflowError, OSError)
"""What ``datetime`` raises for a time it cannot hold (a producer's milliseconds in the seconds
field: year ~55,800). Such a time is shown as it is, in UTC with an expanded year."""


def format_ms(ms: int, zone: TimeZoneChoice = LOCAL) -> str:
    """A time with milliseconds, bare: ``2024-05-01 17:30:00.123`` (for a column that names
    the zone in its header). A time beyond the calendar: ``+55840-11-08 22:13:20.000 UTC``."""
    try:
        return moment(ms, zone).strftime("%Y-%m-%d %H:%M:%S") + f".{ms % 1000:03d}"
    except _BEYOND_CALENDAR:
        return utc_text(ms, " ") + " UTC"


def stamp_ms(ms: int, zone: TimeZoneChoice = LOCAL) -> str:
    """A time with milliseconds and its zone: ``2024-05-01 12:00:00.123 UTC``."""
    try:
        moment(ms, zone)
    except _BEYOND_CALENDAR:
        return format_ms(ms, zone)  # already says UTC
    return f"{format_ms(ms, zone)} {zone.label}"


def exact_ms(ms: int, zone: TimeZoneChoice = LOCAL) -> str:
    """A time to the second with its zone: ``2024-05-01 12:00:00 UTC`` ("never" for 0)."""
    if not ms:
        return "never"
    try:
        return f"{moment(ms, zone).strftime('%Y-%m-%d %H:%M:%S')} {zone.label}"
    except _BEYOND_CALENDAR:
        return utc_text(ms, " ")[:-4] + " UTC"


_GREGORIAN_CYCLE_MS = 146_097 * 86_400_000
"""400 Gregorian years: the calendar (leap days and weekdays) repeats after it exactly."""


def utc_text(ms: int, separator: str = "T") -> str:
    """Milliseconds since the epoch as ISO 8601 UTC text with milliseconds, for any ``ms``:
    ``2024-05-01T12:00:00.123``; years outside 1..9999 in ISO 8601's expanded form (``+55800``,
    ``-0001``)."""
    cycles, within = divmod(ms, _GREGORIAN_CYCLE_MS)
    when = datetime.fromtimestamp(within // 1000, tz=UTC)
    year = when.year + 400 * cycles
    shown = f"{year:04d}" if 1 <= year <= 9999 else f"{year:+05d}"
    return shown + when.strftime(f"-%m-%d{separator}%H:%M:%S") + f".{ms % 1000:03d}"


def clock_s(seconds: float, zone: TimeZoneChoice = LOCAL) -> str:
    """The time of day of a Unix time in seconds, with its zone: ``12:00:00 UTC``."""
    return f"{datetime.fromtimestamp(seconds, zone.tz).strftime('%H:%M:%S')} {zone.label}"


def column_title(name: str, zone: TimeZoneChoice = LOCAL) -> str:
    """A time column's header: ``Committed (local)``."""
    return f"{name} ({zone.label})"


def time_ago(then_ms: int | None, now_ms: int, zone: TimeZoneChoice = LOCAL) -> str:
    """How long ago: "just now", "3 min ago", "12 days ago"; past 30 days the date in ``zone``
    with the zone ("2024-11-02 UTC"); "never" for None or 0."""
    if then_ms and now_ms - then_ms >= _RELATIVE_S * 1000:
        return f"{moment(then_ms, zone).strftime('%Y-%m-%d')} {zone.label}"
    return _relative(then_ms, now_ms)


def parse_time_ms(text: str, zone: TimeZoneChoice = TimeZoneChoice.LOCAL) -> int:
    """A time typed as ``YYYY-MM-DD[ HH:MM[:SS[.fff]]]`` (or ISO 8601 with an offset), in
    milliseconds since the epoch; without an offset it is read in ``zone``.

    Raises:
        ValueError: if the text is not such a time (the message says what is expected).
    """
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not a time: write YYYY-MM-DD HH:MM:SS") from None
    if moment.tzinfo is None and zone is TimeZoneChoice.UTC:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)
