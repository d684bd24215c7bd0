"""Identifiers: ULIDs for projects and topics, RLIDs for events.

A ULID is 16 bytes: a 48-bit millisecond timestamp followed by 80 random bits, written as 26
Crockford base32 characters; python-ulid makes, encodes and parses them. An RLID is Ensign's
10-byte event id: a 48-bit millisecond timestamp followed by a 32-bit sequence number, so ids
sort in publish order.
"""

from __future__ import annotations

import time

from ulid import ULID

from embedded_broker.core.errors import InvalidArgument

ULID_SIZE = 16
ULID_CHARS = 26
RLID_SIZE = 10
_MAX_MS = (1 << 48) - 1
_MAX_SEQ = (1 << 32) - 1


def now_ms() -> int:
    """Return the wall-clock time in milliseconds since the Unix epoch."""
    return time.time_ns() // 1_000_000


def new_ulid(ms: int | None = None) -> bytes:
    """Return a new 16-byte ULID for the given (or current) millisecond since the epoch."""
    return ULID.from_timestamp(now_ms() if ms is None else int(ms)).bytes


def _ulid(raw: bytes) -> ULID:
    if len(raw) != ULID_SIZE:
        raise InvalidArgument(f"a ULID is {ULID_SIZE} bytes, got {len(raw)}")
    return ULID(bytes(raw))


def ulid_str(raw: bytes) -> str:
    """Encode 16 ULID bytes as 26 Crockford base32 characters (upper case).

    Raises:
        InvalidArgument: if ``raw`` is not 16 bytes long.
    """
    return str(_ulid(raw))


def parse_ulid(text: str | bytes) -> bytes:
    """Parse a ULID given as 16 raw bytes or as its 26-character text form, in either case.

    Only the ULID alphabet is accepted: Crockford's decoding aliases (O for 0, I and L for 1)
    are refused, as the ULID spec and python-ulid do, so each id has one spelling in each case.

    Raises:
        InvalidArgument: if the value is neither.
    """
    if isinstance(text, bytes):
        return _ulid(text).bytes
    if len(text) != ULID_CHARS:
        raise InvalidArgument(
            f"{text!r} is not a ULID: expected {ULID_CHARS} characters, got {len(text)}"
        )
    try:
        return ULID.from_str(text).bytes
    except ValueError as error:  # a letter outside the alphabet, or more than 128 bits
        raise InvalidArgument(f"{text!r} is not a ULID: {error}") from None


def ulid_ms(raw: bytes) -> int:
    """Return the millisecond timestamp embedded in a ULID.

    Raises:
        InvalidArgument: if ``raw`` is not 16 bytes long.
    """
    return _ulid(raw).milliseconds


def rlid_ms(raw: bytes) -> int:
    """Return the millisecond timestamp embedded in an RLID."""
    return int.from_bytes(raw[:6], "big")


def rlid_seq(raw: bytes) -> int:
    """Return the sequence number embedded in an RLID."""
    return int.from_bytes(raw[6:10], "big")


class RlidGenerator:
    """Makes strictly increasing RLIDs, also across restarts and a clock that steps back.

    Seed it with the largest id already stored; every id it returns is greater than that one.
    Its time component never decreases, so it doubles as a monotonic commit clock.
    """

    __slots__ = ("_ms", "_seq")

    def __init__(self, last: bytes | None = None) -> None:
        self._ms = rlid_ms(last) if last else 0
        self._seq = rlid_seq(last) if last else -1

    def next_block(self, count: int, ms: int | None = None) -> tuple[int, int]:
        """Reserve ``count`` consecutive ids and return their (millisecond, first sequence).

        The ids are ``ms`` with sequences ``first .. first + count - 1``.
        """
        ms = now_ms() if ms is None else ms
        if ms > self._ms:
            self._ms, self._seq = min(ms, _MAX_MS), -1
        if self._seq + count > _MAX_SEQ:  # 4 billion ids in one millisecond: borrow the next one
            self._ms, self._seq = self._ms + 1, -1
        first = self._seq + 1
        self._seq += count
        return self._ms, first

    def next(self, ms: int | None = None) -> bytes:
        """Return one new RLID."""
        at, seq = self.next_block(1, ms)
        return make_rlid(at, seq)

    @property
    def last_ms(self) -> int:
        """The millisecond of the most recent id handed out."""
        return self._ms


def make_rlid(ms: int, seq: int) -> bytes:
    """Pack a millisecond timestamp and a sequence number into a 10-byte RLID."""
    return ((ms << 32) | seq).to_bytes(RLID_SIZE, "big")
