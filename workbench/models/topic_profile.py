"""A topic's inferred JSON structure: per field path, the types seen, missing and null shares,
number ranges, frequent strings and where the path was first and last seen; plus its drift.

Feed a :class:`TopicProfiler` a topic's events in offset order (:meth:`~TopicProfiler.add`); ask
for a :class:`ProfileSnapshot` whenever you want to show it. Adding costs a JSON parse and a walk
of the document, no more; memory stays bounded whatever the topic's size.

**Paths.** Object keys joined with ``.`` (``customer.id``); the elements of an array are ``[]``
(``items[].sku``, ``matrix[][]``). A key that is empty or holds ``.``, ``[``, ``]`` or ``"`` is
written as a JSON string in brackets: ``labels["app.kubernetes.io/name"]``, or at the top
``["a.b"]``. Documents are walked to :data:`MAX_DEPTH` levels; deeper values are not looked into.

**Types** are JSON's: ``null``, ``boolean``, ``integer`` (a number written without a fraction or
exponent), ``number`` (any other number), ``string``, ``object``, ``array``.

**Which events.** Every event's data is tried as UTF-8 JSON, whatever its mimetype (the
mimetypes are counted). Events that are not JSON (``NaN`` and ``Infinity`` are not JSON) or whose
JSON is not an object are counted and skipped; the rest are the *profiled* events.

**Bounds.** At most :data:`MAX_PATHS` distinct paths are tracked; values at further paths are
counted (:attr:`ProfileSnapshot.untracked_values`) but not profiled. Frequent strings are found
with the Misra-Gries algorithm, :data:`TOP_K` counters per path: any string held by more than
1/(k+1) of a path's string values is among them, and each count shown is a lower bound, short of
the true count by at most :attr:`FieldProfile.top_error` (0 — exact — while a path has had no
more than k distinct strings). Strings longer than :data:`TOP_VALUE_CHARS` characters are
counted by their beginning, followed by ``…``.

Drift is found by :class:`~workbench.models.profile_drift.DriftTracker`, whose docstring defines
it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from workbench.client.records import EventRow
from workbench.models.profile_drift import DRIFT_CONFIRM, Drift, DriftTracker

MAX_PATHS = 1_000
"""Distinct field paths a profile tracks."""
TOP_K = 50
"""Misra-Gries counters of frequent strings, per path."""
TOP_VALUE_CHARS = 100
"""Characters of a string kept for counting; longer strings are counted by their beginning."""
MAX_DEPTH = 32
"""Nesting levels a document is walked to."""
JSON_TYPES = ("null", "boolean", "integer", "number", "string", "object", "array")
_PLAIN_KEY = re.compile(r'[^.\[\]"]+')


def key_path(parent: str, key: str) -> str:
    """The path of ``key`` in the object at ``parent`` ("" at the top)."""
    if _PLAIN_KEY.fullmatch(key):
        return f"{parent}.{key}" if parent else key
    return f"{parent}[{json.dumps(key, ensure_ascii=False)}]"


def json_type(value: object) -> str:
    """The JSON type name of a value as :func:`json.loads` returns it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object" if isinstance(value, dict) else "array"


def _not_json(constant: str) -> float:
    raise ValueError(f"{constant} is not JSON")


@dataclass(frozen=True, slots=True)
class FieldProfile:
    """What was seen at one path."""

    path: str
    types: dict[str, int]
    """JSON type name -> values of that type (in first-seen order)."""
    values: int
    """Values seen: one per event, or one per element under an array."""
    present: int
    """Profiled events holding the path."""
    missing: int
    """Profiled events without it."""
    first_offset: int
    last_offset: int
    minimum: int | float | None = None
    """The smallest ``integer`` or ``number`` value (None without numbers)."""
    maximum: int | float | None = None
    mean: float | None = None
    top_values: tuple[tuple[str, int], ...] = ()
    """Frequent strings and their counts (lower bounds), most frequent first."""
    top_error: int = 0
    """How far short of the true count each of ``top_values``' counts may be."""

    @property
    def nulls(self) -> int:
        """Null values."""
        return self.types.get("null", 0)

    def share(self, json_type: str) -> float:
        """The share of values of a type, 0 to 1."""
        return self.types.get(json_type, 0) / self.values if self.values else 0.0

    def to_json(self) -> dict[str, object]:
        """``{"path", "types", "values", "missing", "nulls", "first_offset", "last_offset"}``, and
        ``min``/``max``/``mean`` for numbers, ``top_values`` for strings."""
        doc: dict[str, object] = {
            "path": self.path,
            "types": dict(self.types),
            "values": self.values,
            "missing": self.missing,
            "nulls": self.nulls,
            "first_offset": self.first_offset,
            "last_offset": self.last_offset,
        }
        if self.mean is not None:
            doc.update(min=self.minimum, max=self.maximum, mean=self.mean)
        if self.top_values:
            doc["top_values"] = [{"value": v, "count": c} for v, c in self.top_values]
            doc["top_error"] = self.top_error
        return doc


