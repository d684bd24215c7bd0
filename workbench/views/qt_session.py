"""The connection every view shares: the current broker client, its topics and its metrics.

Views never talk to each other; they watch this object's signals and start broker calls with
:meth:`QtSession.run`, which reports failures on :attr:`QtSession.error` instead of raising into
Qt. While connected, the session keeps the topic list fresh (every ``TOPIC_REFRESH_S`` seconds
and after changes) and relays the broker's metrics stream (one sample a second).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from workbench.client.broker_client import BrokerClient
from workbench.client.connection_settings import ConnectionSettings
from workbench.client.errors import ClientError
from workbench.client.records import MetricsSample, TopicRow

log = logging.getLogger(__name__)
T = TypeVar("T")
TOPIC_REFRESH_S = 2.0
METRICS_RETRY_S = 2.0
BACKGROUND_STOP_S = 5.0
"""How long dropping a connection waits for its background loops before closing the channel."""


class QtSession(QObject):
    """The workbench's live connection to one broker."""

    connected = Signal(object)  # BrokerClient
    disconnected = Signal(str)  # why
    topics_changed = Signal(list)  # list[TopicRow]
    metrics_sample = Signal(object)  # MetricsSample
    error = Signal(str)  # a message for the user

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.client: BrokerClient | None = None
        self.profile_name = ""
        self.topics: list[TopicRow] = []
        self._background: list[asyncio.Task[None]] = []
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- connection ---------------------------------------------------------------------------

    async def connect_to(self, settings: ConnectionSettings, profile_name: str = "") -> None:
        """Log in to a broker and make it the current one.

        Raises:
            ClientError: if it refuses the key or cannot be reached (the current connection
                is kept in that case).
        """
        client = BrokerClient(settings)
        try:
            await client.login()
            topics = await client.topics(all_projects=True)
        except BaseException:
            await client.close()
            raise
        await self.drop_connection("switching brokers")
        self.client = client
        self.profile_name = profile_name
        self._set_topics(topics)
        self._background = [
            asyncio.ensure_future(self._refresh_topics_forever(client)),
            asyncio.ensure_future(self._relay_metrics(client)),
        ]
        self.connected.emit(client)

    async def drop_connection(self, reason: str = "disconnected") -> None:
        """Drop the current connection (if any)."""
        # The loops end once their client is no longer the current one, so they stop even when
        # a cancellation is lost: grpc can turn it into a CANCELLED status of the stream, which
        # the metrics relay takes for a stream that ended and starts again. Waiting for them to
        # finish (as this once did) then hung for good.
        client, self.client = self.client, None
        background, self._background = self._background, []
        for task in background:
            task.cancel()
        if background:
            await asyncio.wait(background, timeout=BACKGROUND_STOP_S)
        if client is not None:
            await client.close()  # ends any stream still open
            self.disconnected.emit(reason)

    # -- work ---------------------------------------------------------------------------------

    def run(
        self,
        work: Coroutine[Any, Any, T],
        on_done: Callable[[T], None] | None = None,
        what: str = "",
    ) -> asyncio.Task[T]:
        """Run broker work in the background; report a failure on :attr:`error`."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)

        def finished(done: asyncio.Task[T]) -> None:
            self._tasks.discard(done)
            if done.cancelled():
                return
            exc = done.exception()
            if exc is not None:
                prefix = f"{what} failed: " if what else ""
                self.error.emit(prefix + _message(exc))
                if not isinstance(exc, ClientError):
                    log.error("background work failed", exc_info=exc)
            elif on_done is not None:
                on_done(done.result())

        task.add_done_callback(finished)
        return task

    def refresh_topics(self) -> None:
        """Fetch the topic list now (after a create, archive or destroy)."""
        if self.client is not None:
            client = self.client
            self.run(client.topics(all_projects=True), self._set_topics, "listing topics")

    def topic(self, topic_id: bytes) -> TopicRow | None:
        """The latest known state of a topic."""
        return next((t for t in self.topics if t.id == topic_id), None)

    def _set_topics(self, topics: list[TopicRow]) -> None:
        if topics != self.topics:
            self.topics = topics
            self.topics_changed.emit(topics)

    async def _refresh_topics_forever(self, client: BrokerClient) -> None:
        while True:
            await asyncio.sleep(TOPIC_REFRESH_S)
            if self.client is not client:
                return
            try:
                self._set_topics(await client.topics(all_projects=True))
            except ClientError as exc:
                self.error.emit(f"listing topics failed: {exc}")

    async def _relay_metrics(self, client: BrokerClient) -> None:
        history = 3600
        while self.client is client:
            try:
                async for sample in client.metrics(history):
                    if self.client is not client:
                        return
                    self.metrics_sample.emit(sample)
                    history = 0  # after a reconnect, only live samples
            except ClientError as exc:
                log.info("metrics stream ended: %s", exc)
            await asyncio.sleep(METRICS_RETRY_S)


def _message(exc: BaseException) -> str:
    text = str(exc)
    return text if text else type(exc).__name__


__all__ = ["MetricsSample", "QtSession"]
