"""Logging in over the auth endpoint, and asking a broker whether a key is usable."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from dataclasses import replace

import pytest

from embedded_broker.auth.rate_limit import FREE_FAILURES
from tests.serve_process import BrokerProcess, create_key, revoke_key
from tests.workbench.conftest import running_broker, settings_for
from workbench.client.authentication import authenticate, key_is_usable
from workbench.client.broker_client import BrokerClient
from workbench.client.errors import AuthError, KeyRefused, Unavailable


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    with running_broker(tmp_path_factory, "auth") as process:
        yield process


def test_a_good_key_is_usable_and_logs_in(broker: BrokerProcess) -> None:
    settings = settings_for(broker, create_key(broker.data_dir, "demo", "topics:read"))
    assert key_is_usable(settings)
    assert authenticate(settings).count(".") == 2  # a JWT


def test_a_wrong_secret_or_an_unknown_key_is_not_usable(broker: BrokerProcess) -> None:
    settings = settings_for(broker, create_key(broker.data_dir, "demo", "topics:read"))
    assert not key_is_usable(replace(settings, client_secret=settings.client_secret[::-1]))
    assert not key_is_usable(replace(settings, client_id="NoSuchClientIdAtAll"))
    with pytest.raises(KeyRefused, match="refused the key"):
        authenticate(replace(settings, client_secret="wrong"))


def test_a_revoked_key_is_not_usable(broker: BrokerProcess) -> None:
    settings = settings_for(broker, create_key(broker.data_dir, "demo", "topics:read"))
    assert key_is_usable(settings)
    revoke_key(broker.data_dir, settings.client_id)
    assert not key_is_usable(settings)


def test_a_broker_that_cannot_be_asked_is_an_error_not_a_refusal(broker: BrokerProcess) -> None:
    settings = settings_for(broker, create_key(broker.data_dir, "demo", "topics:read"))
    with pytest.raises(AuthError) as malformed:  # HTTP 400: an empty ClientID
        key_is_usable(replace(settings, client_id=""))
    assert not isinstance(malformed.value, KeyRefused)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(Unavailable, match="cannot reach the broker's auth endpoint"):
        key_is_usable(replace(settings, auth_url=f"http://127.0.0.1:{port}"))


def test_a_connected_client_renews_through_refresh_while_its_key_is_locked_out(
    broker: BrokerProcess,
) -> None:
    """Wrong secrets for the workbench's key lock logins out for a while; its session goes on."""
    settings = settings_for(broker, create_key(broker.data_dir, "demo", "topics:read"))

    async def scenario() -> None:
        client = BrokerClient(settings)
        try:
            await client.topics()
            for _ in range(FREE_FAILURES + 1):
                with pytest.raises(AuthError):
                    authenticate(replace(settings, client_secret="wrong"))
            with pytest.raises(AuthError, match="too many failed logins"):
                authenticate(settings)
            client._expires = 0.0  # the access token is due for renewal
            await client.topics()
        finally:
            await client.close()

    asyncio.run(scenario())