@dataclass(frozen=True, slots=True)
class ProfileSnapshot:
    """A profile at one moment."""

    events: int = 0
    """Events fed to the profiler."""
    objects: int = 0
    """Of them, JSON objects: the profiled events."""
    not_json: int = 0
    not_object: int = 0
    skipped: int = 0
    """Events never read (a live profile falling behind a flood reads from the end)."""
    first_offset: int = 0
    last_offset: int = 0
    fields: tuple[FieldProfile, ...] = ()
    """Paths in the order they were first seen."""
    drift: tuple[Drift, ...] = ()
    """By offset, then path."""
    mimetypes: dict[str, int] = field(default_factory=dict)
    untracked_values: int = 0
    """Values at paths beyond :data:`MAX_PATHS`, not profiled."""
    duplicates: int = 0
    """Events stored as duplicates of earlier ones (the topic's dedup policy), not counted in
    ``events`` nor profiled: subscribers and EnSQL skip them too."""

    def to_json(self) -> dict[str, object]:
        """The snapshot as JSON-ready values (``fields`` and ``drift`` as lists of objects)."""
        return {
            "events": self.events,
            "objects": self.objects,
            "not_json": self.not_json,
            "not_object": self.not_object,
            "skipped": self.skipped,
            "first_offset": self.first_offset,
            "last_offset": self.last_offset,
            "mimetypes": dict(self.mimetypes),
            "untracked_values": self.untracked_values,
            "duplicates": self.duplicates,
            "fields": [f.to_json() for f in self.fields],
            "drift": [d.to_json() for d in self.drift],
        }


class _TopStrings:
    """Misra-Gries frequent items with ``k`` counters."""

    __slots__ = ("counts", "error", "k")

    def __init__(self, k: int) -> None:
        self.k = k
        self.counts: dict[str, int] = {}
        self.error = 0  # decrements so far: how far short a count may be

    def add(self, value: str) -> None:
        counts = self.counts
        if value in counts:
            counts[value] += 1
        elif len(counts) < self.k:
            counts[value] = 1
        else:  # one decrement of every counter, the new value's included (it is not kept)
            self.error += 1
            self.counts = {v: c - 1 for v, c in counts.items() if c > 1}


class _PathStats:
    __slots__ = (
        "first_offset",
        "last_event",
        "last_offset",
        "maximum",
        "minimum",
        "numbers",
        "parent",
        "path",
        "present",
        "top",
        "total",
        "types",
        "values",
    )

    def __init__(self, path: str, parent: str, offset: int) -> None:
        self.path, self.parent = path, parent
        self.types: Counter[str] = Counter()
        self.values = 0
        self.present = 0
        self.last_event = -1
        self.first_offset = self.last_offset = offset
        self.numbers = 0
        self.total = 0.0
        self.minimum: int | float | None = None
        self.maximum: int | float | None = None
        self.top: _TopStrings | None = None

    def snapshot(self, objects: int) -> FieldProfile:
        top = self.top
        return FieldProfile(
            self.path,
            dict(self.types),
            self.values,
            self.present,
            objects - self.present,
            self.first_offset,
            self.last_offset,
            self.minimum,
            self.maximum,
            self.total / self.numbers if self.numbers else None,
            tuple(sorted(top.counts.items(), key=lambda vc: (-vc[1], vc[0]))) if top else (),
            top.error if top else 0,
        )


