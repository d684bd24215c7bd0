"""Per-topic throughput, ack latency and lag, sampled once a second with an hour of history."""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

HISTORY_SECONDS = 3600
_LATENCY_RESERVOIR = 512


@dataclass(frozen=True, slots=True)
class TopicSample:
    """One topic at one sample time."""

    topic_id: bytes
    events: int
    bytes: int
    events_per_second: float
    bytes_per_second: float
    ack_latency_p50_ms: float
    ack_latency_p99_ms: float
    subscribers: int
    lags: Mapping[str, int] = field(default_factory=dict)
    """Consumer group name ("" for subscribers without a group) -> events not yet acked."""


@dataclass(frozen=True, slots=True)
class Sample:
    """Every topic at one moment."""

    at_ms: int
    topics: tuple[TopicSample, ...]


@dataclass(slots=True)
class _Latencies:
    seen: int = 0
    kept: list[float] = field(default_factory=list)

    def add_all(self, values: list[float], rng: random.Random) -> None:
        # Reservoir sampling: a fixed amount of memory however many acks a second brings.
        room = _LATENCY_RESERVOIR - len(self.kept)
        if room > 0:
            self.kept.extend(values[:room])
            self.seen += min(room, len(values))
            values = values[room:]
        for value in values:
            self.seen += 1
            slot = rng.randrange(self.seen)
            if slot < _LATENCY_RESERVOIR:
                self.kept[slot] = value

    def percentile(self, fraction: float) -> float:
        if not self.kept:
            return 0.0
        ordered = sorted(self.kept)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class MetricsRecorder:
    """Turns running totals into rates, keeping the last hour of one-second samples.

    Not thread-safe: the server calls it from its event loop only.
    """

    def __init__(self, history_seconds: int = HISTORY_SECONDS) -> None:
        self._history: deque[Sample] = deque(maxlen=history_seconds)
        self._previous: dict[bytes, tuple[int, int]] = {}
        self._previous_ms: int | None = None
        self._latencies: dict[bytes, _Latencies] = {}
        self._rng = random.Random(0)

    def ack_latencies(self, topic_id: bytes, seconds: list[float]) -> None:
        """Record how long publishes took from arrival to acknowledgement, in seconds each."""
        latencies = self._latencies.get(topic_id)
        if latencies is None:
            latencies = self._latencies[topic_id] = _Latencies()
        latencies.add_all([s * 1000 for s in seconds], self._rng)

    def sample(
        self,
        now_ms: int,
        totals: Mapping[bytes, tuple[int, int]],
        subscribers: Mapping[bytes, int] | None = None,
        lags: Mapping[bytes, Mapping[str, int]] | None = None,
    ) -> Sample:
        """Take a sample from each topic's (events, bytes) totals; return and keep it."""
        elapsed = (now_ms - self._previous_ms) / 1000 if self._previous_ms is not None else 0.0
        topics = []
        for topic_id, (events, size) in totals.items():
            # A topic first seen now started from zero since the last sample (or, on the very
            # first sample, has no rate yet).
            start = (0, 0) if self._previous_ms is not None else (events, size)
            before_events, before_bytes = self._previous.get(topic_id, start)
            latencies = self._latencies.get(topic_id, _Latencies())
            topics.append(
                TopicSample(
                    topic_id,
                    events,
                    size,
                    max(0, events - before_events) / elapsed if elapsed > 0 else 0.0,
                    max(0, size - before_bytes) / elapsed if elapsed > 0 else 0.0,
                    latencies.percentile(0.5),
                    latencies.percentile(0.99),
                    (subscribers or {}).get(topic_id, 0),
                    dict((lags or {}).get(topic_id, {})),
                )
            )
        self._previous = dict(totals)
        self._previous_ms = now_ms
        self._latencies.clear()
        sample = Sample(now_ms, tuple(topics))
        self._history.append(sample)
        return sample

    def history(self, seconds: int) -> list[Sample]:
        """The last ``seconds`` samples, oldest first."""
        if seconds <= 0:
            return []
        return list(self._history)[-seconds:]
