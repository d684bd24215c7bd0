"""The broker's metrics: a sample of every topic once a second, streamed to listeners.

A sample holds each topic's totals and rates, publish-to-ack latency, live subscribers and
consumer-group lag (``core.metrics`` keeps an hour of them). A listener gets the history it asks
for, then each new sample; one that stalls loses its oldest samples, never slows the broker.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from embedded_broker.auth.caller import Caller
from embedded_broker.auth.permissions import Permission
from embedded_broker.core.errors import NotFound
from embedded_broker.core.ids import now_ms
from embedded_broker.core.metrics import Sample, TopicSample
from embedded_broker.core.model import Topic

if TYPE_CHECKING:
    from embedded_broker.engine.broker import Broker

LISTENER_BACKLOG = 30
"""Samples (seconds) a listener may fall behind before its oldest ones are dropped."""
MAX_HISTORY_S = 3600


class SampleFanout:
    """The live listeners of the broker's samples. Event loop only."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[Sample | None]] = set()

    def add(self) -> asyncio.Queue[Sample | None]:
        """A new listener's queue; None in it means the broker is stopping."""
        queue: asyncio.Queue[Sample | None] = asyncio.Queue(maxsize=LISTENER_BACKLOG)
        self._queues.add(queue)
        return queue

    def remove(self, queue: asyncio.Queue[Sample | None]) -> None:
        """Forget a listener."""
        self._queues.discard(queue)

    def publish(self, sample: Sample | None) -> None:
        """Give a sample (or None: the end) to every listener."""
        for queue in self._queues:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(sample)


def take_sample(broker: Broker) -> Sample:
    """Sample every topic now, keep the sample in the history and hand it to the listeners."""
    topics = broker.store.topics()
    totals = {t.id: (t.stats.events, t.stats.bytes) for t in topics}
    ends = {t.id: t.stats.events for t in topics}
    subscribers = {t: sum(c.values()) for t, c in broker.subscribers.items()}
    lags = broker.groups.lags(ends.get)
    sample = broker.metrics.sample(now_ms(), totals, subscribers, lags)
    broker.metrics_listeners.publish(sample)
    return sample


@dataclass(frozen=True, slots=True)
class ProjectSample:
    """A sample cut down to the topics a caller may see, each with its current record."""

    at_ms: int
    topics: list[tuple[Topic, TopicSample]]
    history: bool
    """True for a sample from before the listener joined."""


async def stream_samples(
    broker: Broker, caller: Caller, all_projects: bool, history_s: int
) -> AsyncIterator[ProjectSample]:
    """Yield the last ``history_s`` seconds of samples (at most an hour), then each new one,
    until the broker stops.

    Raises:
        PermissionDenied: without ``metrics:read``; for ``all_projects`` without
            ``broker:admin``.
    """
    caller.require(Permission.METRICS_READ)
    if all_projects:
        caller.require(Permission.BROKER_ADMIN)
    project = None if all_projects else caller.project_id
    history = min(history_s, MAX_HISTORY_S)
    for sample in broker.metrics.history(history):
        yield _visible(broker, sample, project, history=True)
    queue = broker.metrics_listeners.add()
    try:
        while (live := await queue.get()) is not None:
            yield _visible(broker, live, project, history=False)
    finally:
        broker.metrics_listeners.remove(queue)


def _visible(broker: Broker, sample: Sample, project: bytes | None, history: bool) -> ProjectSample:
    topics = []
    for rate in sample.topics:
        try:
            topic = broker.store.topic(rate.topic_id)
        except NotFound:  # destroyed since
            continue
        if project is None or topic.project_id == project:
            topics.append((topic, rate))
    return ProjectSample(sample.at_ms, topics, history)
