"""Every read path of the workbench reads what was acknowledged, however large its events.

Each ReadEvents reply is bounded by bytes (the broker's ``PAGE_BYTES``); the client completes a
page cut short, so the table's pages, its last page and the exports see every event.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from embedded_broker.core.model import MAX_EVENT_SIZE
from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event
from embedded_broker.proto.mimetype.v1beta1.mimetype_pb2 import APPLICATION_OCTET_STREAM
from tests.serve_process import BrokerProcess, create_key
from tests.workbench.conftest import running_broker, settings_for
from workbench.client.broker_client import BrokerClient
from workbench.client.records import NewEvent
from workbench.models.event_export import topic_events


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    with running_broker(tmp_path_factory, "large-reads") as process:
        yield process


def _largest(seq: int) -> bytes:
    """An encoded event of exactly ``MAX_EVENT_SIZE`` bytes."""
    event = Event(data=b"", metadata={"seq": str(seq)}, mimetype=APPLICATION_OCTET_STREAM)
    event.data = b"x" * (MAX_EVENT_SIZE - event.ByteSize() - 5)  # 5: the data field's tag, length
    encoded = event.SerializeToString()
    assert len(encoded) == MAX_EVENT_SIZE
    return encoded


def test_pages_of_huge_and_of_many_large_events_read_whole(broker: BrokerProcess) -> None:
    key = create_key(broker.data_dir, "reads", "all")

    async def scenario() -> None:
        client = BrokerClient(settings_for(broker, key))
        try:
            huge = await client.create_topic("huge")
            await client.publish_encoded(huge, [_largest(1)])
            await client.publish_encoded(huge, [_largest(2)])
            await client.publish(huge, [NewEvent(b"small")])
            wide = await client.create_topic("wide")
            row = b"y" * 48_000
            for start in range(0, 250, 50):
                await client.publish(
                    wide, [NewEvent(row, metadata={"n": str(n)}) for n in range(start, start + 50)]
                )

            first = await client.read_events(huge, offset=1, limit=200)
            assert [len(e.data) for e in first.events][2:] == [5]
            assert [e.offset for e in first.events] == [1, 2, 3] and first.next_offset == 4
            last = await client.read_events(huge, from_end=True, limit=200)
            assert [e.offset for e in last.events] == [1, 2, 3]

            table = await client.read_events(wide, offset=1, limit=200)
            assert [e.offset for e in table.events] == list(range(1, 201))
            assert table.next_offset == 201 and all(e.data == row for e in table.events)
            tail = await client.read_events(wide, from_end=True, limit=200)
            assert [e.offset for e in tail.events] == list(range(51, 251))
            by_time = await client.read_events(wide, after_ms=0, limit=200)
            assert len(by_time.events) == 200
            exported = [e.offset async for e in topic_events(client, wide, page_size=1000)]
            assert exported == list(range(1, 251))
            exported = [e.offset async for e in topic_events(client, huge)]
            assert exported == [1, 2, 3]
        finally:
            await client.close()

    asyncio.run(scenario())
