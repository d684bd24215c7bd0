"""Testing an API key: what each operation would do with it, checked against a live broker
without leaving a trace.

Each probe asks for something the broker must refuse on the way in *after* it has checked the
key's permission (the broker checks permissions before anything else): an empty event (refused
as ``UNPROCESSED``, never stored), an invalid topic name, a topic id that does not exist. So a
refusal for the probe's own fault means "allowed", and a ``PERMISSION_DENIED`` means "not
allowed"; no event is published and no topic is created or destroyed. Subscribing and querying
read the chosen topic (a subscription without a group, one event at most), which changes
nothing either.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from typing import TypeVar

from workbench.client.broker_client import BrokerClient
from workbench.client.broker_rules import ulid_str
from workbench.client.connection_settings import ConnectionSettings
from workbench.client.errors import ClientError, InvalidInput, NotFound, Refused
from workbench.client.records import TopicRow

T = TypeVar("T")
PROBE_TIMEOUT_S = 10.0
"""How long one operation may take before it counts as failed."""
INVALID_TOPIC_NAME = "0-key-check"
"""A topic name the broker always refuses (it must start with a letter): creating it checks
the ``topics:create`` permission and creates nothing."""

NEEDS: dict[str, tuple[str, ...]] = {
    "authenticate": (),
    "list topics": ("topics:read",),
    "create topic": ("topics:create",),
    "publish": ("publisher",),
    "subscribe": ("subscriber",),
    "query": ("subscriber",),
    "read metrics": ("metrics:read",),
    "destroy": ("topics:destroy",),
}
"""Each operation, in the order checked, and the permission it needs."""
OPERATIONS = tuple(NEEDS)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One operation tried with the key."""

    operation: str
    passed: bool
    reason: str
    tried: bool = True
    """False for an operation not attempted (the key did not authenticate): neither pass nor
    fail."""


def expected_results(permissions: Iterable[str]) -> dict[str, bool]:
    """Which operations a key with ``permissions`` may do, by its permissions alone (a
    ``broker:admin`` key may do everything)."""
    held = set(permissions)
    admin = "broker:admin" in held
    return {op: admin or held.issuperset(need) for op, need in NEEDS.items()}


class _Failed(Exception):
    """A probe's outcome that means "not allowed", with why."""


async def check_key(
    broker: ConnectionSettings, client_id: str, client_secret: str, topic: TopicRow | None
) -> AsyncIterator[CheckResult]:
    """Try every operation of :data:`OPERATIONS` with a key; yield each result as it comes.

    Args:
        broker: where the broker is (its key fields are ignored).
        client_id: the ClientID to test.
        client_secret: its ClientSecret (used for this check only, never kept).
        topic: the topic to publish to, subscribe to and query (None: a topic id that does not
            exist, which checks the permissions alone).
    """
    client = BrokerClient(replace(broker, client_id=client_id, client_secret=client_secret))
    try:
        try:
            await asyncio.wait_for(client.login(), PROBE_TIMEOUT_S)
        except (ClientError, TimeoutError) as exc:
            yield CheckResult("authenticate", False, _reason(exc))
            for operation in OPERATIONS[1:]:
                yield CheckResult(operation, False, "the key did not authenticate", tried=False)
            return
        yield CheckResult("authenticate", True, "the auth endpoint issued a token")
        for operation, probe in _PROBES.items():
            try:
                reason = await asyncio.wait_for(probe(client, topic), PROBE_TIMEOUT_S)
            except (ClientError, _Failed, TimeoutError) as exc:
                yield CheckResult(operation, False, _reason(exc))
            else:
                yield CheckResult(operation, True, reason)
    finally:
        await client.close()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {PROBE_TIMEOUT_S:.0f} s"
    if isinstance(exc, Refused):
        return exc.reason
    return str(exc) or type(exc).__name__


def _not_in_project(topic: TopicRow) -> _Failed:
    return _Failed(f"{topic.name} (project {topic.project_name}) is not in this key's project")


async def _list_topics(client: BrokerClient, topic: TopicRow | None) -> str:
    topics = await client.topics()
    seen = f"sees {len(topics)} topic{'' if len(topics) == 1 else 's'} of its project"
    if topic is not None and all(t.id != topic.id for t in topics):
        seen += f"; {topic.name} is not one of them"
    return seen


async def _create_topic(client: BrokerClient, topic: TopicRow | None) -> str:
    try:
        await client.create_topic(INVALID_TOPIC_NAME)
    except InvalidInput:
        return "allowed (the check's topic name is invalid on purpose: nothing was created)"
    raise _Failed(f"the broker accepted the invalid topic name {INVALID_TOPIC_NAME!r}")


async def _publish(client: BrokerClient, topic: TopicRow | None) -> str:
    try:
        await client.publish_encoded(topic.id if topic else os.urandom(16), [b""])
    except Refused as exc:
        if exc.code == "UNPROCESSED":
            where = f" to {topic.name}" if topic else ""
            return f"allowed{where} (the check's event is empty on purpose: nothing was stored)"
        if exc.code == "TOPIC_UNKNOWN" and topic is None:
            return "allowed (the check named a topic that does not exist: nothing was stored)"
        if exc.code == "TOPIC_UNKNOWN" and topic is not None:
            raise _not_in_project(topic) from None
        raise
    raise _Failed("the broker accepted an empty event")


async def _subscribe(client: BrokerClient, topic: TopicRow | None) -> str:
    try:
        await client.check_subscribe(ulid_str(topic.id if topic else os.urandom(16)))
    except NotFound:
        if topic is not None:
            raise _not_in_project(topic) from None
        return "allowed (the check named a topic that does not exist)"
    return f"allowed: the broker opened a subscription to {topic.name if topic else 'it'}"


async def _query(client: BrokerClient, topic: TopicRow | None) -> str:
    if topic is None:
        try:
            await _take(client.query("SELECT FROM"), 1)
        except InvalidInput:
            return "allowed (the check's query is invalid on purpose)"
        raise _Failed("the broker accepted an invalid query")
    name = topic.name.replace('"', '""')
    try:
        rows = len(await _take(client.query(f'SELECT * FROM "{name}" LIMIT 1'), 1))
    except NotFound:
        raise _not_in_project(topic) from None
    return f"allowed: read {rows} event{'' if rows == 1 else 's'} of {topic.name}"


async def _read_metrics(client: BrokerClient, topic: TopicRow | None) -> str:
    samples = await _take(client.metrics(history_seconds=0), 1)
    if not samples:
        raise _Failed("the metrics stream ended without a sample")
    return f"allowed: a sample of {len(samples[0].topics)} topics"


async def _take(items: AsyncIterator[T], limit: int) -> list[T]:
    """The first ``limit`` items of a stream, which is closed then (its call cancelled)."""
    taken: list[T] = []
    try:
        async for item in items:
            taken.append(item)
            if len(taken) >= limit:
                break
    finally:
        close = getattr(items, "aclose", None)
        if close is not None:
            await close()
    return taken


async def _destroy(client: BrokerClient, topic: TopicRow | None) -> str:
    try:
        await client.destroy_topic(os.urandom(16))
    except NotFound:
        return "allowed (the check named a topic that does not exist: nothing was destroyed)"
    raise _Failed("the broker destroyed a topic nobody named")


_PROBES: dict[str, Callable[[BrokerClient, TopicRow | None], Awaitable[str]]] = {
    "list topics": _list_topics,
    "create topic": _create_topic,
    "publish": _publish,
    "subscribe": _subscribe,
    "query": _query,
    "read metrics": _read_metrics,
    "destroy": _destroy,
}
