"""Consumer-group delivery: which offsets each subscriber of a group gets, at least once.

A pure state machine (no I/O, no clock, no locking; the caller serialises access). For each topic
a group tracks its committed offset (every offset up to it is acked), the offsets in flight to a
consumer with a deadline, the offsets waiting for redelivery (nacked, expired or released) and
the offsets acked ahead of the committed one. All of these lie in the window
``committed + 1 .. committed + max_in_flight``, so memory stays bounded however far consumers run
ahead or fall behind.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable
from dataclasses import dataclass

from embedded_broker.core.errors import InvalidArgument

DEFAULT_DELIVERY_TIMEOUT_S = 30.0
"""How long a consumer has to ack an event before it is delivered again."""
DEFAULT_MAX_IN_FLIGHT = 1024
"""The widest window of unacked offsets a group keeps per topic."""
GROUP_NAME_MAX = 512


def validate_group_name(name: str) -> str:
    """Return ``name`` if it is a usable consumer group name.

    Raises:
        InvalidArgument: if it is empty or longer than 512 characters.
    """
    if not isinstance(name, str) or not name:
        raise InvalidArgument("a consumer group needs a name or an id")
    if len(name) > GROUP_NAME_MAX:
        raise InvalidArgument(
            f"consumer group name is {len(name)} characters long; the limit is {GROUP_NAME_MAX}"
        )
    return name


@dataclass(frozen=True, slots=True)
class GroupKey:
    """Identifies a consumer group: its project and its name."""

    project_id: bytes
    name: str

    @classmethod
    def from_fields(cls, project_id: bytes, name: str, group_id: bytes = b"") -> GroupKey:
        """Build the key from a ``ConsumerGroup``'s fields: its name, else the hex of its id.

        Raises:
            InvalidArgument: if both the name and the id are empty, or the name is too long.
        """
        return cls(project_id, validate_group_name(name or group_id.hex()))


class TopicDelivery:
    """One group's delivery state for one topic.

    Offsets run from 1 with no gaps. ``claim`` hands out offsets, each to one consumer at a time;
    ``ack`` settles them; ``nack``, ``release`` and ``expire`` queue them for redelivery.
    """

    __slots__ = (
        "_acked",
        "_by_consumer",
        "_committed",
        "_in_flight",
        "_max",
        "_next",
        "_redeliver",
    )

    def __init__(self, committed: int = 0, max_in_flight: int = DEFAULT_MAX_IN_FLIGHT) -> None:
        """Start at ``committed``: every offset up to it counts as acked.

        Raises:
            InvalidArgument: if ``committed`` is negative or ``max_in_flight`` below 1.
        """
        if committed < 0:
            raise InvalidArgument(f"a committed offset cannot be negative, got {committed}")
        if max_in_flight < 1:
            raise InvalidArgument(f"max_in_flight must be at least 1, got {max_in_flight}")
        self._committed = committed
        self._next = committed + 1
        self._max = max_in_flight
        self._in_flight: dict[int, tuple[Hashable, float]] = {}
        self._by_consumer: dict[Hashable, set[int]] = {}
        self._redeliver: list[int] = []  # a heap: the smallest offset is redelivered first
        self._acked: set[int] = set()  # acked, but above an unacked offset

    @property
    def committed(self) -> int:
        """The highest offset such that it and every offset before it are acked."""
        return self._committed

    @property
    def next_offset(self) -> int:
        """The first offset never delivered to the group."""
        return self._next

    @property
    def max_in_flight(self) -> int:
        """The widest window of unacked offsets above ``committed``."""
        return self._max

    def claim(
        self, consumer: Hashable, end_offset: int, limit: int, now: float, timeout_s: float
    ) -> list[int]:
        """Choose up to ``limit`` offsets to deliver to ``consumer`` and record them in flight.

        Offsets waiting for redelivery come first, then never-delivered offsets up to
        ``end_offset`` (the topic's last offset), each group ascending. New offsets stop at
        ``committed + max_in_flight``, so a stalled offset holds back the group until it is acked
        or expires. Each offset must be acked before ``now + timeout_s``.
        """
        if limit <= 0:
            return []
        claimed: list[int] = []
        while self._redeliver and len(claimed) < limit:
            claimed.append(heapq.heappop(self._redeliver))
        stop = min(end_offset, self._committed + self._max, self._next + limit - len(claimed) - 1)
        if stop >= self._next:
            claimed.extend(range(self._next, stop + 1))
            self._next = stop + 1
        if claimed:
            deadline = now + timeout_s
            held = self._by_consumer.setdefault(consumer, set())
            for offset in claimed:
                self._in_flight[offset] = (consumer, deadline)
                held.add(offset)
        return claimed

    def ack(self, offset: int, consumer: Hashable | None = None) -> bool:
        """Settle an offset in flight (to ``consumer``, if given) and advance ``committed``.

        Returns False, changing nothing, for an offset not in flight (to that consumer):
        duplicate, late (already redelivered) and unknown acks are harmless.
        """
        if not self._settle(offset, consumer):
            return False
        if offset == self._committed + 1:
            self._committed = offset
            while self._committed + 1 in self._acked:
                self._committed += 1
                self._acked.remove(self._committed)
        else:
            self._acked.add(offset)
        return True

    def nack(self, offset: int, consumer: Hashable | None = None) -> bool:
        """Queue an offset in flight (to ``consumer``, if given) for redelivery to any consumer.

        Returns False, changing nothing, for an offset not in flight (to that consumer).
        """
        if not self._settle(offset, consumer):
            return False
        heapq.heappush(self._redeliver, offset)
        return True

    def release(self, consumer: Hashable) -> int:
        """The consumer went away: queue its offsets in flight for redelivery; return how many."""
        offsets = self._by_consumer.pop(consumer, set())
        for offset in offsets:
            del self._in_flight[offset]
            heapq.heappush(self._redeliver, offset)
        return len(offsets)

    def expire(self, now: float) -> int:
        """Queue offsets whose deadline is at or before ``now`` for redelivery; return how many."""
        expired = [offset for offset, (_, deadline) in self._in_flight.items() if deadline <= now]
        for offset in expired:
            self._settle(offset, None)
            heapq.heappush(self._redeliver, offset)
        return len(expired)

    def next_deadline(self) -> float | None:
        """The earliest deadline of an offset in flight, or None when nothing is in flight."""
        return min((deadline for _, deadline in self._in_flight.values()), default=None)

    def in_flight(self, consumer: Hashable | None = None) -> int:
        """How many offsets are in flight (to ``consumer``, if given)."""
        if consumer is None:
            return len(self._in_flight)
        return len(self._by_consumer.get(consumer, ()))

    def pending_redelivery(self) -> int:
        """How many offsets wait to be delivered again."""
        return len(self._redeliver)

    def lag(self, end_offset: int) -> int:
        """How many offsets up to ``end_offset`` are not yet committed."""
        return max(0, end_offset - self._committed)

    def skip_to(self, offset: int) -> None:
        """Treat every offset up to ``offset`` as acked, e.g. the topic's end for a new group.

        Raises:
            InvalidArgument: if offsets are in flight or awaiting redelivery, or ``offset`` is
                below ``committed`` (a group's position never moves back).
        """
        if self._in_flight or self._redeliver:
            raise InvalidArgument(
                "cannot move a consumer group with events in flight or awaiting redelivery"
            )
        if offset < self._committed:
            raise InvalidArgument(
                f"cannot move a consumer group back from offset {self._committed} to {offset}"
            )
        self._committed = offset
        self._next = offset + 1

    def _settle(self, offset: int, consumer: Hashable | None) -> bool:
        """Take an offset out of flight; False if it is not in flight (to ``consumer``)."""
        lease = self._in_flight.get(offset)
        if lease is None or (consumer is not None and lease[0] != consumer):
            return False
        del self._in_flight[offset]
        held = self._by_consumer[lease[0]]
        held.discard(offset)
        if not held:
            del self._by_consumer[lease[0]]
        return True

    def __repr__(self) -> str:
        return (
            f"TopicDelivery(committed={self._committed}, next={self._next}, "
            f"in_flight={len(self._in_flight)}, redeliver={len(self._redeliver)})"
        )


class GroupDelivery:
    """One group's delivery state for every topic it reads."""

    __slots__ = ("delivery_timeout_s", "max_in_flight", "topics")

    def __init__(
        self,
        delivery_timeout_s: float = DEFAULT_DELIVERY_TIMEOUT_S,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    ) -> None:
        self.delivery_timeout_s = delivery_timeout_s
        self.max_in_flight = max_in_flight
        self.topics: dict[bytes, TopicDelivery] = {}

    def topic(self, topic_id: bytes, committed_if_new: int = 0) -> TopicDelivery:
        """Return the state for a topic, starting it at ``committed_if_new`` if it has none."""
        state = self.topics.get(topic_id)
        if state is None:
            state = self.topics[topic_id] = TopicDelivery(committed_if_new, self.max_in_flight)
        return state

    def forget_topic(self, topic_id: bytes) -> None:
        """Drop a topic's state, e.g. when the topic is destroyed."""
        self.topics.pop(topic_id, None)

    def committed_offsets(self) -> dict[bytes, int]:
        """Every topic's committed offset, to save."""
        return {topic_id: state.committed for topic_id, state in self.topics.items()}

    def release(self, consumer: Hashable) -> int:
        """The consumer went away: redeliver its offsets of every topic; return how many."""
        return sum(state.release(consumer) for state in self.topics.values())

    def expire(self, now: float) -> int:
        """Redeliver offsets of every topic past their deadline; return how many."""
        return sum(state.expire(now) for state in self.topics.values())

    def in_flight(self) -> int:
        """How many offsets are in flight across every topic."""
        return sum(state.in_flight() for state in self.topics.values())

    def next_deadline(self) -> float | None:
        """The earliest deadline of an offset in flight in any topic, or None."""
        deadlines = [
            d for state in self.topics.values() if (d := state.next_deadline()) is not None
        ]
        return min(deadlines, default=None)
