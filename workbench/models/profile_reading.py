"""Reading a topic into a :class:`~workbench.models.topic_profile.TopicProfiler`: a sample of its
last events or the whole of it, with progress, then (optionally) following it live.

Both are coroutines for the app's asyncio loop: cancel the task to stop them. They hand the
profiler a few hundred events at a time and give the loop a turn in between, so a window stays
smooth while a big topic is read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import NoReturn

from workbench.client.records import EventRow
from workbench.models.event_export import EventReader
from workbench.models.topic_profile import TopicProfiler

SAMPLE_SIZE = 10_000
"""Events a sample profiles by default: the topic's last ones."""
READ_PAGE = 1_000
"""Events per read (the broker's maximum)."""
FEED_CHUNK = 250
"""Events profiled between two turns of the event loop."""
FOLLOW_INTERVAL_S = 0.25
"""How often a live profile looks for new events once it has caught up."""
FLOOD_BEHIND = 5_000
"""Events a live profile may fall behind the topic's end before it skips to the end."""

Progress = Callable[[int, int], None]
"""Called with (events read, events to read)."""


async def read_topic(
    client: EventReader,
    topic_id: bytes,
    profiler: TopicProfiler,
    limit: int | None = SAMPLE_SIZE,
    progress: Progress | None = None,
    page_size: int = READ_PAGE,
) -> int:
    """Profile the topic as it is now: its last ``limit`` events, or all of them (None).

    Events published meanwhile are left for :func:`follow_topic`.

    Returns:
        The offset after the last event read: where following the topic goes on.

    Raises:
        ClientError: if a read fails (the profiler keeps what it was given).
    """
    end = (await client.read_events(topic_id, from_end=True, limit=1)).last_offset
    offset = 1 if limit is None else max(1, end - limit + 1)
    total, read = max(0, end - offset + 1), 0
    if progress is not None:
        progress(0, total)
    while offset <= end:
        page = await client.read_events(
            topic_id, offset=offset, limit=min(page_size, end - offset + 1)
        )
        rows = [row for row in page.events if row.offset <= end]
        await feed(profiler, rows)
        read += len(rows)
        if progress is not None:
            progress(read, total)
        if not page.events:
            break
        offset = page.next_offset
    return end + 1


async def follow_topic(
    client: EventReader,
    topic_id: bytes,
    profiler: TopicProfiler,
    offset: int,
    interval_s: float = FOLLOW_INTERVAL_S,
    flood_behind: int = FLOOD_BEHIND,
    page_size: int = READ_PAGE,
) -> NoReturn:
    """Keep profiling the events published from ``offset`` on, until cancelled.

    When the topic's end runs more than ``flood_behind`` events ahead, the events in between
    are skipped (counted with :meth:`TopicProfiler.skip`) and reading goes on at the end.

    Raises:
        ClientError: if a read fails.
    """
    if flood_behind < page_size:
        raise ValueError("flood_behind must be at least page_size")
    while True:
        page = await client.read_events(topic_id, offset=offset, limit=page_size)
        if page.last_offset - offset + 1 > flood_behind:
            page = await client.read_events(topic_id, from_end=True, limit=page_size)
            first = page.events[0].offset if page.events else page.next_offset
            profiler.skip(first - offset)
        await feed(profiler, [row for row in page.events if row.offset >= offset])
        offset = max(offset, page.next_offset)
        if offset > page.last_offset:
            await asyncio.sleep(interval_s)


async def feed(profiler: TopicProfiler, rows: Sequence[EventRow]) -> None:
    """Profile ``rows``, :data:`FEED_CHUNK` at a time, with a turn of the loop after each."""
    for start in range(0, len(rows), FEED_CHUNK):
        profiler.add_rows(rows[start : start + FEED_CHUNK])
        await asyncio.sleep(0)
