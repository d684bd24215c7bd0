"""A three-node JetStream cluster on loopback for the module's tests (Debian's nats-server)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.nats_cluster import NatsCluster, running_nats
from workbench.client.jetstream_settings import JetStreamSettings


@pytest.fixture(scope="session")
def nats_cluster() -> Iterator[NatsCluster]:
    with running_nats(3) as cluster:
        yield cluster


@pytest.fixture
def js_settings(nats_cluster: NatsCluster) -> JetStreamSettings:
    """Settings that reach every server of the cluster."""
    return JetStreamSettings(tuple(node.url for node in nats_cluster.running()))
