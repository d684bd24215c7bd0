"""Field series fed from a real broker: exactly the values published, the rest counted."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest

from tests.serve_process import BrokerProcess, create_key
from tests.workbench.conftest import running_broker, settings_for
from workbench.client.broker_client import BrokerClient
from workbench.client.records import NewEvent
from workbench.models.field_feed import TopicFollower
from workbench.models.field_series import OTHER, FieldKind, FieldSeries

VALUES = [1, 2.5, "x", None, {"nested": 1}, 4, -7.25, True]
"""Numbers 1, 2.5, 4, -7.25; skipped: text, null, an object, a bool; plus one event without
the field and one that is not JSON at all (below)."""


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    with running_broker(tmp_path_factory, "fields") as process:
        yield process


def _events() -> list[NewEvent]:
    events = [
        NewEvent(json.dumps({"reading": {"v": v}, "kind": f"k{i % 3}"}).encode(), 50)
        for i, v in enumerate(VALUES)
    ]
    events.append(NewEvent(json.dumps({"kind": "k0"}).encode(), 50))  # no reading
    events.append(NewEvent(b"\x00\xff not json", 0))
    return events


def test_a_numeric_field_plots_exactly_the_numbers_and_counts_the_rest(
    broker: BrokerProcess,
) -> None:
    async def main() -> tuple[FieldSeries, FieldSeries, TopicFollower]:
        client = BrokerClient(settings_for(broker, create_key(broker.data_dir, "demo", "all")))
        await client.login()
        try:
            topic = await client.create_topic("readings")
            await client.publish(topic, _events())
            numbers = FieldSeries(topic, "readings", "reading.v")
            kinds = FieldSeries(topic, "readings", "kind")
            follower = TopicFollower(client, topic, [numbers, kinds])
            await follower.backfill()
            await client.publish(topic, [NewEvent(b'{"reading": {"v": 99}, "kind": "late"}', 50)])
            await follower.poll()
            return numbers, kinds, follower
        finally:
            await client.close()

    numbers, kinds, follower = asyncio.run(main())
    assert numbers.kind is FieldKind.NUMERIC
    _, values = numbers.window(0)
    assert values.tolist() == [1, 2.5, 4, -7.25, 99]
    assert (numbers.points, numbers.skipped, numbers.missing) == (5, 4, 2)
    assert kinds.kind is FieldKind.CATEGORICAL
    assert dict(kinds.counts(0)) == {"k0": 4, "k1": 3, "k2": 2, "late": 1}
    assert (kinds.missing, follower.read, follower.skipped) == (1, 11, 0)


def test_a_flood_is_sampled_from_its_newest_events_and_says_so(broker: BrokerProcess) -> None:
    async def main() -> tuple[FieldSeries, TopicFollower]:
        client = BrokerClient(settings_for(broker, create_key(broker.data_dir, "demo", "all")))
        await client.login()
        try:
            topic = await client.create_topic("flood")
            series = FieldSeries(topic, "flood", "n")
            follower = TopicFollower(client, topic, [series], max_per_poll=100)
            await follower.backfill()
            await client.publish(
                topic, [NewEvent(f'{{"n": {i}}}'.encode(), 50) for i in range(1000)]
            )
            await follower.poll()
            return series, follower
        finally:
            await client.close()

    series, follower = asyncio.run(main())
    _, values = series.window(0)
    assert values.tolist() == list(range(900, 1000))
    assert follower.skipped == 900


def test_memory_is_bounded_by_capacity_and_categories() -> None:
    series = FieldSeries(b"t" * 16, "t", "v", capacity=10)
    for i in range(25):
        series.take(i * 1000, {"v": i})
    times, values = series.window(0)
    assert values.tolist() == list(range(15, 25)) and times.tolist() == list(range(15, 25))
    categories = FieldSeries(b"t" * 16, "t", "v")
    for i in range(100):
        categories.take(0, {"v": f"value-{i}"})
    counted = dict(categories.counts(0))
    assert len(counted) <= 25 and counted[OTHER] == 100 - 24
