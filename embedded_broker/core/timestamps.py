"""Protobuf ``Timestamp`` values as plain numbers, whatever their fields hold.

A ``google.protobuf.Timestamp`` is valid from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z
with ``nanos`` in ``0..999,999,999`` (timestamp.proto). protobuf's own ``ToMilliseconds`` raises
``ValueError`` outside that range, and ``datetime`` cannot show such a time: a classic producer
mistake, milliseconds written into ``seconds``, gives a year near 55,800. The publish rules refuse
such a ``created`` time with a reason; these helpers let every read path handle one stored
before that rule existed (or any other odd value) without failing.
"""

from __future__ import annotations

from typing import Final

MIN_SECONDS: Final = -62_135_596_800
"""0001-01-01T00:00:00Z, the earliest valid ``Timestamp.seconds``."""
MAX_SECONDS: Final = 253_402_300_799
"""9999-12-31T23:59:59Z, the latest valid ``Timestamp.seconds``."""
MAX_NANOS: Final = 999_999_999


def timestamp_ms(seconds: int, nanos: int) -> int:
    """Milliseconds since the epoch of a Timestamp's fields, valid or not (never raises).

    Matches protobuf's ``ToMilliseconds`` for every valid Timestamp.
    """
    return seconds * 1000 + nanos // 1_000_000


def timestamp_problem(seconds: int, nanos: int) -> str | None:
    """Why a Timestamp's fields are not a valid time, or None when they are.

    The reason names the value and the valid range, and suggests the usual cause.
    """
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        hint = ""
        if MIN_SECONDS * 1000 <= seconds <= MAX_SECONDS * 1000:
            hint = " (milliseconds written as seconds?)"
        return (
            f"seconds={seconds} is outside 0001-01-01..9999-12-31 "
            f"({MIN_SECONDS}..{MAX_SECONDS}){hint}"
        )
    if not 0 <= nanos <= MAX_NANOS:
        return f"nanos={nanos} is outside 0..{MAX_NANOS}"
    return None
