"""A NATS server that wants TLS: trusted through the profile's CA file, refused without it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from embedded_broker.crypto.tls_certificate import ensure_certificate
from tests.nats_cluster import NatsCluster, running_nats
from workbench.client.errors import Unavailable
from workbench.client.jetstream_client import JetStreamClient
from workbench.client.jetstream_settings import JetStreamSettings


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[NatsCluster, Path]]:
    """One server with a self-signed certificate for 127.0.0.1 (its own CA)."""
    material = ensure_certificate(tmp_path_factory.mktemp("tls"))
    config = (
        "jetstream: enabled\n"
        f'tls {{ cert_file: "{material.cert_path}", key_file: "{material.key_path}" }}\n'
    )
    with running_nats(1, config) as server:
        yield server, material.cert_path


def test_the_ca_file_makes_a_tls_connection_and_without_it_the_server_is_not_trusted(
    tls_server: tuple[NatsCluster, Path],
) -> None:
    server, ca = tls_server
    url = server.urls[0].replace("nats://", "tls://")

    async def scenario() -> None:
        client = JetStreamClient(JetStreamSettings((url,), ca_file=str(ca)))
        await client.login()
        try:
            topic = await client.create_topic("secure")
            assert (await client.publish(topic, [])).count == 0
            info = await client.broker_info()
            assert info.tls and info.version.startswith("nats-server 2.")
        finally:
            await client.close()
        untrusted = JetStreamClient(JetStreamSettings((url,)))
        with pytest.raises(Unavailable, match="certificate"):
            await untrusted.login()

    asyncio.run(scenario())
