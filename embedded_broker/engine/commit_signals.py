"""Wake the subscribers of a topic when new events commit.

The store tells us from its writer thread; subscribers wait on the event loop. Each waiter owns
one ``asyncio.Event``, so a slow subscriber never holds anything up: it simply finds the event
set when it comes back, and reads what it missed from the log.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Iterable


class CommitSignals:
    """Topic id -> the waiters to wake when that topic grows (or has redeliveries)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._waiters: defaultdict[bytes, set[asyncio.Event]] = defaultdict(set)

    def committed(self, last_offsets: dict[bytes, int]) -> None:
        """From any thread: these topics now end at these offsets."""
        with contextlib.suppress(RuntimeError):  # a closed loop: the server is stopping
            self._loop.call_soon_threadsafe(self.wake, list(last_offsets))

    def wake(self, topic_ids: Iterable[bytes]) -> None:
        """On the loop: wake every waiter of these topics."""
        for topic_id in topic_ids:
            for waiter in self._waiters.get(topic_id, ()):
                waiter.set()

    def register(self, topic_ids: Iterable[bytes]) -> asyncio.Event:
        """A new waiter for these topics (set at once, so the first look happens)."""
        waiter = asyncio.Event()
        waiter.set()
        for topic_id in topic_ids:
            self._waiters[topic_id].add(waiter)
        return waiter

    def unregister(self, waiter: asyncio.Event) -> None:
        """Forget a waiter."""
        for topic_id in [t for t, ws in self._waiters.items() if waiter in ws]:
            self._waiters[topic_id].discard(waiter)
            if not self._waiters[topic_id]:
                del self._waiters[topic_id]

    def waiting(self, topic_id: bytes) -> int:
        """How many subscribers wait on a topic."""
        return len(self._waiters.get(topic_id, ()))
