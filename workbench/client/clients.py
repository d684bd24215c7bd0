"""A client for a connection's settings, whichever engine they name."""

from __future__ import annotations

from workbench.client.broker_client import BrokerClient
from workbench.client.connection_settings import ConnectionSettings
from workbench.client.jetstream_client import JetStreamClient
from workbench.client.jetstream_settings import JetStreamSettings
from workbench.client.stream_client import StreamClient

AnySettings = ConnectionSettings | JetStreamSettings
"""An Ensign broker's settings or a NATS JetStream cluster's."""


def client_for(settings: AnySettings) -> StreamClient:
    """A client (not yet logged in) for an Ensign broker or a NATS JetStream cluster."""
    if isinstance(settings, JetStreamSettings):
        return JetStreamClient(settings)
    return BrokerClient(settings)


def settings_address(settings: AnySettings) -> str:
    """Where the settings point, for people."""
    if isinstance(settings, JetStreamSettings):
        return settings.address
    return settings.grpc_address
