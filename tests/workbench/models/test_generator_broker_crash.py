"""A broker killed in the middle of a generator's run: the run reports exactly which events were
acknowledged, once the broker is back, even those it stored but never acknowledged."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from tests.ack_holding_proxy import ack_holding_proxy
from tests.serve_process import create_key, start_broker
from tests.workbench.conftest import settings_for
from tests.workbench.models.test_event_generator import _numbered
from workbench.client.broker_client import BrokerClient, encode_event
from workbench.client.connection_settings import ConnectionSettings
from workbench.client.records import NewEvent
from workbench.models.event_generator import EventGenerator, GeneratorSettings, RunState


async def _stored(client: BrokerClient, topic_id: bytes) -> list[bytes]:
    stored: list[bytes] = []
    offset = 1
    while True:
        page = await client.read_events(topic_id, offset=offset, limit=1000)
        stored += [e.data for e in page.events]
        if not page.events or page.next_offset > page.last_offset:
            return stored
        offset = page.next_offset


def _alike(n: int) -> list[bytes]:
    """Events all alike, to the byte (an import of one line again and again)."""
    return [encode_event(NewEvent(b'{"same": true}', 50, "Same", created_ms=1_000))] * n


@pytest.mark.parametrize(
    ("held", "events"), [("replies", "numbered"), ("requests", "numbered"), ("requests", "alike")]
)
def test_unanswered_batches_are_counted_as_stored_or_not_once_the_broker_is_back(
    tmp_path: Path, held: str, events: str
) -> None:
    """Replies held: the broker stores the batches in flight and its acks never arrive.
    Requests held: the batches in flight never reach it. Events alike: an unanswered batch
    looks like acknowledged ones, byte for byte, and is still not taken for one of them."""
    data_dir = tmp_path / "broker"
    broker = start_broker(data_dir)
    key = create_key(data_dir, "demo", "all")

    async def main() -> None:
        direct = BrokerClient(settings_for(broker, key))
        await direct.login()
        topic = await direct.create_topic("crash")
        await direct.close()
        with ack_holding_proxy(broker.grpc_address) as proxy:
            through = ConnectionSettings(
                proxy.address, broker.auth_url, key["client_id"], key["client_secret"]
            )
            client = BrokerClient(through)
            await client.login()
            settings = GeneratorSettings(topic, batch_max=100, in_flight=4)
            source = _numbered([0]) if events == "numbered" else _alike
            generator = EventGenerator(client, source, settings)
            run = asyncio.ensure_future(generator.run())
            while generator.stats().acked < 1_000:
                await asyncio.sleep(0.01)
            if held == "replies":
                proxy.hold_replies()
            else:
                proxy.hold_requests()
            await asyncio.sleep(1.0)
            broker.stop(signal.SIGKILL)
            stats = await asyncio.wait_for(run, 30)
            await client.close()
        assert stats.state is RunState.FAILED and stats.lost > 0

        restarted = start_broker(data_dir)
        try:
            client = BrokerClient(settings_for(restarted, key))
            await client.login()
            stored = await _stored(client, topic)
            settled = await generator.settle(client)
            await client.close()
        finally:
            restarted.stop()
        if held == "replies":
            assert len(stored) > stats.acked, "the broker stored events it never acknowledged"
        else:
            assert len(stored) == stats.acked and settled.unstored == stats.lost
        assert settled.acked == len(stored)
        assert settled.settled == len(stored) - stats.acked
        assert settled.lost == 0 and settled.acked + settled.unstored == settled.sent
        if events == "numbered":
            assert len(set(stored)) == len(stored), "nothing stored twice"

    asyncio.run(main())
