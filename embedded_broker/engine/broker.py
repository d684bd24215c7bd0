"""The state one broker process shares: stores, auth, commit signals, groups, metrics."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from embedded_broker import __version__
from embedded_broker.auth.api_keys import KeyStore
from embedded_broker.auth.authorizer import Authorizer
from embedded_broker.auth.caller import Caller
from embedded_broker.auth.projects import ProjectDirectory
from embedded_broker.auth.tokens import TokenIssuer
from embedded_broker.core.errors import NotFound
from embedded_broker.core.ids import ULID_SIZE, new_ulid, parse_ulid, ulid_str
from embedded_broker.core.metrics import MetricsRecorder
from embedded_broker.core.model import Topic
from embedded_broker.engine.commit_signals import CommitSignals
from embedded_broker.engine.consumer_groups import ConsumerGroups
from embedded_broker.engine.metrics import SampleFanout
from embedded_broker.storage.event_store import EventStore
from embedded_broker.storage.group_offsets import GroupOffsets

T = TypeVar("T")

READ_THREADS = 4
"""Threads that read the event log for subscribers and queries (each keeps one connection)."""


@dataclass
class Endpoints:
    """Where the broker listens (set by the server once it is bound), for ``BrokerInfo``."""

    grpc_address: str = ""
    auth_url: str = ""
    tls: bool = False
    tls_fingerprint: str = ""


@dataclass
class Broker:
    """The shared state of one broker process. Use it from its event loop only.

    Blocking work goes to threads: reads of the event log to :meth:`read`, changes that wait for
    the writer (topic admin, keys, projects) to :meth:`change`.
    """

    data_dir: Path
    store: EventStore
    projects: ProjectDirectory
    keys: KeyStore
    tokens: TokenIssuer
    group_offsets: GroupOffsets
    loop: asyncio.AbstractEventLoop
    endpoints: Endpoints = field(default_factory=Endpoints)
    server_id: str = field(default_factory=lambda: new_ulid().hex())
    version: str = __version__
    started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.readers = ThreadPoolExecutor(READ_THREADS, thread_name_prefix="event-log-reader")
        self.admin = ThreadPoolExecutor(2, thread_name_prefix="event-log-admin")
        self.authorizer = Authorizer(self.tokens, self.keys)
        self.signals = CommitSignals(self.loop)
        self.store.add_commit_listener(self.signals.committed)
        self.groups = ConsumerGroups(self.group_offsets, self.store, self.admin)
        self.metrics = MetricsRecorder()
        self.metrics_listeners = SampleFanout()
        self.stopping = asyncio.Event()
        """Set when the broker stops: streams finish what they hold and end normally."""
        self.subscribers: dict[bytes, dict[str, int]] = {}
        """Topic id -> group name ("" without a group) -> live subscriber streams."""

    @property
    def uptime_s(self) -> float:
        """Seconds since the broker started."""
        return time.monotonic() - self.started

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking read of the event log on a reader thread."""
        return await self.loop.run_in_executor(self.readers, partial(fn, *args))

    async def change(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking change (topic admin, keys: they wait for a writer) off the loop."""
        return await self.loop.run_in_executor(self.admin, partial(fn, *args))

    def check_active(self, caller: Caller) -> None:
        """Raise once the caller's key is revoked (long streams call this now and then).

        Raises:
            InvalidToken: if the key was revoked.
        """
        self.authorizer.check_active(caller)

    def project_topic(self, caller: Caller, ref: bytes | str) -> Topic:
        """A topic of the caller's project, by 16-byte id, ULID string or name.

        Raises:
            NotFound: if the project has no such topic (another project's topic included).
        """
        topic: Topic | None = None
        if isinstance(ref, bytes) or _looks_like_ulid(ref):
            try:
                topic = self.store.topic(parse_ulid(ref))
            except (NotFound, ValueError):
                topic = None
        if topic is None and isinstance(ref, str):
            try:
                topic = self.store.topic_by_name(caller.project_id, ref)
            except NotFound:
                topic = None
        if topic is None or topic.project_id != caller.project_id:
            raise NotFound(f"unknown topic {_shown(ref)!r} in this project")
        return topic

    def caller_topic(self, caller: Caller, topic_id: bytes) -> Topic:
        """A topic by 16-byte id: any project's for a broker admin, else as :meth:`project_topic`
        finds it (another project's topic is unknown, not forbidden: its existence stays private).

        Raises:
            NotFound: if there is no such topic (for this caller).
        """
        if not caller.is_admin:
            return self.project_topic(caller, topic_id)
        try:
            return self.store.topic(topic_id)
        except (NotFound, ValueError):
            raise NotFound(f"unknown topic {_shown(topic_id)!r}") from None

    async def until_stopping(self, work: Coroutine[Any, Any, Any]) -> bool:
        """Await ``work`` unless the broker starts stopping first.

        Returns:
            True if ``work`` finished, False if it was cancelled because of the stop.

        Raises:
            Exception: whatever ``work`` raised.
        """
        task = asyncio.ensure_future(work)
        stop = asyncio.ensure_future(self.stopping.wait())
        try:
            await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if task.cancelled():
            return False
        task.result()  # re-raise the work's error
        return True

    def close(self) -> None:
        """Stop the worker threads (the stores are closed by their owner)."""
        self.readers.shutdown(wait=True)
        self.admin.shutdown(wait=True)


def _shown(ref: bytes | str) -> str:
    if isinstance(ref, str):
        return ref
    if len(ref) == ULID_SIZE:
        return ulid_str(ref)
    return ref.hex() or "(empty id)"


def _looks_like_ulid(text: str) -> bool:
    return len(text) == 26 and text.isalnum()