class TopicProfiler:
    """A topic's profile, built event by event (see the module's docstring).

    Args:
        max_paths: distinct paths tracked.
        top_k: Misra-Gries counters of frequent strings per path.
        confirm: N of the drift definitions (:mod:`~workbench.models.profile_drift`).
    """

    def __init__(
        self, max_paths: int = MAX_PATHS, top_k: int = TOP_K, confirm: int = DRIFT_CONFIRM
    ) -> None:
        self.max_paths = max_paths
        self.top_k = top_k
        self.drift = DriftTracker(confirm)
        self.version = 0
        """Grows with every change: a view redraws only when it moved."""
        self._paths: dict[str, _PathStats] = {}
        self._events = self._objects = self._not_json = self._not_object = self._skipped = 0
        self._first_offset = self._last_offset = 0
        self._mimetypes: Counter[str] = Counter()
        self._untracked = 0
        self._duplicates = 0

    @property
    def events(self) -> int:
        """Events fed so far."""
        return self._events

    @property
    def last_offset(self) -> int:
        """The offset of the last event fed (0 before any)."""
        return self._last_offset

    def add_rows(self, rows: Iterable[EventRow]) -> None:
        """Add events read from a topic, in offset order; stored duplicates are only counted."""
        for row in rows:
            if row.is_duplicate:
                self.version += 1
                self._duplicates += 1
                continue
            self.add(row.offset, row.committed_ms, row.data, row.mimetype_text)

    def add(self, offset: int, committed_ms: int, data: bytes, mimetype: str = "") -> None:
        """Add one event; offsets must increase from call to call.

        Args:
            offset: the event's offset in its topic.
            committed_ms: its commit time, milliseconds since the epoch.
            data: its payload.
            mimetype: its mimetype as text (only counted).
        """
        self.version += 1
        self._events += 1
        self._first_offset = self._first_offset or offset
        self._last_offset = offset
        self._mimetypes[mimetype] += 1
        try:
            document = json.loads(data.decode("utf-8"), parse_constant=_not_json)
        except (ValueError, RecursionError):  # not UTF-8, not JSON, or nested beyond the parser
            self._not_json += 1
            return
        if not isinstance(document, dict):
            self._not_object += 1
            return
        self.drift.begin(offset, committed_ms)
        self._walk(document, offset, self._objects)
        self._objects += 1
        self.drift.end()

    def skip(self, count: int) -> None:
        """Note ``count`` events that will never be read (a live profile behind a flood)."""
        if count > 0:
            self.version += 1
            self._skipped += count

    def snapshot(self) -> ProfileSnapshot:
        """The profile as plain values."""
        return ProfileSnapshot(
            self._events,
            self._objects,
            self._not_json,
            self._not_object,
            self._skipped,
            self._first_offset,
            self._last_offset,
            tuple(stats.snapshot(self._objects) for stats in self._paths.values()),
            tuple(self.drift.drifts()),
            dict(self._mimetypes),
            self._untracked,
            self._duplicates,
        )

    def _walk(self, document: dict[str, Any], offset: int, event: int) -> None:
        # Iterative, so that a deep document costs no recursion; children follow their parent.
        stack: list[tuple[str, str, Any, int]] = [
            (key_path("", k), "", v, 1) for k, v in reversed(document.items())
        ]
        while stack:
            path, parent, value, depth = stack.pop()
            kind = self._record(path, parent, value, offset, event)
            if kind is None or depth >= MAX_DEPTH:
                continue
            if kind == "object":
                stack.extend(
                    (key_path(path, k), path, v, depth + 1) for k, v in reversed(value.items())
                )
            elif kind == "array":
                items = path + "[]"
                stack.extend((items, path, v, depth + 1) for v in reversed(value))

    def _record(self, path: str, parent: str, value: Any, offset: int, event: int) -> str | None:
        """Count one value; its type name, or None when its path is not tracked."""
        stats = self._paths.get(path)
        if stats is None:
            if len(self._paths) >= self.max_paths:
                self._untracked += 1
                return None
            stats = self._paths[path] = _PathStats(path, parent, offset)
        kind = json_type(value)
        stats.types[kind] += 1
        stats.values += 1
        if stats.last_event != event:
            stats.last_event = event
            stats.present += 1
            stats.last_offset = offset
        if kind == "integer" or kind == "number":
            stats.numbers += 1
            stats.total += value
            if stats.minimum is None or value < stats.minimum:
                stats.minimum = value
            if stats.maximum is None or value > stats.maximum:
                stats.maximum = value
        elif kind == "string":
            if stats.top is None:
                stats.top = _TopStrings(self.top_k)
            text = value if len(value) <= TOP_VALUE_CHARS else value[:TOP_VALUE_CHARS] + "…"
            stats.top.add(text)
        self.drift.value(path, kind, parent)
        return kind
