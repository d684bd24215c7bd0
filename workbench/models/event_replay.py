"""Replaying events into a topic: a topic's events, or a query's, in order, fast or paced.

Each event is copied whole: its data, mimetype, type and version, metadata and creation time.
Paced, an event is sent when as much time has passed since the first one as passed between them
originally (by commit time), divided by the speed factor (0.1 = ten times slower, 100 = a hundred
times faster); unpaced, events go as fast as the broker acknowledges them, in batches.
``models.event_export.topic_events`` reads a whole topic; ``StreamClient.query`` a query's rows.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Protocol

from workbench.client.errors import ClientError, Refused
from workbench.client.records import EventRow, NewEvent, PublishResult

MIN_FACTOR = 0.1
MAX_FACTOR = 100.0
BATCH = 500
"""Events per publish call."""
PACED_BATCH_S = 0.05
"""A paced replay sends what is due at most this often."""


class ReplayTarget(Protocol):
    """Where a replay publishes (a ``StreamClient`` has it)."""

    async def publish(self, topic_id: bytes, events: list[NewEvent]) -> PublishResult:
        """Publish a batch in one commit; raise ``Refused`` if the broker refuses it."""


@dataclass
class ReplayProgress:
    """A replay's counters, updated as it runs."""

    read: int = 0
    published: int = 0
    total: int | None = None
    """Events to replay in all, when known (a whole topic)."""
    failure: str = ""
    stopped: bool = False


def new_event(row: EventRow) -> NewEvent:
    """A stored event as a new one, whole: data, mimetype, type, metadata and creation time."""
    return NewEvent(
        data=row.data,
        mimetype=row.mimetype,
        type_name=row.type_name,
        type_version=row.type_version,
        metadata=dict(row.metadata),
        created_ms=row.created_ms or None,
    )


class Replay:
    """One replay: ``await run()``; :meth:`stop` ends it after the batch in flight.

    Args:
        target: publishes (``StreamClient.publish``).
        topic_id: the topic to publish into.
        events: the events to copy, in order (a topic read or a query's results).
        factor: the speed against the original pacing (``MIN_FACTOR`` to ``MAX_FACTOR``), or
            None for as fast as possible.
        clock: a monotonic clock in seconds.

    Raises:
        ValueError: for a factor out of range.
    """

    def __init__(
        self,
        target: ReplayTarget,
        topic_id: bytes,
        events: AsyncIterator[EventRow],
        factor: float | None = None,
        total: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if factor is not None and not MIN_FACTOR <= factor <= MAX_FACTOR:
            raise ValueError(f"the speed factor must be {MIN_FACTOR} to {MAX_FACTOR:g}")
        self._target = target
        self._topic_id = topic_id
        self._events = events
        self._factor = factor
        self._clock = clock
        self._stop = asyncio.Event()
        self.progress = ReplayProgress(total=total)

    def stop(self) -> None:
        """Stop after the batch being published."""
        self._stop.set()

    async def run(self) -> ReplayProgress:
        """Copy the events; return the final counters (``failure`` says why it ended early)."""
        batch: list[NewEvent] = []
        start = first_ms = None
        flushed = self._clock()
        try:
            async for row in self._events:
                if self._stop.is_set():
                    break
                self.progress.read += 1
                if self._factor is not None:
                    if start is None or first_ms is None:
                        start, first_ms = self._clock(), row.committed_ms
                    due = start + (row.committed_ms - first_ms) / 1000 / self._factor
                    wait = due - self._clock()
                    if wait > 0:
                        if batch:
                            await self._publish(batch)
                            batch = []
                        await self._sleep(wait)
                        if self._stop.is_set():
                            break
                batch.append(new_event(row))
                now = self._clock()
                paced_flush = self._factor is not None and now - flushed >= PACED_BATCH_S
                if len(batch) >= BATCH or paced_flush:
                    await self._publish(batch)
                    batch, flushed = [], now
            if batch and not self._stop.is_set():
                await self._publish(batch)
        except ClientError as exc:
            self.progress.failure = (
                f"{exc.code}: {exc.reason}" if isinstance(exc, Refused) else str(exc)
            )
        self.progress.stopped = self._stop.is_set()
        return self.progress

    async def _publish(self, batch: list[NewEvent]) -> None:
        await self._target.publish(self._topic_id, batch)
        self.progress.published += len(batch)

    async def _sleep(self, seconds: float) -> None:
        stop = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({stop}, timeout=seconds)
        finally:
            stop.cancel()
