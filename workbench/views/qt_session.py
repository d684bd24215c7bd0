"""The connection every view shares: the current broker client, its topics and its metrics.

Views never talk to each other; they watch this object's signals and start broker calls with
:meth:`QtSession.run`, which reports failures on :attr:`QtSession.error` instead of raising into
Qt. While connected, the session keeps the topic list fresh (every ``TOPIC_REFRESH_S`` seconds
and after changes) and relays the broker's metrics stream (one sample a second).

A view shows only the current broker's data: when a connection ends (dropped, failed or lost)
the session says so on :attr:`QtSession.disconnected` with an empty topic list, and every view
clears what it shows. A connection that fails or is lost is also reported on
:attr:`QtSession.connection_failed`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from workbench.client.clients import AnySettings, client_for, settings_address
from workbench.client.errors import AuthError, ClientError, Unavailable
from workbench.client.records import MetricsSample, TopicRow
from workbench.client.stream_client import StreamClient
from workbench.models.time_display import TimeZoneChoice

log = logging.getLogger(__name__)
T = TypeVar("T")
TOPIC_REFRESH_S = 2.0
METRICS_RETRY_S = 2.0
BACKGROUND_STOP_S = 5.0
"""How long dropping a connection waits for its background loops before closing the channel."""
LOST_AFTER_FAILURES = 2
"""Topic refreshes in a row that find the broker unreachable (or the key refused) before the
connection counts as lost (one could be a hiccup)."""


class QtSession(QObject):
    """The workbench's live connection to one broker."""

    connected = Signal(object)  # StreamClient
    disconnected = Signal(str)  # why
    connection_failed = Signal(str, str)  # the profile's name, what went wrong (failed or lost)
    topics_changed = Signal(list)  # list[TopicRow]
    metrics_sample = Signal(object)  # MetricsSample
    error = Signal(str)  # a message for the user
    time_zone_changed = Signal(object)  # TimeZoneChoice: how every view shows times

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.client: StreamClient | None = None
        self.profile_name = ""
        self.topics: list[TopicRow] = []
        self._background: list[asyncio.Task[None]] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._connecting: asyncio.Task[Any] | None = None  # the latest connect_to
        self.failure: BaseException | None = None
        """What made the latest connection fail or end (see :attr:`connection_failed`)."""
        self.time_zone = TimeZoneChoice.LOCAL
        """Where the views tell times (a view setting; exports ignore it)."""

    def set_time_zone(self, zone: TimeZoneChoice) -> None:
        """Show every time in ``zone`` from now on."""
        if zone is not self.time_zone:
            self.time_zone = zone
            self.time_zone_changed.emit(zone)

    # -- connection ---------------------------------------------------------------------------

    async def connect_to(self, settings: AnySettings, profile_name: str = "") -> None:
        """Log in to a broker (Ensign, or a NATS JetStream cluster) and make it the current one.

        Connecting to another profile drops the current connection first, so that no view
        shows one broker's data under another's name. Connecting again to the current profile
        (say, after its broker restarted) keeps the current connection until the new one works.
        Either way, a failure leaves no connection and is reported on :attr:`connection_failed`.
        A newer call cancels one still under way, so that the broker chosen last wins.

        Raises:
            ClientError: if the broker refuses the key or cannot be reached.
            asyncio.CancelledError: if a newer call took over.
        """
        previous, self._connecting = self._connecting, asyncio.current_task()
        if previous is not None and not previous.done():
            previous.cancel()
        if self.client is not None and profile_name != self.profile_name:
            where = profile_name or settings_address(settings)
            await self.drop_connection(f"switching to {where}")
        client = client_for(settings)
        try:
            await client.login()
            topics = await client.topics(all_projects=True)
        except BaseException as exc:
            await client.close()
            if not isinstance(exc, asyncio.CancelledError):
                await self.drop_connection(f"cannot connect to {profile_name}")
                self.failure = exc
                self.connection_failed.emit(profile_name, _message(exc))
            raise
        old = self._detach()  # the same broker again: its views keep their state
        self.client = client
        self.failure = None
        self.profile_name = profile_name
        self._set_topics(topics)
        self._background = [
            asyncio.ensure_future(self._refresh_topics_forever(client)),
            asyncio.ensure_future(self._relay_metrics(client)),
        ]
        self.connected.emit(client)
        if old is not None:
            self.run(self._close(*old))

    async def drop_connection(self, reason: str = "disconnected") -> None:
        """Drop the current connection (if any); views clear what they show."""
        old = self._detach()
        if old is not None:
            self._set_topics([])
            self.disconnected.emit(reason)
            await self._close(*old)

    def _detach(self) -> tuple[StreamClient, list[asyncio.Task[None]]] | None:
        """Make the current connection no longer current (at once, with no await in between)
        and stop its loops; its client and loops, for :meth:`_close`, or None without one."""
        # The loops end once their client is no longer the current one, so they stop even when
        # a cancellation is lost: grpc can turn it into a CANCELLED status of the stream, which
        # the metrics relay takes for a stream that ended and starts again. Waiting for them to
        # finish (as this once did) then hung for good.
        client, self.client = self.client, None
        background, self._background = self._background, []
        for task in background:
            task.cancel()
        return (client, background) if client is not None else None

    async def _close(self, client: StreamClient, background: list[asyncio.Task[None]]) -> None:
        """Give a detached connection's loops a moment to end, then close its channel."""
        current = asyncio.current_task()
        waited = [task for task in background if task is not current]
        try:
            if waited:
                await asyncio.wait(waited, timeout=BACKGROUND_STOP_S)
        finally:
            await client.close()  # ends any stream still open

    async def _lose(self, client: StreamClient, failure: ClientError) -> None:
        """The broker stopped answering (or refused the key): drop the connection."""
        if self.client is not client:
            return
        name = self.profile_name
        await self.drop_connection(f"lost: {failure}")
        self.failure = failure
        self.connection_failed.emit(name, f"the connection was lost: {failure}")

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

    async def _refresh_topics_forever(self, client: StreamClient) -> None:
        failures = 0
        while True:
            await asyncio.sleep(TOPIC_REFRESH_S)
            if self.client is not client:
                return
            try:
                topics = await client.topics(all_projects=True)
            except (Unavailable, AuthError) as exc:
                failures += 1
                if failures >= LOST_AFTER_FAILURES:
                    self.run(self._lose(client, exc))  # it stops this loop
                    return
                continue
            except ClientError as exc:
                self.error.emit(f"listing topics failed: {exc}")
                continue
            failures = 0
            if self.client is client:
                self._set_topics(topics)

    async def _relay_metrics(self, client: StreamClient) -> None:
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
