"""A generator run to a replicated stream survives losing a server in the middle."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable, Iterator

import pytest

from tests.nats_cluster import NatsCluster, running_nats
from workbench.client.broker_client import encode_event
from workbench.client.jetstream_client import JetStreamClient
from workbench.client.jetstream_settings import JetStreamSettings
from workbench.client.records import NewEvent
from workbench.models.event_generator import EventGenerator, GeneratorSettings, RunState
from workbench.models.rate_shapes import RateShape

COUNT = 20_000
RATE = 4_000


@pytest.fixture
def own_cluster() -> Iterator[NatsCluster]:
    """A cluster of its own: this test kills one of its servers."""
    with running_nats(3) as cluster:
        yield cluster


def _numbered() -> Callable[[int], list[bytes]]:
    counter = [0]

    def source(n: int) -> list[bytes]:
        first = counter[0]
        counter[0] += n
        return [
            encode_event(NewEvent(json.dumps({"n": i}).encode(), metadata={"n": str(i)}))
            for i in range(first, first + n)
        ]

    return source


def test_killing_a_server_mid_run_loses_and_duplicates_nothing(
    own_cluster: NatsCluster,
) -> None:
    async def scenario() -> None:
        client = JetStreamClient(JetStreamSettings(tuple(own_cluster.urls)))
        await client.login()
        try:
            topic = await client.create_topic("faults", replicas=3)
            info = await client._api("$JS.API.STREAM.INFO.faults")
            leader = str(info["cluster"]["leader"])
            victim = next(i for i, n in enumerate(own_cluster.nodes) if n.name == leader)
            generator = EventGenerator(
                client,
                _numbered(),
                GeneratorSettings(
                    topic, count=COUNT, shape=RateShape(rate=RATE), batch_max=200, in_flight=4
                ),
            )
            run = asyncio.ensure_future(generator.run())
            while generator.stats().acked < COUNT // 4:
                await asyncio.sleep(0.05)
            own_cluster.kill(victim)  # the stream's leader, mid-run
            killed_at = generator.stats().acked
            stats = await asyncio.wait_for(run, 120)

            assert stats.state is RunState.DONE, stats.failure
            assert (stats.acked, stats.nacked, stats.lost) == (COUNT, 0, 0)
            assert killed_at < COUNT  # the kill really came mid-run

            rows = await client.topics()
            faults = next(t for t in rows if t.name == "faults")
            assert faults.events == COUNT
            numbers: Counter[int] = Counter()
            offset = 1
            while True:
                page = await client.read_events(topic, offset=offset, limit=1000)
                if not page.events:
                    break
                numbers.update(int(e.metadata["n"]) for e in page.events)
                offset = page.next_offset
            assert set(numbers) == set(range(COUNT))
            assert max(numbers.values()) == 1  # every acknowledged event exactly once
            tail_page = await client.read_events(topic, from_end=True, limit=5)
            assert [e.offset for e in tail_page.events] == list(
                range(faults.last_offset - 4, faults.last_offset + 1)
            )
        finally:
            await client.close()

    asyncio.run(scenario())
