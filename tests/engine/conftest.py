"""An in-process broker engine over a real store in a temporary directory: no network, no gRPC.

Each test is a coroutine run by ``run_engine``, which opens the stores, builds the engine on the
running loop, hands it to the test with a caller for a project, and closes everything after.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from embedded_broker.auth.api_keys import KeyStore
from embedded_broker.auth.caller import Caller
from embedded_broker.auth.permissions import Permission
from embedded_broker.auth.projects import ProjectDirectory
from embedded_broker.auth.tokens import TokenIssuer
from embedded_broker.core.model import Topic
from embedded_broker.engine.broker import Broker
from embedded_broker.storage.event_store import EventStore
from embedded_broker.storage.group_offsets import GroupOffsets

Scenario = Callable[["Engine"], Awaitable[None]]


@dataclass
class Engine:
    """The engine under test and the project its callers belong to."""

    broker: Broker
    project_id: bytes

    async def create_topic(self, name: str) -> Topic:
        """A new topic of this project."""
        return await self.broker.change(self.broker.store.create_topic, self.project_id, name)

    def caller(self, *permissions: Permission, project_id: bytes | None = None) -> Caller:
        """A caller of this project (or ``project_id``) holding ``permissions`` (all if none)."""
        granted = frozenset(permissions) if permissions else frozenset(Permission)
        key = self.broker.keys.create(project_id or self.project_id, granted, "test")[0]
        return Caller(key.id, key.project_id, granted, 2**40)


def run_engine(data_dir: Path, scenario: Scenario) -> None:
    """Run ``scenario`` against a fresh engine in ``data_dir``; close everything after."""

    async def main() -> None:
        store = await asyncio.to_thread(EventStore.open, data_dir, durability="normal")
        projects = ProjectDirectory(data_dir)
        keys = KeyStore(data_dir)
        offsets = GroupOffsets(data_dir)
        broker = Broker(
            data_dir,
            store,
            projects,
            keys,
            TokenIssuer(data_dir),
            offsets,
            asyncio.get_running_loop(),
        )
        try:
            project = projects.create("demo")
            await asyncio.wait_for(scenario(Engine(broker, project.id)), 60)
        finally:
            broker.stopping.set()
            await broker.groups.save()
            broker.close()
            for closing in (offsets, keys, projects, store):
                closing.close()

    asyncio.run(main())


@pytest.fixture
def engine(tmp_path: Path) -> Callable[[Scenario], None]:
    """``engine(scenario)`` runs an async scenario against a fresh in-process engine."""
    return lambda scenario: run_engine(tmp_path / "broker", scenario)


@dataclass
class Wrapper:
    """An event as a publisher sends it (the shape of Ensign's ``EventWrapper``)."""

    topic_id: bytes
    event: bytes
    local_id: bytes = field(default_factory=lambda: next(_LOCAL_IDS).to_bytes(16, "big"))


_LOCAL_IDS = iter(range(1, 2**63))


@dataclass
class RecordedReplies:
    """Collects a publish pipeline's outcomes in the order they were reported."""

    outcomes: list[tuple[str, bytes, Any]] = field(default_factory=list)
    on_ack: Callable[[Sequence[bytes]], None] | None = None

    async def acked(self, local_ids: Sequence[bytes], committed_ms: int) -> None:
        if self.on_ack is not None:
            self.on_ack(local_ids)
        self.outcomes += [("ack", local_id, committed_ms) for local_id in local_ids]

    async def nacked(self, local_id: bytes, error: Exception) -> None:
        self.outcomes.append(("nack", local_id, error))

    def by_id(self) -> dict[bytes, tuple[str, Any]]:
        return {local_id: (kind, detail) for kind, local_id, detail in self.outcomes}


async def stream_of(items: Sequence[Any]) -> AsyncIterator[Any]:
    """An async iterator over ``items`` (a publisher that sends them and closes)."""
    for item in items:
        yield item
