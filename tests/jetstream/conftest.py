"""A three-node JetStream cluster on loopback for the module's tests (Debian's nats-server)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.nats_cluster import NatsCluster, server_binary
from workbench.client.jetstream_settings import JetStreamSettings


@pytest.fixture(scope="session")
def nats_cluster() -> Iterator[NatsCluster]:
    if server_binary() is None:
        pytest.skip("nats-server is not installed: apt-get install nats-server")
    cluster = NatsCluster.start(3)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def js_settings(nats_cluster: NatsCluster) -> JetStreamSettings:
    """Settings that reach every server of the cluster."""
    return JetStreamSettings(tuple(node.url for node in nats_cluster.running()))
