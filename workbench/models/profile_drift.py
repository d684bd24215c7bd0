"""Schema drift: fields that appear, disappear or change type part-way through a topic.

A :class:`DriftTracker` is fed the *profiled* events of a topic (those whose data is a JSON
object) in offset order: :meth:`~DriftTracker.begin` for each event, :meth:`~DriftTracker.value`
for each value found at a field path in it, :meth:`~DriftTracker.end` once the event is done.
Drift is always relative to the events profiled: events that are not JSON objects, events before
a sample's start, and events skipped under a flood do not count.

With ``confirm`` = N (:data:`DRIFT_CONFIRM` by default):

- **appeared** — a path first seen at offset X when at least one profiled event came before X
  (and lacked it). Reported at X with X's commit time, as soon as X is profiled.
- **disappeared** — a path last seen at offset Y, absent from each of the N profiled events after
  Y. Reported once the Nth of them is profiled, at the offset (and commit time) of the first
  profiled event after Y. Withdrawn (removed from the list) if the path is seen again.
- **type** — a path whose non-null values had one type from some offset, and then have another
  type for N values in a row, the first of them at offset Z. Reported once the Nth value is
  seen, at Z with Z's commit time; ``from`` is the type of the last value before Z, ``to`` the
  type of the value at Z, and the new type is the one later values are compared with. ``null``
  never counts (nullability is a share in the profile, not a type), and ``integer`` and
  ``number`` count as one type (a field of numbers that happens to hold whole ones is not
  drift). A value of the old type before the Nth value of the new one cancels the change: one
  odd value is not drift. Values are counted, not events (an array's elements are several
  values); events without the path neither count nor cancel.

A drift is not listed when the path's parent drifted at the same offset: when ``address``
appears, ``address.city`` appearing with it says nothing more.

The tracker keeps a few numbers per path, a schedule of disappearance checks (at most one entry
per path) and the offsets of the last N + 1 profiled events: memory is bounded by the number of
paths it is given, which the profiler caps.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Literal

DriftChange = Literal["appeared", "disappeared", "type"]
DRIFT_CONFIRM = 10
"""Profiled events without a path before it has disappeared; values of a new type in a row
before a path has changed type."""


@dataclass(frozen=True, slots=True)
class Drift:
    """One change in a topic's structure."""

    path: str
    change: DriftChange
    offset: int
    """Where the change starts (see the module's definitions)."""
    committed_ms: int
    """That event's commit time, in milliseconds since the epoch."""
    from_type: str | None = None
    """For a type change: the JSON type before."""
    to_type: str | None = None
    """For a type change: the JSON type from ``offset`` on."""

    @property
    def type_change(self) -> str:
        """For a type change, ``integer → string``."""
        return f"{self.from_type} → {self.to_type}"

    def describe(self) -> str:
        """One line for a user, e.g. ``amount changed type from integer to string``."""
        if self.change == "type":
            return f"{self.path} changed type from {self.from_type} to {self.to_type}"
        return f"{self.path} {self.change}"

    def to_json(self) -> dict[str, object]:
        """``{"path", "change", "offset", "committed_ms"}``, plus ``from``/``to`` for a type."""
        doc: dict[str, object] = {
            "path": self.path,
            "change": self.change,
            "offset": self.offset,
            "committed_ms": self.committed_ms,
        }
        if self.change == "type":
            doc["from"] = self.from_type
            doc["to"] = self.to_type
        return doc


@dataclass(slots=True)
class _Run:
    """Values of a type other than the path's current one, in a row."""

    kind: str
    count: int
    offset: int
    committed_ms: int
    from_type: str
    to_type: str


@dataclass(slots=True)
class _PathState:
    parent: str
    last_seen: int  # index of the last profiled event holding the path
    scheduled: bool = False  # a disappearance check is due
    kind: str | None = None  # the type later values are compared with (integer/number: number)
    last_type: str = ""
    run: _Run | None = None
    gone: Drift | None = None  # the disappearance listed, until the path comes back


class DriftTracker:
    """Finds the drift of a topic's fields, event by event (definitions in the module's doc).

    Args:
        confirm: N in the definitions (1 or more).
    """

    def __init__(self, confirm: int = DRIFT_CONFIRM) -> None:
        if confirm < 1:
            raise ValueError("confirm must be 1 or more")
        self.confirm = confirm
        self._paths: dict[str, _PathState] = {}
        self._drifts: list[Drift] = []
        self._due: dict[int, list[str]] = {}  # event index -> paths to check after it
        self._recent: deque[tuple[int, int, int]] = deque(maxlen=confirm + 1)
        self._index = -1  # the current profiled event's index (0-based)
        self._offset = 0
        self._committed_ms = 0

    def begin(self, offset: int, committed_ms: int) -> None:
        """A profiled event starts (offsets increasing)."""
        self._index += 1
        self._offset, self._committed_ms = offset, committed_ms
        self._recent.append((self._index, offset, committed_ms))

    def value(self, path: str, json_type: str, parent: str = "") -> None:
        """A value of ``json_type`` at ``path`` (whose parent path is ``parent``; "" at the top)
        in the current event."""
        state = self._paths.get(path)
        if state is None:
            state = self._paths[path] = _PathState(parent, self._index)
            if self._index > 0:
                self._drifts.append(Drift(path, "appeared", self._offset, self._committed_ms))
            self._schedule(path, state)
        elif state.last_seen != self._index:
            state.last_seen = self._index
            if state.gone is not None:
                self._drifts.remove(state.gone)
                state.gone = None
            self._schedule(path, state)
        if json_type != "null":
            self._typed(path, state, json_type)

    def end(self) -> None:
        """The current event's values are all in: check the disappearances due now."""
        for path in self._due.pop(self._index, ()):
            state = self._paths[path]
            state.scheduled = False
            if self._index - state.last_seen < self.confirm:
                self._schedule(path, state)
                continue
            first_after = state.last_seen + 1
            offset, committed_ms = next((o, ms) for i, o, ms in self._recent if i == first_after)
            state.gone = Drift(path, "disappeared", offset, committed_ms)
            self._drifts.append(state.gone)

    def drifts(self) -> list[Drift]:
        """The drift found so far, by offset then path; a path's drift is left out when its
        parent drifted at the same offset."""
        at = {(d.path, d.offset) for d in self._drifts}
        listed = [d for d in self._drifts if (self._paths[d.path].parent, d.offset) not in at]
        return sorted(listed, key=lambda d: (d.offset, d.path))

    def _schedule(self, path: str, state: _PathState) -> None:
        if not state.scheduled:
            state.scheduled = True
            self._due.setdefault(state.last_seen + self.confirm, []).append(path)

    def _typed(self, path: str, state: _PathState, json_type: str) -> None:
        kind = "number" if json_type == "integer" else json_type
        if state.kind is None or kind == state.kind:
            state.kind, state.last_type, state.run = kind, json_type, None
            return
        run = state.run
        if run is None or run.kind != kind:
            run = state.run = _Run(
                kind, 0, self._offset, self._committed_ms, state.last_type, json_type
            )
        run.count += 1
        if run.count >= self.confirm:
            self._drifts.append(
                Drift(path, "type", run.offset, run.committed_ms, run.from_type, run.to_type)
            )
            state.kind, state.last_type, state.run = kind, json_type, None
