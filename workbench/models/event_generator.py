"""The event generator: events from a source, paced by a rate shape, published in batches.

A run renders events in batches on a worker thread (so a window stays responsive), publishes
each batch with the broker's batched publish (one durable commit per batch, several batches in
flight), and counts what the broker acknowledged and refused. Pacing follows the shape's integral
(:meth:`RateShape.due`): a late batch is made up by the next one, so the achieved rate tracks the
target; an unlimited shape keeps ``in_flight`` batches of ``batch_max`` events in flight, as fast
as the broker acknowledges.

A batch refused for one of its events (too large, malformed, an unknown mimetype) is retried one
event at a time, so each refused event is counted with its own reason and every other event of
the batch is still published: nothing is lost, nothing is published twice (a refused batch
stores nothing). A batch refused for its topic or key (archived, unknown, no permission) counts
every event as refused with that reason. With ``stop_on_nack`` the run stops at the
first refused event. A failure that is not a refusal (the broker unreachable) ends the run: the
events of batches whose fate is unknown are counted as ``lost``.

A broker that dies between committing a batch and acknowledging it has stored events its
client never heard about. Once it is back, :meth:`EventGenerator.settle` reads the topic from
where those batches could be and counts each one as acknowledged (it is there, whole: a batch
is one commit) or as not stored, so that ``acked`` is exactly what the run stored.
"""

from __future__ import annotations

import asyncio
import bisect
import enum
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from workbench.client.errors import ClientError, Refused
from workbench.client.records import PublishResult, StoredPage
from workbench.models.rate_shapes import RateShape

MAX_ERRORS = 5
"""Distinct refusal reasons kept (with their counts)."""
WHOLE_BATCH_CODES = frozenset(
    {"TOPIC_UNKNOWN", "TOPIC_ARCHIVED", "TOPIC_DELETED", "PERMISSION_DENIED"}
)
"""Refusals about the topic or the key, not the event: they refuse every event of a batch."""
MAX_CALL_BYTES = 4 * 1024 * 1024
"""The most event bytes in one publish call (the broker takes messages up to 8 MiB)."""
PACING_TICK_S = 0.005
"""The shortest sleep between batches of a paced run."""
PACED_BATCH_S = 0.05
"""A paced run sends about this much of its rate per batch (20 batches a second)."""
SETTLE_PAGE = 1000
"""Events per read when :meth:`EventGenerator.settle` looks for unanswered batches."""


class Publisher(Protocol):
    """What the generator publishes with (a ``StreamClient`` has it)."""

    async def publish_encoded(
        self, topic_id: bytes, events: list[bytes], with_ids: bool = False
    ) -> PublishResult:
        """Publish encoded events in one commit; raise ``Refused`` if the broker refuses."""


class StoredReader(Protocol):
    """What a run is settled with (``BrokerClient`` has it)."""

    async def read_stored(self, topic_id: bytes, offset: int, limit: int = 1000) -> StoredPage:
        """A topic's events from ``offset`` on, each encoded as its publisher sent it."""


EventSource = Callable[[int], list[bytes]]
"""Renders the next ``n`` events, encoded (run on a worker thread, one call at a time)."""


class RunState(enum.StrEnum):
    """Where a run is."""

    RUNNING = "running"
    PAUSED = "paused"
    STOPPING = "stopping"
    DONE = "done"
    """Every event was sent and answered (acknowledged or refused)."""
    STOPPED = "stopped"
    """Stopped early: by the user, or at the first refusal with ``stop_on_nack``."""
    FAILED = "failed"
    """Ended by an error that is not a refusal (see ``failure``)."""


@dataclass(frozen=True, slots=True)
class GeneratorSettings:
    """What to generate and how fast.

    Attributes:
        topic_id: the topic's 16-byte id.
        count: events to send (None: no limit).
        duration_s: seconds to send for (None: no limit). With neither, the run ends when
            its source has no more events (an import) or it is stopped.
        shape: the target rate over time.
        stop_on_nack: stop at the first refused event instead of going on.
        batch_max: the most events per publish call.
        in_flight: publish calls awaiting their ack at once.
    """

    topic_id: bytes
    count: int | None = None
    duration_s: float | None = None
    shape: RateShape = field(default_factory=RateShape)
    stop_on_nack: bool = False
    batch_max: int = 1000
    in_flight: int = 4

    def __post_init__(self) -> None:
        if self.count is not None and self.count < 0:
            raise ValueError("the count cannot be negative")
        if self.duration_s is not None and self.duration_s <= 0:
            raise ValueError("the duration must be above 0 seconds")
        if self.batch_max < 1 or self.in_flight < 1:
            raise ValueError("batch_max and in_flight must be at least 1")


