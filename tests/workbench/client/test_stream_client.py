"""The Ensign client is a StreamClient, and says what it can do."""

from __future__ import annotations

import asyncio

import pytest

from workbench.client.broker_client import BrokerClient
from workbench.client.broker_rules import topic_id_text
from workbench.client.connection_settings import ConnectionSettings
from workbench.client.errors import Unsupported
from workbench.client.stream_client import Capability, StreamClient


def test_broker_client_is_a_stream_client_with_ensign_capabilities() -> None:
    settings = ConnectionSettings("127.0.0.1:1", "http://127.0.0.1:2", "id", "secret")

    async def make() -> StreamClient:
        return BrokerClient(settings)  # mypy checks the protocol here; grpc wants a loop

    client = asyncio.run(make())
    assert isinstance(client, StreamClient)
    assert client.kind == "Ensign"
    assert client.address == "127.0.0.1:1"
    assert client.ensign_settings is settings
    assert Capability.SERVER_QUERY in client.capabilities
    assert Capability.KEY_ADMIN in client.capabilities
    assert Capability.REPLICAS not in client.capabilities
    topic_id = bytes(range(16))
    assert client.topic_ref(topic_id) == topic_id_text(topic_id)
    assert len(client.topic_ref(topic_id)) == 26
    assert Capability.SUBJECTS not in client.capabilities
    with pytest.raises(Unsupported):
        client.subject_target(topic_id, "orders.eu")


def test_topic_id_text_shows_a_stream_name_as_itself() -> None:
    assert topic_id_text(b"orders") == "orders"
