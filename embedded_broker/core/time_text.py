"""Times as people read them in listings: "3 min ago", with the exact time kept for tooltips."""

from __future__ import annotations

from datetime import UTC, datetime

_MINUTE_S = 60
_HOUR_S = 60 * _MINUTE_S
_DAY_S = 24 * _HOUR_S
_RELATIVE_DAYS = 30
"""Past this many days, a time is written as its date instead of an age."""


def time_ago(then_ms: int | None, now_ms: int) -> str:
    """How long ago ``then_ms`` was: "never", "just now", "42 s ago", "3 min ago", "5 h ago",
    "1 day ago", "12 days ago", then the date ("2024-11-02", local time).

    Args:
        then_ms: the time in milliseconds since the epoch; None or 0 for never.
        now_ms: the current time in milliseconds since the epoch.
    """
    if not then_ms:
        return "never"
    seconds = (now_ms - then_ms) // 1000
    if seconds < 5:  # also a time slightly ahead of this clock
        return "just now"
    if seconds < _MINUTE_S:
        return f"{seconds} s ago"
    if seconds < _HOUR_S:
        return f"{seconds // _MINUTE_S} min ago"
    if seconds < _DAY_S:
        return f"{seconds // _HOUR_S} h ago"
    days = seconds // _DAY_S
    if days < _RELATIVE_DAYS:
        return "1 day ago" if days == 1 else f"{days} days ago"
    return local_time(then_ms)[:10]


def local_time(ms: int | None) -> str:
    """An exact time in local time with its UTC offset, "2024-11-02 14:03:27 +0100" ("never"
    for None or 0)."""
    if not ms:
        return "never"
    moment = datetime.fromtimestamp(ms / 1000, UTC).astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S %z")