@dataclass(frozen=True, slots=True)
class RefusalCount:
    """One distinct refusal reason and how many events it refused."""

    code: str
    reason: str
    events: int


@dataclass(frozen=True, slots=True)
class GeneratorStats:
    """A run's counters at one moment."""

    state: RunState
    sent: int
    acked: int
    nacked: int
    lost: int
    """Events whose fate is unknown: sent in batches the broker never answered (it went
    away), until :meth:`EventGenerator.settle` finds out."""
    elapsed_s: float
    target: int | None
    """Events the run will send in all, when known (a count)."""
    refusals: tuple[RefusalCount, ...]
    failure: str = ""
    settled: int = 0
    """Of ``acked``, events the broker stored without answering, found by ``settle``."""
    unstored: int = 0
    """Events of unanswered batches that ``settle`` found the broker did not store."""

    @property
    def events_per_s(self) -> float:
        """Acknowledged events per second of the run so far."""
        return self.acked / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def answered(self) -> int:
        """Events the broker acknowledged or refused."""
        return self.acked + self.nacked


class EventGenerator:
    """One generator run. Create it, ``await run()``; ``pause``/``resume``/``stop`` any time.

    Args:
        publisher: publishes batches (a ``StreamClient``).
        source: renders the next n encoded events.
        settings: what, how many, how fast.
        clock: a monotonic clock in seconds (tests pass their own).
    """

    def __init__(
        self,
        publisher: Publisher,
        source: EventSource,
        settings: GeneratorSettings,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._publisher = publisher
        self._source = source
        self.settings = settings
        self._clock = clock
        self._state = RunState.RUNNING
        self._sent = self._acked = self._nacked = self._lost = 0
        self._settled = self._unstored = 0
        self._acked_through = 0  # the highest offset acknowledged so far
        self._acked_ranges: list[tuple[int, int]] = []  # (first offset, count) acknowledged
        self._in_doubt: list[tuple[int, list[bytes]]] = []  # (offset floor, events) unanswered
        self._refusals: dict[tuple[str, str], int] = {}
        self._failure = ""
        self._started: float | None = None
        self._paused_at: float | None = None
        self._paused_s = 0.0
        self._ended_at: float | None = None
        self._resumed = asyncio.Event()
        self._resumed.set()
        self._stop = asyncio.Event()
        self._slots = asyncio.Semaphore(settings.in_flight)
        self._calls: set[asyncio.Task[None]] = set()

    # -- control ------------------------------------------------------------------------------

    def pause(self) -> None:
        """Stop sending new batches until :meth:`resume` (batches in flight still finish)."""
        if self._state is RunState.RUNNING:
            self._state = RunState.PAUSED
            self._paused_at = self._clock()
            self._resumed.clear()

    def resume(self) -> None:
        """Go on after :meth:`pause`; the paused time does not count towards the pacing."""
        if self._state is RunState.PAUSED:
            self._state = RunState.RUNNING
            if self._paused_at is not None:
                self._paused_s += self._clock() - self._paused_at
            self._paused_at = None
            self._resumed.set()

    def stop(self) -> None:
        """Send nothing more; batches in flight are still answered and counted."""
        if self._state in (RunState.RUNNING, RunState.PAUSED):
            self._state = RunState.STOPPING
            self._stop.set()
            self._resumed.set()

    # -- state --------------------------------------------------------------------------------

    def stats(self) -> GeneratorStats:
        """The counters now."""
        return GeneratorStats(
            state=self._state,
            sent=self._sent,
            acked=self._acked,
            nacked=self._nacked,
            lost=self._lost,
            elapsed_s=self._elapsed(),
            target=self.settings.count,
            refusals=tuple(
                RefusalCount(code, reason, n) for (code, reason), n in self._refusals.items()
            ),
            failure=self._failure,
            settled=self._settled,
            unstored=self._unstored,
        )

    def _elapsed(self) -> float:
        if self._started is None:
            return 0.0
        end = self._ended_at if self._ended_at is not None else self._clock()
        paused = self._paused_s + (end - self._paused_at if self._paused_at is not None else 0)
        return max(0.0, end - self._started - paused)

    # -- the run ------------------------------------------------------------------------------

    async def run(self) -> GeneratorStats:
        """Send, pace and count until the count or duration is reached, or stopped.

        Returns:
            The final counters.
        """
        self._started = self._clock()
        try:
            await self._send_all()
        except ClientError as exc:  # the broker went away: the run cannot go on
            self._fail(str(exc))
        finally:
            await self._settle_calls()
            self._ended_at = self._clock()
        if self._state in (RunState.RUNNING, RunState.PAUSED):
            self._state = RunState.DONE
        elif self._state is RunState.STOPPING:
            self._state = RunState.STOPPED
        return self.stats()

    async def _send_all(self) -> None:
        settings, shape = self.settings, self.settings.shape
        while not self._stop.is_set():
            await self._resumed.wait()
            if self._stop.is_set():
                return
            elapsed = self._elapsed()
            if settings.duration_s is not None and elapsed >= settings.duration_s:
                return
            left = math.inf if settings.count is None else settings.count - self._sent
            if left <= 0:
                return
            due = shape.sent_by(elapsed) - self._sent
            if due < 1:
                await self._wait_for_due(elapsed)
                continue
            size = int(min(left, due, settings.batch_max, self._paced_size(elapsed)))
            await self._slots.acquire()
            if self._stop.is_set():
                self._slots.release()
                return
            try:
                events = await asyncio.to_thread(self._source, size)
            except ClientError:
                self._slots.release()
                raise
            except Exception as exc:  # the source's own problem (a bad line in a file ...)
                self._slots.release()
                # The events taken before it are still published (the run ends after them).
                self._fail(str(exc), finish_sent=True)
                return
            except BaseException:
                self._slots.release()
                raise
            if not events:  # the source is exhausted
                self._slots.release()
                return
            call = asyncio.create_task(self._publish(events))
            self._sent += len(events)  # once it will be sent (it starts after this step)
            self._calls.add(call)
            call.add_done_callback(self._calls.discard)
            if self._failure:
                return

    def _paced_size(self, elapsed: float) -> float:
        rate = self.settings.shape.rate_at(elapsed)
        return math.inf if math.isinf(rate) else max(1.0, rate * PACED_BATCH_S)

    async def _wait_for_due(self, elapsed: float) -> None:
        rate = self.settings.shape.rate_at(elapsed)
        wait = PACING_TICK_S if rate <= 0 or math.isinf(rate) else 1 / rate
        with_stop = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({with_stop}, timeout=min(max(wait, PACING_TICK_S), PACED_BATCH_S))
        finally:
            with_stop.cancel()

    async def _publish(self, events: list[bytes]) -> None:
        try:
            chunks = _by_size(events)
            for index, chunk in enumerate(chunks):
                if self._stop.is_set() and (self.settings.stop_on_nack or self._failure):
                    self._sent -= sum(len(c) for c in chunks[index:])  # never sent after all
                    return
                await self._publish_chunk(chunk)
        finally:
            self._slots.release()

    async def _publish_chunk(self, events: list[bytes]) -> None:
        floor = self._acked_through  # whatever this batch is stored as comes after it
        try:
            result = await self._publisher.publish_encoded(self.settings.topic_id, events)
            self._acknowledged(result, len(events))
        except Refused as refused:
            if refused.code in WHOLE_BATCH_CODES:
                self._refused(refused, len(events))
            elif len(events) == 1:
                self._refused(refused)
            else:
                await self._one_by_one(events)
        except ClientError as exc:
            self._unanswered(floor, events, exc)

    def _acknowledged(self, result: PublishResult, events: int) -> None:
        self._acked += events
        ranges, first = self._acked_ranges, result.first_offset
        if result.count and ranges and sum(ranges[-1]) == first:  # right after the last one
            ranges[-1] = (ranges[-1][0], ranges[-1][1] + result.count)  # kept short
        elif result.count:
            ranges.append((first, result.count))
        self._acked_through = max(self._acked_through, result.first_offset + result.count - 1)

    def _unanswered(self, floor: int, events: list[bytes], exc: ClientError) -> None:
        """A call failed without a refusal: its events may or may not be stored."""
        self._lost += len(events)
        self._in_doubt.append((floor, events))
        self._fail(str(exc))

    async def _one_by_one(self, events: list[bytes]) -> None:
        """A refused batch stored nothing: publish its events one at a time, so each refused
        one is counted with its reason and the others are published."""
        for index, event in enumerate(events):
            if (self._stop.is_set() and self.settings.stop_on_nack) or self._failure:
                self._sent -= len(events) - index  # never sent after all
                return
            floor = self._acked_through
            try:
                result = await self._publisher.publish_encoded(self.settings.topic_id, [event])
                self._acknowledged(result, 1)
            except Refused as refused:
                self._refused(refused)
            except ClientError as exc:
                self._unanswered(floor, [event], exc)

    def _refused(self, refused: Refused, events: int = 1) -> None:
        self._nacked += events
        key = (refused.code, refused.reason.replace("event 0 ", "event "))
        if key in self._refusals or len(self._refusals) < MAX_ERRORS:
            self._refusals[key] = self._refusals.get(key, 0) + events
        if self.settings.stop_on_nack:
            self.stop()

    def _fail(self, message: str, finish_sent: bool = False) -> None:
        """End the run as failed; unless ``finish_sent``, batches in flight send no more chunks."""
        if not self._failure:
            self._failure = message
        self._state = RunState.FAILED
        if not finish_sent:
            self._stop.set()
        self._resumed.set()

    async def _settle_calls(self) -> None:
        if self._calls:
            await asyncio.gather(*list(self._calls), return_exceptions=True)

    # -- after a broker went away -------------------------------------------------------------

    @property
    def unsettled(self) -> bool:
        """True while some events' fate is unknown (see :meth:`settle`)."""
        return bool(self._in_doubt)

    async def settle(self, reader: StoredReader) -> GeneratorStats:
        """Find out what became of the batches the broker never answered, now that it answers
        again: each one it stored counts as acknowledged (and in ``settled``), each other one
        as ``unstored``; ``lost`` drops by both. Only a run that has ended is settled; nothing
        is published again.

        A batch is committed whole or not at all, at offsets one after the other, above every
        offset acknowledged before it was sent, and the broker stores each event byte for byte
        as it was sent. So the topic is read from the lowest such offset to its end (as it is
        when the first page comes), the events no acknowledgement of this run covers are kept,
        and each unanswered batch is looked for among them: its events, byte for byte, at
        offsets one after the other, in a place no other batch took.

        Args:
            reader: reads the run's topic (a ``BrokerClient`` connected to the run's broker,
                restarted or reached again).

        Returns:
            The counters afterwards.

        Raises:
            ClientError: if the topic cannot be read; the events stay ``lost`` and
                :attr:`unsettled` stays true: settle again later.
        """
        if not self._in_doubt or self._ended_at is None:
            return self.stats()
        doubt, self._in_doubt = self._in_doubt, []  # a second call meanwhile has none to count
        try:
            stored = await self._unacknowledged(reader, min(floor for floor, _ in doubt))
        except BaseException:
            self._in_doubt = doubt + self._in_doubt
            raise
        found = _stored_batches([events for _, events in doubt], stored)
        lost = sum(len(events) for _, events in doubt)
        self._acked += found
        self._settled += found
        self._unstored += lost - found
        self._lost -= lost
        return self.stats()

    async def _unacknowledged(self, reader: StoredReader, floor: int) -> list[tuple[int, bytes]]:
        """The topic's (offset, encoded event) pairs above ``floor``, up to its end when the
        first page came, that no acknowledgement of this run covers."""
        covered = sorted(r for r in self._acked_ranges if r[0] + r[1] - 1 > floor)
        kept: list[tuple[int, bytes]] = []
        offset, end = floor + 1, None
        while True:
            page = await reader.read_stored(self.settings.topic_id, offset, SETTLE_PAGE)
            end = page.last_offset if end is None else end
            kept += [
                (at, event) for at, event in page.events if at <= end and not _covered(at, covered)
            ]
            if not page.events or page.next_offset > end:
                return kept
            offset = page.next_offset


def _covered(offset: int, ranges: list[tuple[int, int]]) -> bool:
    """Whether ``offset`` lies in one of ``ranges`` ((first, count), sorted by first)."""
    at = bisect.bisect_right(ranges, offset, key=lambda r: r[0]) - 1
    return at >= 0 and offset < ranges[at][0] + ranges[at][1]


def _stored_batches(batches: list[list[bytes]], stored: list[tuple[int, bytes]]) -> int:
    """How many events of ``batches`` (encoded) are in ``stored`` ((offset, encoded event),
    in offset order): a batch counts when its events stand there byte for byte at offsets one
    after the other, in a place no other batch took."""
    starts: dict[bytes, list[int]] = {}
    for index, (_, event) in enumerate(stored):
        starts.setdefault(event, []).append(index)
    taken: set[int] = set()
    found = 0
    for batch in batches:
        for index in starts.get(batch[0], []):
            if index not in taken and _stands_at(stored, index, batch):
                taken.add(index)
                found += len(batch)
                break
    return found


def _stands_at(stored: list[tuple[int, bytes]], index: int, batch: list[bytes]) -> bool:
    """Whether ``batch`` is stored from ``stored[index]`` on, at consecutive offsets."""
    run = stored[index : index + len(batch)]
    if len(run) < len(batch) or run[-1][0] - run[0][0] != len(batch) - 1:
        return False
    return all(event == wanted for (_, event), wanted in zip(run, batch, strict=True))


def _by_size(events: list[bytes]) -> list[list[bytes]]:
    """Events cut into publish calls of at most ``MAX_CALL_BYTES`` (an event larger than that
    goes alone: the broker refuses it, or takes it if its own limit allows)."""
    chunks: list[list[bytes]] = []
    size = MAX_CALL_BYTES
    for event in events:
        if size + len(event) > MAX_CALL_BYTES:
            chunks.append([])
            size = 0
        chunks[-1].append(event)
        size += len(event)
    return chunks
