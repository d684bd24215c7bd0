"""The live tail's policy: stream every event, or poll the topic's end under a flood; and growth.

A live tail starts by streaming: every event published to the topic arrives one by one. Once per
window of ``window_s`` seconds it looks for a flood (more than anyone can read): a rate above
``flood_rate`` events a second or, when the GUI cannot take events one by one as fast as they
come, the stream falling more than ``flood_rate`` events behind the topic's known end. Under a
flood the tail polls the topic's newest page instead, so the GUI's work no longer grows with the
rate, and it streams again once the rate has stayed below a quarter of ``flood_rate`` for
``calm_windows`` windows in a row.

The table grows from the tail's own events, never ahead of them, and never while paused.

The policy does no I/O and reads no clock: a view feeds it offsets (1-based, as the broker
numbers a topic's events), the topic's known end offset, times in seconds from
:func:`time.monotonic`, and whether the table is paused; it answers with plain values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

TailMode = Literal["stream", "poll"]
"""How the live tail follows a topic: "stream" (every event) or "poll" (the newest page)."""

FLOOD_RATE = 2_000
"""Events per second above which the live tail polls the topic's end instead of streaming."""
WINDOW_S = 1.0
"""How often, in seconds, the tail measures its rate (and, streaming, how far behind it is)."""
CALM_WINDOWS = 2
"""Windows in a row below ``FLOOD_RATE / 4`` after which a polling tail streams again."""
TAIL_KEEP = 1_000
"""The most events one tick inserts: under a flood only the newest rows matter on screen (the
page cache fetches older ones if the user ever scrolls there)."""


class LiveTailPolicy:
    """When a live tail streams or polls, what is new, and how far the event table grows.

    Args:
        flood_rate: events per second that make a flood; also the lag, in events behind the
            topic's known end, that makes one.
        window_s: seconds over which a rate is measured.
        calm_windows: windows in a row below ``flood_rate / 4`` before streaming again.
        keep: the most events one tick inserts into the table.
    """

    def __init__(
        self,
        flood_rate: float = FLOOD_RATE,
        window_s: float = WINDOW_S,
        calm_windows: int = CALM_WINDOWS,
        keep: int = TAIL_KEEP,
    ) -> None:
        self.flood_rate = flood_rate
        self.window_s = window_s
        self.calm_windows = calm_windows
        self.keep = keep
        self._mode: TailMode = "stream"
        self._held = 0
        self._last_seen = 0
        self._window_start = 0.0
        self._window_events = 0  # streaming: events received in this window
        self._window_offset = 0  # polling: the newest offset seen when this window began
        self._calm = 0

    @property
    def mode(self) -> TailMode:
        """The tail's mode, "stream" or "poll": :meth:`stream`, :meth:`streamed` and
        :meth:`polled` change it."""
        return self._mode

    @property
    def held(self) -> int:
        """Events that arrived while paused, since :meth:`clear_held`."""
        return self._held

    @property
    def last_seen(self) -> int:
        """The newest offset received, streamed or polled (0 before any)."""
        return self._last_seen

    def clear_held(self) -> None:
        """Forget the events counted while paused (on resume, or for another topic)."""
        self._held = 0

    def stream(self, now: float) -> None:
        """Begin streaming (again) at ``now`` (seconds, monotonic): a fresh rate window."""
        self._mode = "stream"
        self._window_start, self._window_events = now, 0

    def streamed(self, offset: int, known_end: int, now: float, paused: bool) -> bool:
        """One event at ``offset`` arrived on the stream at ``now``.

        Args:
            offset: the event's offset in its topic.
            known_end: the topic's last offset as last reported (topic statistics).
            now: seconds, from :func:`time.monotonic`.
            paused: True if the table is paused (the event is counted in :attr:`held`).

        Returns:
            True when a window closes on a flood: the mode is now "poll", from this event on,
            and the caller should stop streaming and poll.
        """
        self._last_seen = offset
        if paused:
            self._held += 1
        self._window_events += 1
        elapsed = now - self._window_start
        if elapsed < self.window_s:
            return False
        behind = known_end - offset
        if self._window_events / elapsed > self.flood_rate or behind > self.flood_rate:
            self._mode = "poll"
            self._window_start, self._window_offset, self._calm = now, offset, 0
            return True
        self._window_start, self._window_events = now, 0
        return False

    def polled(self, offsets: Sequence[int], now: float, paused: bool) -> int:
        """A poll read the topic's newest page at ``now``.

        Args:
            offsets: the page's offsets, oldest first.
            now: seconds, from :func:`time.monotonic`.
            paused: True if the table is paused (new events are counted in :attr:`held`).

        Returns:
            How many events at the end of the page are new (newer than :attr:`last_seen`).
            When a window closes with the rate below a quarter of the flood rate for the
            ``calm_windows``-th time in a row, the mode is "stream" again: the caller should
            stop polling and stream.
        """
        new = sum(1 for offset in offsets if offset > self._last_seen)
        if new:
            self._last_seen = offsets[-1]
            if paused:
                self._held += new
        elapsed = now - self._window_start
        if elapsed >= self.window_s:
            rate = (self._last_seen - self._window_offset) / elapsed
            self._calm = self._calm + 1 if rate < self.flood_rate / 4 else 0
            self._window_start, self._window_offset = now, self._last_seen
            if self._calm >= self.calm_windows:
                self.stream(now)
        return new

    def to_insert(self, arrived: int, paused: bool) -> int:
        """How many of the ``arrived`` events (newest last) a tick inserts into the table.

        None while paused (they wait, counted in :attr:`held`); else the newest, at most
        ``keep`` of them. The table then grows to the newest one's offset.
        """
        return 0 if paused else min(arrived, self.keep)

    def growth(self, size: int, rows: int, paused: bool, tailing: bool = False) -> int:
        """Rows to add when a read or a topic refresh learned that the topic holds ``size``
        events while the table shows ``rows``.

        None while paused. None while a live tail runs (``tailing``): it grows the table
        itself, with the newest events in hand; growing ahead of it (under a flood every read
        sees a bigger topic) would show placeholder rows at the end, fetch them, see a bigger
        topic again, and so on. Otherwise ``size - rows``, never below 0.
        """
        if paused or tailing:
            return 0
        return max(size - rows, 0)
