"""Testing a key against a real broker: the matrix follows the key's permissions, and the check
leaves no trace (no event, no topic created or destroyed)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.serve_process import BrokerProcess, create_key
from tests.workbench.conftest import running_broker, settings_for
from workbench.client.broker_client import BrokerClient
from workbench.client.connection_settings import ConnectionSettings
from workbench.client.records import NewEvent, TopicRow
from workbench.models.key_check import (
    OPERATIONS,
    CheckResult,
    check_key,
    expected_results,
)
from workbench.models.key_presets import PRESETS, preset

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    with running_broker(tmp_path_factory, "key-check") as process:
        yield process


@pytest.fixture(scope="module")
def admin(broker: BrokerProcess) -> ConnectionSettings:
    return settings_for(broker, create_key(broker.data_dir, "local", "all"))


def snapshot(topics: list[TopicRow]) -> list[tuple[object, ...]]:
    return sorted((t.id, t.name, t.events, t.last_offset, t.readonly) for t in topics)


async def run_check(
    admin: ConnectionSettings, client_id: str, secret: str, topic: TopicRow | None
) -> dict[str, CheckResult]:
    return {r.operation: r async for r in check_key(admin, client_id, secret, topic)}


async def orders_topic(client: BrokerClient) -> TopicRow:
    topics = {t.name: t for t in await client.topics()}
    if "orders" not in topics:
        topic_id = await client.create_topic("orders")
        await client.publish(topic_id, [NewEvent(b'{"n": 1}'), NewEvent(b'{"n": 2}')])
        topics = {t.name: t for t in await client.topics()}
    return topics["orders"]


@pytest.mark.parametrize("preset_name", [p.name for p in PRESETS])
def test_the_matrix_matches_each_presets_permissions_and_leaves_no_trace(
    admin: ConnectionSettings, preset_name: str
) -> None:
    async def main() -> None:
        client = BrokerClient(admin)
        topic = await orders_topic(client)
        before = snapshot(await client.topics(all_projects=True))
        permissions = list(preset(preset_name).permissions)
        key, secret = await client.create_key(f"{preset_name} key", permissions)
        wanted = expected_results(permissions)
        for chosen in (topic, None):
            results = await run_check(admin, key.client_id, secret, chosen)
            assert list(results) == list(OPERATIONS)
            passed = {op: r.passed for op, r in results.items()}
            assert passed == wanted, {op: r.reason for op, r in results.items()}
            for result in results.values():
                assert result.reason, result
                if not result.passed and result.operation != "authenticate":
                    assert "lacks the" in result.reason, result
        assert snapshot(await client.topics(all_projects=True)) == before
        await client.close()

    asyncio.run(main())


def test_every_permission_alone_opens_exactly_its_operations(admin: ConnectionSettings) -> None:
    assert expected_results(preset("Full access").permissions) == dict.fromkeys(OPERATIONS, True)
    assert expected_results(["broker:admin"]) == dict.fromkeys(OPERATIONS, True)
    assert expected_results(["subscriber"]) == {
        op: op in ("authenticate", "subscribe", "query") for op in OPERATIONS
    }

    async def main() -> None:
        client = BrokerClient(admin)
        topic = await orders_topic(client)
        before = snapshot(await client.topics(all_projects=True))
        key, secret = await client.create_key("destroyer", ["topics:destroy", "topics:create"])
        results = await run_check(admin, key.client_id, secret, topic)
        assert {op for op, r in results.items() if r.passed} == {
            "authenticate",
            "create topic",
            "destroy",
        }
        assert "nothing was destroyed" in results["destroy"].reason
        assert snapshot(await client.topics(all_projects=True)) == before
        await client.close()

    asyncio.run(main())


def test_a_topic_of_another_project_and_a_wrong_secret_are_named(
    admin: ConnectionSettings,
) -> None:
    async def main() -> None:
        client = BrokerClient(admin)
        topic = await orders_topic(client)
        other = await client.create_project("elsewhere")
        key, secret = await client.create_key("outsider", ["publisher", "subscriber"], other.id)
        results = await run_check(admin, key.client_id, secret, topic)
        for operation in ("publish", "subscribe"):
            assert not results[operation].passed
            assert "orders (project local) is not in this key's project" in (
                results[operation].reason
            )

        wrong = await run_check(admin, key.client_id, "x" * 64, topic)
        assert not wrong["authenticate"].passed
        assert "refused the key" in wrong["authenticate"].reason
        assert all(
            not r.tried and not r.passed and r.reason == "the key did not authenticate"
            for op, r in wrong.items()
            if op != "authenticate"
        )
        await client.close()

    asyncio.run(main())
