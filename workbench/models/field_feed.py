"""Feeding field series from a topic: its last hour first, then what arrives, a few times a second.

A :class:`TopicFollower` reads a topic in pages through the client (no subscription: polling the
topic's end costs the same whatever the rate). It starts with the events committed in the last
``backfill_s`` seconds (at most ``max_backfill`` of them, the newest), then polls every
``poll_s`` seconds for events past the last one read. When more than ``max_per_poll`` events
arrived since the last poll (a flood), it jumps to the newest ``max_per_poll`` and counts the
events it did not read in ``skipped``: the charts then show a sample, and say so.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Final

from workbench.client.records import EventRow
from workbench.models.event_export import EventReader
from workbench.models.field_series import FieldSeries, feed

POLL_S: Final = 0.25
PAGE: Final = 1000
MAX_PER_POLL: Final = 5_000
MAX_BACKFILL: Final = 20_000
BACKFILL_S: Final = 3600


class TopicFollower:
    """Keeps one topic's field series up to date until cancelled.

    Args:
        client: reads pages (``StreamClient.read_events``).
        topic_id: the topic's 16-byte id.
        series: the field series of this topic (more may be added while it runs).
        on_update: called after each read that took events (e.g. to schedule a redraw).
        clock: wall-clock seconds since the epoch.
    """

    def __init__(
        self,
        client: EventReader,
        topic_id: bytes,
        series: list[FieldSeries],
        on_update: Callable[[], None] | None = None,
        poll_s: float = POLL_S,
        max_per_poll: int = MAX_PER_POLL,
        max_backfill: int = MAX_BACKFILL,
        backfill_s: float = BACKFILL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.topic_id = topic_id
        self.series = series
        self._on_update = on_update
        self._poll_s = poll_s
        self._max_per_poll = max_per_poll
        self._max_backfill = max_backfill
        self._backfill_s = backfill_s
        self._clock = clock
        self.next_offset = 0
        """The next offset to read (0 until the backfill found where to start)."""
        self.read = 0
        self.skipped = 0

    async def run(self) -> None:
        """Backfill, then poll, until cancelled.

        Raises:
            ClientError: if the broker cannot be read (the caller decides whether to retry).
        """
        await self.backfill()
        while True:
            await asyncio.sleep(self._poll_s)
            await self.poll()

    async def backfill(self) -> None:
        """Read the last ``backfill_s`` seconds (at most ``max_backfill`` events)."""
        since_ms = int((self._clock() - self._backfill_s) * 1000)
        first = await self.client.read_events(self.topic_id, after_ms=since_ms, limit=1)
        end = first.last_offset
        start = first.events[0].offset if first.events else end + 1
        start = max(start, end - self._max_backfill + 1, 1)
        self.next_offset = start
        await self._read_to(end)

    async def poll(self) -> None:
        """Read what arrived since the last read (the newest ``max_per_poll`` of a flood)."""
        probe = await self.client.read_events(self.topic_id, offset=self.next_offset, limit=PAGE)
        end = probe.last_offset
        if end - self.next_offset + 1 > self._max_per_poll:
            jump_to = end - self._max_per_poll + 1
            self.skipped += jump_to - self.next_offset
            self.next_offset = jump_to
            await self._read_to(end)
            return
        self._take(probe.events)
        if probe.events:
            self.next_offset = probe.next_offset
        await self._read_to(end)

    async def _read_to(self, end: int) -> None:
        while self.next_offset <= end:
            page = await self.client.read_events(
                self.topic_id, offset=self.next_offset, limit=min(PAGE, end - self.next_offset + 1)
            )
            if not page.events:
                return
            self._take(page.events)
            self.next_offset = page.next_offset

    def _take(self, rows: list[EventRow]) -> None:
        if rows:
            self.read += feed(self.series, rows)
            if self._on_update is not None:
                self._on_update()
