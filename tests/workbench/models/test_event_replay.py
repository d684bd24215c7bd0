"""Replay against a real broker: a topic or a query's rows copied whole, in order, fast or paced."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator

import pytest

from tests.serve_process import BrokerProcess, create_key
from tests.workbench.conftest import running_broker, settings_for
from workbench.client.broker_client import BrokerClient
from workbench.client.records import EventRow, NewEvent
from workbench.models.event_export import topic_events
from workbench.models.event_replay import Replay


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    with running_broker(tmp_path_factory, "replay") as process:
        yield process


def _client(broker: BrokerProcess) -> BrokerClient:
    return BrokerClient(settings_for(broker, create_key(broker.data_dir, "demo", "all")))


def _whole(row: EventRow) -> tuple[object, ...]:
    return (row.data, row.mimetype, row.type_name, row.type_version, row.metadata, row.created_ms)


def test_a_topic_is_copied_whole_and_in_order(broker: BrokerProcess) -> None:
    async def main() -> None:
        client = _client(broker)
        await client.login()
        source = await client.create_topic("source")
        target = await client.create_topic("copy")
        events = [
            NewEvent(
                f"e{i}".encode(),
                50 if i % 2 else 1,
                f"T{i % 3}",
                f"1.{i}.0",
                {"i": str(i)},
                created_ms=1_700_000_000_000 + i,
            )
            for i in range(1_234)
        ]
        for start in range(0, len(events), 500):
            await client.publish(source, events[start : start + 500])
        progress = await Replay(client, target, topic_events(client, source)).run()
        assert (progress.read, progress.published, progress.failure) == (1_234, 1_234, "")
        copied = [row async for row in topic_events(client, target)]
        original = [row async for row in topic_events(client, source)]
        assert [_whole(r) for r in copied] == [_whole(r) for r in original]

        # A query's rows, 10 times faster than they were published (about 0.3 s apart).
        paced_source = await client.create_topic("paced-source")
        for i in range(3):
            await client.publish(paced_source, [NewEvent(f"p{i}".encode(), metadata={"k": "y"})])
            await asyncio.sleep(0.3)
        paced_target = await client.create_topic("paced-copy")
        query = client.query("SELECT * FROM paced-source WHERE k = 'y'")
        done = await Replay(client, paced_target, query, factor=10).run()
        assert done.published == 3
        rows = [row async for row in topic_events(client, paced_target)]
        assert [r.data for r in rows] == [b"p0", b"p1", b"p2"]
        # Paced, not as fast as possible; and faster than the original 300 ms apart.
        gaps = [b.committed_ms - a.committed_ms for a, b in itertools.pairwise(rows)]
        assert all(20 <= gap < 300 for gap in gaps), gaps
        await client.close()

    asyncio.run(main())


def test_a_refused_replay_says_why(broker: BrokerProcess) -> None:
    async def main() -> None:
        client = _client(broker)
        await client.login()
        source = await client.create_topic("from")
        target = await client.create_topic("closed")
        await client.publish(source, [NewEvent(b"x")])
        await client.archive_topic(target)
        progress = await Replay(client, target, topic_events(client, source)).run()
        assert progress.published == 0 and progress.failure.startswith("TOPIC_ARCHIVED")
        with pytest.raises(ValueError, match=r"0\.1 to 100"):
            Replay(client, target, topic_events(client, source), factor=500)
        await client.close()

    asyncio.run(main())
