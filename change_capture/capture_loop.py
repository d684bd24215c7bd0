"""The capture loop: changes from a source, published in commit order, confirmed once acked.

A source (a PostgreSQL replication slot, a SQLite change log) yields :class:`Change` items and,
between them, :class:`Boundary` items: points up to which everything has been yielded (a
transaction's end). The loop encodes each change, queues it on its topic, and publishes each
topic's queue in batches, one batch in flight per topic so that a topic's events are stored in
the order they were committed. A boundary is confirmed to the source, so that the source never
yields what is before it again, only once the broker has acknowledged every change before it, in
every topic. A crash at any moment thus loses nothing: the source yields again whatever was not
confirmed, and the topics' ``UNIQUE_KEY`` deduplication flags what the broker already had.

When the broker cannot be reached, the same batch is tried again (with a growing pause) until it
can; the source is kept alive meanwhile and nothing more is read from it once
:data:`MAX_PENDING` changes wait.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import grpc

from change_capture.broker_link import BrokerError, BrokerLink
from change_capture.change_events import Change, encode_change

log = logging.getLogger(__name__)

BATCH_SIZE = 1000
"""Events per ``PublishBatch`` call at most."""
MAX_PENDING = 20_000
"""Changes read but not yet acknowledged at most; past it the loop stops reading."""
IDLE_WAIT_S = 0.2
BUSY_WAIT_S = 0.005
RETRY_FIRST_S = 0.2
RETRY_MAX_S = 5.0
STOP_DRAIN_S = 10.0
"""On stop, how long to wait for the broker to acknowledge what was read already."""


@dataclass(frozen=True, slots=True)
class Boundary:
    """A point of the source before which every change has been yielded.

    Attributes:
        token: what the source confirms (an LSN, a change log's sequence number, …).
        committed_ms: when the last transaction before it committed (0 when unknown), for lag.
    """

    token: object
    committed_ms: int = 0


class SourceLost(Exception):
    """The source's connection broke; it can be opened again (the message says why)."""


class SetupError(Exception):
    """A source cannot be captured as it is set up (or cannot be reached); the message says why
    and what to do."""


class Source(Protocol):
    """Where changes come from."""

    def open(self) -> None:
        """Check the set-up and start.

        Raises:
            SetupError: for a set-up mistake, or a database that cannot be reached.
        """

    def describe(self) -> str:
        """Where capture starts, for the log (``slot s at 0/1537800``)."""

    def read(self, wait_s: float, limit: int) -> list[Change | Boundary]:
        """What is available now, at most ``limit`` changes, waiting up to ``wait_s`` for any.

        Raises:
            SourceLost: if the connection broke.
        """

    def confirm(self, token: object) -> None:
        """Everything before ``token`` is safe in the broker: never yield it again."""

    def keep_alive(self) -> None:
        """Called while the loop waits on the broker instead of reading."""

    def reopen(self) -> None:
        """Open the source again after :class:`SourceLost`; yield from the last confirmed point.

        Raises:
            SourceLost: if it cannot be opened yet.
        """

    def position_text(self, token: object) -> str:
        """A confirmed point as people read it (``0/1537800``, ``change 42``)."""

    def behind(self) -> tuple[int, str]:
        """How far the confirmed point is behind the source's end: (amount, unit)."""

    def close(self) -> None:
        """Release the connection."""


@dataclass(frozen=True, slots=True)
class CaptureStatus:
    """What a capture reports, now and then.

    Attributes:
        state: ``capturing``, ``waiting for the broker``, ``reconnecting`` or ``stopped``.
        position: the last confirmed point, as the source writes it ("" before the first).
        changes: changes acknowledged by the broker since the start.
        duplicates: of them, how many the broker flagged as already stored (replays).
        lag_s: seconds from the commit of the oldest change not yet acknowledged to now (0
            when everything is acknowledged).
        behind: how far the confirmed point is behind the source's end, in ``behind_unit``.
        behind_unit: ``bytes`` (PostgreSQL WAL) or ``changes`` (SQLite change log).
        problem: why the state is not ``capturing`` ("" when it is).
    """

    state: str
    position: str
    changes: int
    duplicates: int
    lag_s: float
    behind: int
    behind_unit: str
    problem: str = ""

    def line(self) -> str:
        """One line for a log: ``capturing at 0/1537800: 1,204 changes, lag 0.2 s, 0 bytes``."""
        where = f" at {self.position}" if self.position else ""
        text = (
            f"{self.state}{where}: {self.changes:,} changes, lag {self.lag_s:.1f} s, "
            f"{self.behind:,} {self.behind_unit} behind"
        )
        if self.duplicates:
            text += f", {self.duplicates:,} replayed changes already stored"
        return text + (f" ({self.problem})" if self.problem else "")

    def to_json(self) -> dict[str, object]:
        """The status as a JSON object."""
        return {
            "state": self.state,
            "position": self.position,
            "changes": self.changes,
            "duplicates": self.duplicates,
            "lag_s": round(self.lag_s, 3),
            "behind": self.behind,
            "behind_unit": self.behind_unit,
            "problem": self.problem,
        }


class CaptureFailed(Exception):
    """The capture cannot go on (the broker refused its events for good); the message says why."""


@dataclass
class _Batch:
    events: list[bytes]
    first: tuple[int, int]
    """The first change's (sequence number, commit time in ms)."""
    future: grpc.Future | None = None


@dataclass
class _TopicQueue:
    name: str
    topic_id: bytes
    waiting: deque[tuple[int, int, bytes]] = field(default_factory=deque)
    """(sequence number, commit time in ms, encoded event) of each change not yet sent."""
    batch: _Batch | None = None
    """The batch in flight, or failed and waiting to be sent again."""
    retry_at: float = 0.0
    failures: int = 0

    def oldest(self) -> tuple[int, int] | None:
        """The (sequence number, commit time in ms) of its oldest unacknowledged change."""
        if self.batch is not None:
            return self.batch.first
        return self.waiting[0][:2] if self.waiting else None

    def take(self, count: int) -> _Batch:
        taken = [self.waiting.popleft() for _ in range(min(count, len(self.waiting)))]
        return _Batch([body for _, _, body in taken], taken[0][:2])


class CaptureLoop:
    """Runs a source into a broker until stopped."""

    def __init__(
        self,
        source: Source,
        link: BrokerLink,
        topic_ids: dict[str, bytes],
        topic_for: Callable[[Change], str | None],
        report: Callable[[CaptureStatus], None],
        status_interval_s: float = 10.0,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        """Args:
        source: where changes come from.
        link: the logged-in broker connection.
        topic_ids: each target topic's id, by name.
        topic_for: the topic a change goes to (a key of ``topic_ids``), None to skip it.
        report: called with the status every ``status_interval_s`` seconds and at the end.
        status_interval_s: seconds between reports.
        batch_size: events per publish call at most.
        """
        self._source = source
        self._link = link
        self._topic_for = topic_for
        self._report = report
        self._status_interval_s = status_interval_s
        self._batch_size = batch_size
        self._queues = {name: _TopicQueue(name, tid) for name, tid in topic_ids.items()}
        self._boundaries: deque[tuple[int, Boundary]] = deque()
        self._seq = 0
        self._pending = 0
        self._position = ""
        self._changes = 0
        self._duplicates = 0
        self._problem = ""
        self._state = "capturing"
        self._answered = threading.Event()
        """Set whenever a publish call ends."""

    # -- running --------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Capture until ``stop`` is set, then publish what was read (for a few seconds at most)
        and return.

        Raises:
            CaptureFailed: if the broker refuses events for good.
        """
        next_report = time.monotonic() + self._status_interval_s
        while not stop.is_set():
            self.step()
            if time.monotonic() >= next_report:
                self._report(self.status())
                next_report = time.monotonic() + self._status_interval_s
        self._drain(time.monotonic() + STOP_DRAIN_S)
        self._state = "stopped"
        self._report(self.status())

    def step(self) -> None:
        """Read what the source has (unless too much waits for the broker), publish what is
        ready, and confirm what the broker has acknowledged.

        Raises:
            CaptureFailed: if the broker refuses events for good.
        """
        items: list[Change | Boundary] = []
        if self._pending < MAX_PENDING:
            items = self._read(BUSY_WAIT_S if self._pending else IDLE_WAIT_S)
        else:
            self._source.keep_alive()
            self._wait_for_acks(BUSY_WAIT_S)
        read = self._take(items)
        # A full read means more is waiting: send only full batches until the source runs dry.
        self._pump(flush=read < self._batch_size)
        self._confirm_acknowledged()

    def status(self) -> CaptureStatus:
        """The capture's status now."""
        oldest = self._oldest()
        lag_s = 0.0
        if oldest is not None and oldest[1]:
            lag_s = max(0.0, time.time() - oldest[1] / 1000)
        try:
            behind, unit = self._source.behind()
        except SourceLost:
            behind, unit = 0, ""
        return CaptureStatus(
            self._state,
            self._position,
            self._changes,
            self._duplicates,
            lag_s,
            behind,
            unit,
            self._problem,
        )

    def _read(self, wait_s: float) -> list[Change | Boundary]:
        try:
            return self._source.read(wait_s, self._batch_size)
        except SourceLost as exc:
            self._reconnect(str(exc))
            return []

    def _reconnect(self, reason: str) -> None:
        """Open the source again; what it yielded but did not confirm comes again."""
        log.warning("the source connection broke: %s; reconnecting", reason)
        self._state, self._problem = "reconnecting", reason
        self._boundaries.clear()
        pause = RETRY_FIRST_S
        while True:
            self._pump(flush=True)
            try:
                self._source.reopen()
                break
            except SourceLost as exc:
                self._problem = str(exc)
                time.sleep(pause)
                pause = min(RETRY_MAX_S, pause * 2)
        log.info("reconnected to the source")
        self._state, self._problem = "capturing", ""

    def _take(self, items: list[Change | Boundary]) -> int:
        """Queue the changes on their topics, and the boundaries; return how many changes."""
        now_ms = int(time.time() * 1000)
        read = 0
        for item in items:
            if isinstance(item, Boundary):
                self._boundaries.append((self._seq, item))
                continue
            name = self._topic_for(item)
            if name is None:
                continue
            body = encode_change(item, now_ms)
            self._queues[name].waiting.append((self._seq, item.committed_ms, body))
            self._seq += 1
            self._pending += 1
            read += 1
        return read

    # -- publishing -----------------------------------------------------------------------------

    def _pump(self, flush: bool) -> None:
        """Collect finished calls; send each topic's next batch when it is full (or ``flush``)."""
        now = time.monotonic()
        for queue in self._queues.values():
            batch = queue.batch
            if batch is not None and batch.future is not None and batch.future.done():
                self._finish(queue, batch)
            ready = len(queue.waiting) >= self._batch_size or flush
            if queue.batch is None and queue.waiting and ready:
                queue.batch = queue.take(self._batch_size)
            batch = queue.batch
            if batch is not None and batch.future is None and now >= queue.retry_at:
                try:
                    batch.future = self._link.publish(queue.topic_id, batch.events)
                except BrokerError as exc:
                    self._failed(queue, exc)
                else:
                    batch.future.add_done_callback(lambda _: self._answered.set())

    def _finish(self, queue: _TopicQueue, batch: _Batch) -> None:
        assert batch.future is not None
        try:
            self._duplicates += self._link.publish_result(batch.future)
        except BrokerError as exc:
            batch.future = None
            self._failed(queue, exc)
            return
        queue.batch = None
        count = len(batch.events)
        self._changes += count
        self._pending -= count
        if queue.failures:
            log.info("the broker is back: publishing again")
            queue.failures = 0
            self._state, self._problem = "capturing", ""

    def _failed(self, queue: _TopicQueue, exc: BrokerError) -> None:
        if not exc.retryable:
            raise CaptureFailed(f"the broker refused changes for topic {queue.name!r}: {exc}")
        if not queue.failures:
            log.warning("cannot publish to %r: %s; trying again", queue.name, exc)
        queue.failures += 1
        self._state, self._problem = "waiting for the broker", str(exc)
        pause = min(RETRY_MAX_S, RETRY_FIRST_S * 2 ** min(queue.failures - 1, 8))
        queue.retry_at = time.monotonic() + pause

    def _wait_for_acks(self, timeout_s: float) -> None:
        """Wait until a publish call ends, or ``timeout_s`` seconds."""
        self._answered.wait(timeout_s)
        self._answered.clear()

    def _oldest(self) -> tuple[int, int] | None:
        """The (sequence number, commit time in ms) of the oldest unacknowledged change."""
        oldest = [found for q in self._queues.values() if (found := q.oldest()) is not None]
        return min(oldest) if oldest else None

    def _confirm_acknowledged(self) -> None:
        """Confirm the last boundary before which the broker has acknowledged everything."""
        oldest = self._oldest()
        unacked = self._seq if oldest is None else oldest[0]
        last: Boundary | None = None
        while self._boundaries and self._boundaries[0][0] <= unacked:
            last = self._boundaries.popleft()[1]
        if last is None:
            return
        try:
            self._source.confirm(last.token)
        except SourceLost as exc:
            self._reconnect(str(exc))
            return
        self._position = self._source.position_text(last.token)

    def _drain(self, deadline: float) -> None:
        """Publish and confirm what was read, until done or ``deadline`` (monotonic)."""
        while time.monotonic() < deadline:
            self._pump(flush=True)
            self._confirm_acknowledged()
            if not self._pending:
                return
            self._source.keep_alive()
            self._wait_for_acks(0.01)
        log.warning(
            "stopped with %d changes not acknowledged: they are captured again on the next start",
            self._pending,
        )
