"""The charts' data: a bounded ring buffer of (time, value) points per series, fed by metrics.

A series is named by a :data:`SeriesKey` ``(metric, name)``: per topic
``("events_per_second", "orders")``, ``("bytes_per_second", "orders")``, ``("ack_p50", "orders")``,
``("ack_p99", "orders")``; per consumer group ``("lag", "orders/billing")``; per change data
capture ``("capture_lag", "PostgreSQL: public.accounts")``; and the totals
``("events_per_second", "Total")`` and ``("bytes_per_second", "Total")``. Times are Unix seconds
(what ``pg.DateAxisItem`` shows). Memory is bounded whatever the run time: each series keeps its
last :data:`CAPACITY` points (an hour at one sample a second), and a series that has had no point
for ``forget_after_s`` (a destroyed topic, a finished consumer group) is dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from workbench.client.records import MetricsSample

Array = npt.NDArray[np.float64]
SeriesKey = tuple[str, str]

EVENTS_PER_SECOND = "events_per_second"
BYTES_PER_SECOND = "bytes_per_second"
ACK_P50 = "ack_p50"
ACK_P99 = "ack_p99"
LAG = "lag"
CAPTURE_LAG = "capture_lag"
"""A change data capture's lag in milliseconds: from the commit of the oldest change not yet
acknowledged by the broker to the capture's report (0 when it has caught up)."""
METRICS = (EVENTS_PER_SECOND, BYTES_PER_SECOND, ACK_P50, ACK_P99, LAG, CAPTURE_LAG)
TOTAL = "Total"
NO_GROUP = "(no group)"
"""The group name shown for subscribers that are not in a consumer group."""

CAPACITY = 3600
FORGET_AFTER_S = 3600.0
_SWEEP_EVERY_S = 60.0
_FIRST_SIZE = 64


