"""Subscriptions and consumer groups, in-process: delivery after commit, sharing, redelivery."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from embedded_broker.auth.permissions import Permission
from embedded_broker.core.errors import InvalidArgument, NotFound, PermissionDenied
from embedded_broker.core.model import EventRecord
from embedded_broker.engine.publishing import publish_batch
from embedded_broker.engine.subscriptions import GroupSpec, Subscription, SubscriptionRequest
from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event
from tests.conftest import make_event
from tests.engine.conftest import Engine, Scenario


class Member:
    """A running subscription that records what it receives and settles from a queue."""

    def __init__(self, subscription: Subscription) -> None:
        self.received: list[EventRecord] = []
        self.projected: list[Event | None] = []
        self.settle: asyncio.Queue[tuple[bytes, bool] | None] = asyncio.Queue()
        self.arrived = asyncio.Event()
        self.task = asyncio.create_task(subscription.run(self._deliver, self._settlements()))

    async def _deliver(self, record: EventRecord, event: Event | None) -> None:
        self.received.append(record)
        self.projected.append(event)
        self.arrived.set()

    async def _settlements(self) -> AsyncIterator[tuple[bytes, bool]]:
        while (item := await self.settle.get()) is not None:
            yield item

    def data(self) -> list[bytes]:
        return [r.event.data for r in self.received]

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def _publish(e: Engine, topic_id: bytes, *datas: str) -> None:
    bodies = [make_event(d, {"n": d}).SerializeToString() for d in datas]
    await publish_batch(e.broker, e.caller(Permission.PUBLISHER), topic_id, bodies)


async def _until(condition: Callable[[], bool], timeout_s: float = 10) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(0.01)


def test_a_subscriber_gets_what_is_committed_after_it_subscribed(
    engine: Callable[[Scenario], None],
) -> None:
    async def scenario(e: Engine) -> None:
        topic = await e.broker.change(e.broker.store.create_topic, e.project_id, "orders")
        await _publish(e, topic.id, "before")
        request = SubscriptionRequest(topics=["orders"])
        member = Member(await Subscription.open(e.broker, e.caller(), request))
        await _publish(e, topic.id, "one", "two")
        await _until(lambda: len(member.received) == 2)
        await _publish(e, topic.id, "three")
        await _until(lambda: len(member.received) == 3)
        assert member.data() == [b"one", b"two", b"three"]
        assert e.broker.subscribers[topic.id] == {"": 1}
        await member.stop()
        assert e.broker.subscribers[topic.id] == {}

    engine(scenario)


def test_a_query_filters_and_shapes_what_is_delivered(engine: Callable[[Scenario], None]) -> None:
    async def scenario(e: Engine) -> None:
        await e.broker.change(e.broker.store.create_topic, e.project_id, "orders")
        request = SubscriptionRequest(query="SELECT n FROM orders WHERE n = 'b'")
        member = Member(await Subscription.open(e.broker, e.caller(), request))
        topic = e.broker.store.topic_by_name(e.project_id, "orders")
        await _publish(e, topic.id, "a", "b", "c")
        await _until(lambda: len(member.received) == 1)
        await asyncio.sleep(0.2)
        assert member.data() == [b"b"]
        projected = member.projected[0]
        assert projected is not None and dict(projected.metadata) == {"n": "b"}

    engine(scenario)


def test_group_members_share_events_and_nacked_ones_come_again(
    engine: Callable[[Scenario], None],
) -> None:
    async def scenario(e: Engine) -> None:
        topic = await e.broker.change(e.broker.store.create_topic, e.project_id, "orders")
        request = SubscriptionRequest(topics=["orders"], group=GroupSpec("workers"))
        first = Member(await Subscription.open(e.broker, e.caller(), request))
        second = Member(await Subscription.open(e.broker, e.caller(), request))
        await _publish(e, topic.id, *[str(i) for i in range(600)])
        await _until(lambda: len(first.received) + len(second.received) >= 600)
        everything = sorted(int(d) for d in first.data() + second.data())
        assert everything == list(range(600))  # each event once, shared out
        assert first.received and second.received
        # The first member nacks one event: it is delivered again, to some member.
        nacked = first.received[0]
        await first.settle.put((nacked.id, False))
        await _until(lambda: len(first.received) + len(second.received) == 601)
        offsets = [r.offset for r in first.received + second.received]
        assert offsets.count(nacked.offset) == 2 and len(set(offsets)) == 600
        lag = e.broker.groups.lags(lambda _t: 600)[topic.id]["workers"]
        assert lag == 600  # nothing acked yet
        for member in (first, second):
            for record in member.received:
                await member.settle.put((record.id, True))
        await _until(lambda: e.broker.groups.lags(lambda _t: 600)[topic.id]["workers"] == 0)

    engine(scenario)


def test_an_event_not_acked_in_time_is_delivered_again(engine: Callable[[Scenario], None]) -> None:
    async def scenario(e: Engine) -> None:
        topic = await e.broker.change(e.broker.store.create_topic, e.project_id, "orders")
        group = GroupSpec("slow", delivery_timeout_s=0.2)
        request = SubscriptionRequest(topics=["orders"], group=group)
        member = Member(await Subscription.open(e.broker, e.caller(), request))
        await _publish(e, topic.id, "once")
        await _until(lambda: len(member.received) == 1)
        await asyncio.sleep(0.3)
        woken = e.broker.groups.expire()  # what the broker's housekeeping does 4 times a second
        assert woken == {topic.id}
        e.broker.signals.wake(woken)
        await _until(lambda: len(member.received) == 2)
        assert member.data() == [b"once", b"once"]

    engine(scenario)


def test_a_new_group_starts_at_the_end_and_a_known_one_resumes(
    engine: Callable[[Scenario], None],
) -> None:
    async def scenario(e: Engine) -> None:
        topic = await e.broker.change(e.broker.store.create_topic, e.project_id, "orders")
        await _publish(e, topic.id, "old")
        request = SubscriptionRequest(topics=["orders"], group=GroupSpec("g"))
        member = Member(await Subscription.open(e.broker, e.caller(), request))
        await _publish(e, topic.id, "new")
        await _until(lambda: len(member.received) == 1)
        await member.settle.put((member.received[0].id, True))
        await _until(lambda: e.broker.groups.lags(lambda _t: 2)[topic.id]["g"] == 0)
        await member.stop()
        await _publish(e, topic.id, "while away")
        again = Member(await Subscription.open(e.broker, e.caller(), request))
        await _until(lambda: len(again.received) == 1)
        assert member.data() == [b"new"] and again.data() == [b"while away"]

    engine(scenario)


def test_destroying_a_subscribed_topic_ends_the_subscription(
    engine: Callable[[Scenario], None],
) -> None:
    async def scenario(e: Engine) -> None:
        topic = await e.broker.change(e.broker.store.create_topic, e.project_id, "orders")
        member = Member(
            await Subscription.open(e.broker, e.caller(), SubscriptionRequest(["orders"]))
        )
        await asyncio.sleep(0.05)
        await e.broker.change(e.broker.store.destroy_topic, topic.id)
        e.broker.signals.wake([topic.id])
        with pytest.raises(NotFound, match="destroyed"):
            await asyncio.wait_for(member.task, 5)

    engine(scenario)


@pytest.mark.parametrize(
    ("request_", "permissions", "error", "words"),
    [
        (SubscriptionRequest(["orders"]), [Permission.PUBLISHER], PermissionDenied, "subscriber"),
        (SubscriptionRequest(), [], InvalidArgument, "at least one topic"),
        (SubscriptionRequest(["nope"]), [], NotFound, "unknown topic 'nope'"),
        (SubscriptionRequest(query="SELECT FROM"), [], InvalidArgument, "expected"),
    ],
)
def test_bad_subscriptions_are_refused(
    engine: Callable[[Scenario], None],
    request_: SubscriptionRequest,
    permissions: list[Permission],
    error: type[Exception],
    words: str,
) -> None:
    async def scenario(e: Engine) -> None:
        await e.broker.change(e.broker.store.create_topic, e.project_id, "orders")
        with pytest.raises(error, match=words):
            await Subscription.open(e.broker, e.caller(*permissions), request_)

    engine(scenario)


def test_members_that_join_a_new_group_at_once_share_one_delivery(
    engine: Callable[[Scenario], None],
) -> None:
    """Four replicas of a new service start together: each event goes to one of them."""

    async def scenario(e: Engine) -> None:
        broker = e.broker
        topic = await e.create_topic("jobs")
        callers = [e.caller() for _ in range(4)]
        # Joins finish at different moments, as on a busy machine: the first member's group is
        # loaded before the others' calls return.
        ensure_group, calls = broker.group_offsets.ensure_group, iter(range(1_000_000))

        def uneven_ensure_group(*args: Any) -> Any:
            if next(calls) % 4:
                time.sleep(0.05)
            return ensure_group(*args)

        broker.group_offsets.ensure_group = uneven_ensure_group  # type: ignore[method-assign]
        for trial in range(6):
            group = GroupSpec(name=f"replicas-{trial}")
            request = SubscriptionRequest(topics=["jobs"], group=group)
            opened = await asyncio.gather(
                *(Subscription.open(broker, caller, request) for caller in callers)
            )
            members = [Member(subscription) for subscription in opened]
            jobs = [f"job-{trial}-{i}" for i in range(50)]
            await _publish(e, topic.id, *jobs)
            await _until(lambda: sum(len(m.received) for m in members) >= 50)  # noqa: B023
            await asyncio.sleep(0.2)  # a second delivery of any event would arrive by now
            received = [data for member in members for data in member.data()]
            assert sorted(received) == sorted(job.encode() for job in jobs), f"trial {trial}"
            for member in members:
                await member.stop()

    engine(scenario)
