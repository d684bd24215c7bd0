"""The server's live consumer groups: delivery state in memory, committed offsets on disk.

A group is loaded when its first subscriber joins and stays loaded (its state is small and
bounded). Committed offsets are saved to ``groups.db`` a few times a second and at shutdown; a
crash can lose only the last fraction of a second of acks, which means those events are
delivered again (at-least-once), never lost.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field

from embedded_broker.core.group_delivery import GroupDelivery, GroupKey, TopicDelivery
from embedded_broker.storage.event_store import EventStore
from embedded_broker.storage.group_offsets import GroupOffsets, GroupRecord


@dataclass(slots=True)
class LiveGroup:
    """A loaded consumer group."""

    key: GroupKey
    record: GroupRecord
    delivery: GroupDelivery
    saved: dict[bytes, int] = field(default_factory=dict)

    def topic(self, store: EventStore, topic_id: bytes) -> TopicDelivery:
        """The group's state for a topic; a topic new to the group starts at its current end."""
        return self.delivery.topic(topic_id, store.topic(topic_id).stats.events)

    @property
    def timeout_s(self) -> float:
        """How long a consumer has to ack before an event is delivered again."""
        return self.record.delivery_timeout_s


class ConsumerGroups:
    """Every loaded group of the server. Use from the event loop only."""

    def __init__(self, offsets: GroupOffsets, store: EventStore, executor: Executor) -> None:
        self._offsets = offsets
        self._store = store
        self._executor = executor
        self._groups: dict[GroupKey, LiveGroup] = {}
        self._loading: dict[GroupKey, asyncio.Future[LiveGroup]] = {}

    async def join(self, key: GroupKey, timeout_s: float | None) -> LiveGroup:
        """Load (once) and return a group; a given delivery timeout replaces the stored one.

        Members that join at the same moment get the same group.
        """
        group = self._groups.get(key)
        if group is not None and (timeout_s is None or timeout_s == group.timeout_s):
            return group
        loop = asyncio.get_running_loop()
        record, _ = await loop.run_in_executor(
            self._executor, self._offsets.ensure_group, key.project_id, key.name, timeout_s
        )
        # Members joining at the same moment (replicas of a new service) all wait above; the
        # first may have loaded the group meanwhile, and the others must share it: two states
        # of one group would each deliver every event.
        group = self._groups.get(key)
        if group is not None:
            group.record = record
            return group
        if key in self._loading:
            return await asyncio.shield(self._loading[key])
        future: asyncio.Future[LiveGroup] = loop.create_future()
        self._loading[key] = future
        try:
            committed = await loop.run_in_executor(self._executor, self._offsets.load, record.id)
            delivery = GroupDelivery(record.delivery_timeout_s)
            for topic_id, offset in committed.items():
                delivery.topic(topic_id, offset)
            group = LiveGroup(key, record, delivery, dict(committed))
            self._groups[key] = group
            future.set_result(group)
            return group
        except BaseException as exc:
            future.set_exception(exc)
            raise
        finally:
            del self._loading[key]

    def expire(self, now: float | None = None) -> set[bytes]:
        """Send timed-out deliveries back for redelivery; return the topics that have some."""
        moment = time.monotonic() if now is None else now
        woken: set[bytes] = set()
        for group in self._groups.values():
            for topic_id, delivery in group.delivery.topics.items():
                if delivery.expire(moment):
                    woken.add(topic_id)
        return woken

    def lags(self, end_offset: Callable[[bytes], int | None]) -> dict[bytes, dict[str, int]]:
        """Topic id -> group name -> events not yet acked by the group."""
        result: dict[bytes, dict[str, int]] = {}
        for group in self._groups.values():
            for topic_id, delivery in group.delivery.topics.items():
                end = end_offset(topic_id)
                if end is not None:
                    result.setdefault(topic_id, {})[group.key.name] = delivery.lag(end)
        return result

    def forget_topic(self, topic_id: bytes) -> None:
        """Drop a destroyed topic from every group, in memory (its rows go with ``save``)."""
        for group in self._groups.values():
            group.delivery.forget_topic(topic_id)
            group.saved.pop(topic_id, None)
        self._offsets.forget_topic(topic_id)

    async def save(self) -> None:
        """Write every group's advanced committed offsets to disk."""
        loop = asyncio.get_running_loop()
        for group in list(self._groups.values()):
            committed = group.delivery.committed_offsets()
            changed = {t: o for t, o in committed.items() if group.saved.get(t) != o}
            if changed:
                await loop.run_in_executor(
                    self._executor, self._offsets.save, group.record.id, changed
                )
                group.saved.update(changed)