class RingBuffer:
    """The last ``capacity`` (time, value) points, oldest first, readable as contiguous arrays.

    Points live in arrays of up to twice the capacity; when they fill up, the newest
    ``capacity`` points move to fresh arrays. Appending is amortised O(1), and the arrays
    handed out by :meth:`arrays` are never overwritten afterwards (so a plot may keep them).
    """

    def __init__(self, capacity: int = CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        size = min(_FIRST_SIZE, 2 * capacity)
        self._t: Array = np.empty(size)
        self._y: Array = np.empty(size)
        self._start = 0
        self._end = 0

    def __len__(self) -> int:
        return self._end - self._start

    def append(self, t: float, y: float) -> None:
        """Add a point (times must not decrease)."""
        if self._end == len(self._t):
            self._move()
        self._t[self._end] = t
        self._y[self._end] = y
        self._end += 1
        if self._end - self._start > self.capacity:
            self._start += 1

    def _move(self) -> None:
        kept = self._end - self._start
        size = min(max(_FIRST_SIZE, 2 * len(self._t)), 2 * self.capacity)
        t, y = np.empty(size), np.empty(size)
        t[:kept] = self._t[self._start : self._end]
        y[:kept] = self._y[self._start : self._end]
        self._t, self._y, self._start, self._end = t, y, 0, kept

    def arrays(self) -> tuple[Array, Array]:
        """Views of every point: times and values."""
        return self._t[self._start : self._end], self._y[self._start : self._end]

    def last_time(self) -> float | None:
        """The newest point's time."""
        return float(self._t[self._end - 1]) if self._end > self._start else None

    def value_at(self, t: float, tolerance: float) -> float | None:
        """The value of the newest point at or before ``t``, if it is within ``tolerance``."""
        times, values = self.arrays()
        i = int(np.searchsorted(times, t, side="right")) - 1
        if i < 0 or t - times[i] > tolerance:
            return None
        return float(values[i])

    @property
    def allocated(self) -> int:
        """How many points the arrays have room for (at most twice the capacity)."""
        return len(self._t)


@dataclass(frozen=True, slots=True)
class SeriesInfo:
    """Which plot a series belongs to, and which topic it follows (None for a total)."""

    metric: str
    name: str
    topic: str | None


class ChartSeries:
    """Every chart series, fed one :class:`MetricsSample` at a time."""

    def __init__(self, capacity: int = CAPACITY, forget_after_s: float = FORGET_AFTER_S) -> None:
        self.capacity = capacity
        self.forget_after_s = forget_after_s
        self._buffers: dict[SeriesKey, RingBuffer] = {}
        self._info: dict[SeriesKey, SeriesInfo] = {}
        self.latest: float | None = None
        """The newest sample's time (Unix seconds)."""
        self.version = 0
        """Grows with every accepted sample (a redraw is due when it changed)."""
        self.keys_version = 0
        """Grows whenever a series appears or is dropped."""
        self._last_sweep = 0.0

    # -- feeding ------------------------------------------------------------------------------

    def add_sample(self, sample: MetricsSample) -> bool:
        """Add a sample's points to the series; return False for a sample older than the latest.

        Ack latencies are only recorded for seconds that had acknowledged publishes (the
        broker reports 0 otherwise, which is no measurement).
        """
        t = sample.at_ms / 1000
        if self.latest is not None and t <= self.latest:
            return False
        events_total = bytes_total = 0.0
        for rate in sample.topics:
            topic = rate.name if rate.name != TOTAL else f"{TOTAL} (topic)"
            self._add((EVENTS_PER_SECOND, topic), topic, t, rate.events_per_second)
            self._add((BYTES_PER_SECOND, topic), topic, t, rate.bytes_per_second)
            if rate.ack_latency_p99_ms > 0:
                self._add((ACK_P50, topic), topic, t, rate.ack_latency_p50_ms)
                self._add((ACK_P99, topic), topic, t, rate.ack_latency_p99_ms)
            for group, lag in rate.lags.items():
                self._add((LAG, f"{topic}/{group or NO_GROUP}"), topic, t, float(lag))
            events_total += rate.events_per_second
            bytes_total += rate.bytes_per_second
        self._add((EVENTS_PER_SECOND, TOTAL), None, t, events_total)
        self._add((BYTES_PER_SECOND, TOTAL), None, t, bytes_total)
        self.latest = t
        self.version += 1
        if t - self._last_sweep >= _SWEEP_EVERY_S:
            self._forget_before(t - self.forget_after_s)
            self._last_sweep = t
        return True

    def add_capture_lag(self, name: str, topic: str | None, at_s: float, lag_ms: float) -> None:
        """Add a capture's lag: ``lag_ms`` milliseconds at Unix time ``at_s``.

        ``name`` names the capture (its title, never its connection string); ``topic`` is the
        one topic it feeds, or None for a capture into several (it then shows under any topic
        filter's "all topics" only). A point older than the series' newest is ignored.
        """
        key = (CAPTURE_LAG, name)
        buffer = self._buffers.get(key)
        last = buffer.last_time() if buffer is not None else None
        if last is not None and at_s <= last:
            return
        self._add(key, topic, at_s, lag_ms)
        self.version += 1

    def _add(self, key: SeriesKey, topic: str | None, t: float, value: float) -> None:
        buffer = self._buffers.get(key)
        if buffer is None:
            buffer = self._buffers[key] = RingBuffer(self.capacity)
            self._info[key] = SeriesInfo(key[0], key[1], topic)
            self.keys_version += 1
        buffer.append(t, value)

    def _forget_before(self, cutoff: float) -> None:
        stale = [k for k, b in self._buffers.items() if (b.last_time() or 0.0) < cutoff]
        for key in stale:
            del self._buffers[key]
            del self._info[key]
        if stale:
            self.keys_version += 1

    def clear(self) -> None:
        """Forget everything (another broker)."""
        self._buffers.clear()
        self._info.clear()
        self.latest = None
        self._last_sweep = 0.0
        self.version += 1
        self.keys_version += 1

    # -- reading ------------------------------------------------------------------------------

    def __contains__(self, key: object) -> bool:
        return key in self._buffers

    def __len__(self) -> int:
        return len(self._buffers)

    def keys(self, metric: str | None = None) -> Iterator[SeriesKey]:
        """The series (of one metric), in the order they appeared."""
        return (k for k in self._buffers if metric is None or k[0] == metric)

    def info(self, key: SeriesKey) -> SeriesInfo:
        """What a series shows.

        Raises:
            KeyError: for a series that does not exist (or was dropped).
        """
        return self._info[key]

    def topics(self) -> list[str]:
        """The topics that have series, sorted."""
        return sorted({i.topic for i in self._info.values() if i.topic is not None})

    def points(self, key: SeriesKey) -> int:
        """How many points a series holds."""
        buffer = self._buffers.get(key)
        return len(buffer) if buffer is not None else 0

    def window(
        self, key: SeriesKey, seconds: float, now: float | None = None
    ) -> tuple[Array, Array]:
        """Views of a series' points with ``now - seconds <= t <= now`` (now: the latest sample).

        An unknown series gives empty arrays.
        """
        buffer = self._buffers.get(key)
        if buffer is None:
            return np.empty(0), np.empty(0)
        t, y = buffer.arrays()
        end = self.latest if now is None else now
        if end is None:
            return t, y
        first = int(np.searchsorted(t, end - seconds, side="left"))
        last = int(np.searchsorted(t, end, side="right"))
        return t[first:last], y[first:last]

    def value_at(self, key: SeriesKey, t: float, tolerance: float = 2.0) -> float | None:
        """A series' value at time ``t`` (its newest point at or before it, within tolerance)."""
        buffer = self._buffers.get(key)
        return buffer.value_at(t, tolerance) if buffer is not None else None
