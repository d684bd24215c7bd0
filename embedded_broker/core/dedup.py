"""Deduplication policies, as Ensign defines them, and the fingerprint each one compares.

Two events are duplicates under a policy when their fingerprints are equal:

- NONE: never.
- STRICT: data, metadata, mimetype and type are all equal.
- DATAGRAM: data is equal.
- KEY_GROUPED: the given metadata keys and the data are equal.
- UNIQUE_KEY: the given metadata keys are equal (the data may differ).
- UNIQUE_FIELD: the given top-level fields of the JSON data are equal.

An event with none of the policy's keys or fields (or, for UNIQUE_FIELD, data that is not a JSON
object) cannot be compared and is never a duplicate.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from embedded_broker.core.errors import InvalidArgument


class DedupStrategy(enum.IntEnum):
    """Ensign's deduplication strategies (values match its wire enum)."""

    NONE = 1
    STRICT = 2
    DATAGRAM = 3
    KEY_GROUPED = 4
    UNIQUE_KEY = 5
    UNIQUE_FIELD = 6


class OffsetPosition(enum.IntEnum):
    """Which earlier event a duplicate points to: the first seen, or the latest seen."""

    EARLIEST = 1
    LATEST = 2


class EventLike(Protocol):
    """What a fingerprint reads from an event (an ``ensign.v1beta1.Event`` satisfies it)."""

    @property
    def data(self) -> bytes: ...
    @property
    def metadata(self) -> Mapping[str, str]: ...
    @property
    def mimetype(self) -> int: ...
    @property
    def type(self) -> Any: ...


@dataclass(frozen=True, slots=True)
class DedupPolicy:
    """A topic's deduplication policy."""

    strategy: DedupStrategy = DedupStrategy.NONE
    offset: OffsetPosition = OffsetPosition.EARLIEST
    keys: tuple[str, ...] = field(default=())
    fields: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "strategy", DedupStrategy(self.strategy))
        object.__setattr__(self, "offset", OffsetPosition(self.offset))
        object.__setattr__(self, "keys", tuple(self.keys))
        object.__setattr__(self, "fields", tuple(self.fields))
        needs_keys = self.strategy in (DedupStrategy.KEY_GROUPED, DedupStrategy.UNIQUE_KEY)
        if needs_keys and not self.keys:
            raise InvalidArgument(f"{self.strategy.name} deduplication needs at least one key")
        if self.strategy is DedupStrategy.UNIQUE_FIELD and not self.fields:
            raise InvalidArgument("UNIQUE_FIELD deduplication needs at least one field")
        if any(not k for k in (*self.keys, *self.fields)):
            raise InvalidArgument("deduplication keys and fields may not be empty strings")

    @property
    def enabled(self) -> bool:
        """True unless the strategy is NONE."""
        return self.strategy is not DedupStrategy.NONE

    def to_json(self) -> str:
        """Serialize for storage."""
        return json.dumps(
            {
                "strategy": self.strategy.name,
                "offset": self.offset.name,
                "keys": list(self.keys),
                "fields": list(self.fields),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> DedupPolicy:
        """Parse what :meth:`to_json` wrote."""
        doc = json.loads(text)
        return cls(
            strategy=DedupStrategy[doc["strategy"]],
            offset=OffsetPosition[doc["offset"]],
            keys=tuple(doc["keys"]),
            fields=tuple(doc["fields"]),
        )


_MISSING = b"\x00missing"


def fingerprint_parts(policy: DedupPolicy, event: EventLike) -> list[bytes] | None:
    """Return the byte strings that identify ``event`` under ``policy``, or None.

    None means the event cannot be a duplicate (NONE, or nothing to compare).
    """
    strategy = policy.strategy
    if strategy is DedupStrategy.NONE:
        return None
    if strategy is DedupStrategy.DATAGRAM:
        return [b"D", event.data]
    if strategy is DedupStrategy.STRICT:
        kind = event.type
        return [
            b"S",
            event.data,
            _encode_map(event.metadata.items()),
            str(int(event.mimetype)).encode(),
            f"{kind.name}\x00{kind.major_version}.{kind.minor_version}.{kind.patch_version}".encode(),
        ]
    if strategy is DedupStrategy.UNIQUE_FIELD:
        values = _json_fields(event.data, policy.fields)
        return None if values is None else [b"F", *values]
    values = [event.metadata[k].encode() if k in event.metadata else _MISSING for k in policy.keys]
    if all(v is _MISSING for v in values):
        return None
    if strategy is DedupStrategy.KEY_GROUPED:
        return [b"K", *values, event.data]
    return [b"U", *values]


def _encode_map(items: Iterable[tuple[str, str]]) -> bytes:
    return json.dumps(sorted(items), ensure_ascii=False, separators=(",", ":")).encode()


def _json_fields(data: bytes, fields: tuple[str, ...]) -> list[bytes] | None:
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(doc, dict):
        return None
    if not any(f in doc for f in fields):
        return None
    return [
        json.dumps(doc[f], sort_keys=True, separators=(",", ":")).encode() if f in doc else _MISSING
        for f in fields
    ]
