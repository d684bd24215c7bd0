"""Live values of JSON fields: a numeric field as a time series, any other as counts per value.

A :class:`FieldSeries` follows one field path of one topic. Each event's value at the path is:

- a number (``int`` or ``float``, not ``bool``): a point at the event's commit time (numeric
  series), or a category named by its text (categorical series);
- missing (the path is not in the event, or the event is not JSON): counted in ``missing``;
- anything else for a numeric series (text, ``null``, an object …): counted in ``skipped``.

A series is numeric when the first value it sees is a number, categorical otherwise. Memory is
bounded: the newest ``capacity`` points (or categories) are kept in ring buffers, and at most
``MAX_CATEGORIES`` distinct values are counted by name (the rest as "(other)").
"""

from __future__ import annotations

import enum
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from workbench.client.records import EventRow
from workbench.models.field_paths import MISSING, lookup, parse_path

CAPACITY: Final = 50_000
"""Points (or categorical values) a series keeps, newest first out."""
MAX_CATEGORIES: Final = 24
OTHER: Final = "(other)"

Array = npt.NDArray[np.float64]


class FieldKind(enum.StrEnum):
    """How a field is shown."""

    UNKNOWN = "unknown"
    """No value seen yet."""
    NUMERIC = "numeric"
    CATEGORICAL = "categorical"


@dataclass
class FieldSeries:
    """One topic's field, followed live.

    Attributes:
        topic_id: the topic's 16-byte id.
        topic_name: its name (for legends).
        path: the field path (``position.lat``).
        kind: numeric, categorical, or unknown until a value is seen.
        points: values taken (plotted or counted).
        missing: events without the field.
        skipped: values of the wrong kind for the series.
    """

    topic_id: bytes
    topic_name: str
    path: str
    capacity: int = CAPACITY
    kind: FieldKind = FieldKind.UNKNOWN
    points: int = 0
    missing: int = 0
    skipped: int = 0
    last_offset: int = 0
    _steps: tuple[str | int, ...] = ()
    _times: Array = field(default_factory=lambda: np.empty(0))
    _values: Array = field(default_factory=lambda: np.empty(0))
    _start: int = 0
    _size: int = 0
    _labels: list[str] = field(default_factory=list)
    _codes: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._steps = parse_path(self.path)
        self._times = np.zeros(self.capacity)
        self._values = np.zeros(self.capacity)

    @property
    def label(self) -> str:
        """``topic · path``, for legends."""
        return f"{self.topic_name} · {self.path}"

    def take(self, committed_ms: int, document: Any) -> None:
        """Take one event's value (``document``: its decoded JSON, or MISSING)."""
        value = MISSING if document is MISSING else lookup(document, self._steps)
        if value is MISSING:
            self.missing += 1
            return
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        if self.kind is FieldKind.UNKNOWN:
            self.kind = FieldKind.NUMERIC if numeric else FieldKind.CATEGORICAL
        if self.kind is FieldKind.NUMERIC:
            if not numeric or value != value or value in (float("inf"), float("-inf")):
                self.skipped += 1
                return
            self._append(committed_ms, float(value))
        else:
            self._append(committed_ms, float(self._code(_category(value))))
        self.points += 1

    def _code(self, text: str) -> int:
        code = self._codes.get(text)
        if code is None:
            if len(self._labels) >= MAX_CATEGORIES:
                text = OTHER
                code = self._codes.get(OTHER)
            if code is None:
                code = len(self._labels)
                self._labels.append(text)
                self._codes[text] = code
        return code

    def _append(self, t_ms: int, value: float) -> None:
        index = (self._start + self._size) % self.capacity
        self._times[index] = t_ms / 1000.0
        self._values[index] = value
        if self._size < self.capacity:
            self._size += 1
        else:
            self._start = (self._start + 1) % self.capacity

    def window(self, since_s: float) -> tuple[Array, Array]:
        """The kept points from ``since_s`` (seconds since the epoch) on: times in seconds and
        values, oldest first (categorical values are category codes)."""
        order = (self._start + np.arange(self._size)) % self.capacity
        times, values = self._times[order], self._values[order]
        keep = times >= since_s
        return times[keep], values[keep]

    def counts(self, since_s: float) -> list[tuple[str, int]]:
        """A categorical series' counts per value from ``since_s`` on, most frequent first."""
        _, codes = self.window(since_s)
        tally = Counter(codes.astype(int).tolist())
        return sorted(
            ((self._labels[code], n) for code, n in tally.items()), key=lambda item: -item[1]
        )


def _category(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def decode(row: EventRow) -> Any:
    """An event's data as JSON, or MISSING when it is not JSON."""
    try:
        return json.loads(row.data)
    except (ValueError, RecursionError):
        return MISSING


def feed(series: Iterable[FieldSeries], rows: Iterable[EventRow]) -> int:
    """Give events (in offset order) to the series of their topic; each event is decoded once.
    Events a series has seen (by offset) are not taken again. Returns the events decoded."""
    by_topic: dict[bytes, list[FieldSeries]] = {}
    for one in series:
        by_topic.setdefault(one.topic_id, []).append(one)
    decoded = 0
    for row in rows:
        followers = [s for s in by_topic.get(row.topic_id, ()) if row.offset > s.last_offset]
        if not followers:
            continue
        document = decode(row)
        decoded += 1
        for one in followers:
            one.take(row.committed_ms, document)
            one.last_offset = row.offset
    return decoded
