"""Qt tests on a qasync loop: ``qloop`` runs coroutines while Qt processes its events."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
import qasync
from PySide6.QtWidgets import QApplication

from tests.serve_process import BrokerProcess, start_broker
from workbench.client.connection_settings import ConnectionSettings
from workbench.models.secret_store import FileSecretStore
from workbench.views.qt_session import QtSession

T = TypeVar("T")


class QLoop:
    """Drive the app's asyncio work from a test."""

    def __init__(self, loop: qasync.QEventLoop) -> None:
        self.loop = loop

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        """Run a coroutine to completion (Qt keeps processing events meanwhile)."""
        return self.loop.run_until_complete(asyncio.wait_for(coro, timeout))

    def until(self, condition: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
        """Process events until ``condition()`` holds."""

        async def wait() -> None:
            while not condition():
                await asyncio.sleep(0.02)

        try:
            self.run(wait(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"timed out after {timeout} s waiting for {what or condition}"
            ) from None


class _RunningLoop(qasync.QEventLoop):  # type: ignore[misc]
    """qasync's loop, still asyncio's running loop while ``run_until_complete`` lets Qt
    process events one last time after the loop stopped.

    In the app the loop runs for good. Here each ``qloop.run`` stops it, and a task step that
    runs in that last round (a generator resuming after its worker thread, say) found no
    running loop: its next ``create_task`` raised, and events it had counted as sent were
    never published.
    """

    _completing = False

    def run_forever(self) -> Any:
        try:
            return super().run_forever()
        finally:
            if self._completing:  # for the last round of run_until_complete
                asyncio.events._set_running_loop(self)

    def run_until_complete(self, future: Any) -> Any:
        self._completing = True
        try:
            return super().run_until_complete(future)
        finally:
            self._completing = False
            asyncio.events._set_running_loop(None)


@pytest.fixture(scope="session")
def _shared_loop(qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    # One loop for the whole run, as in the app: creating and dropping a qasync loop (and its
    # Qt timers, signallers and worker QThreads) per test was seen to crash Qt now and then.
    loop = _RunningLoop(qapp, already_running=False)
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()
    asyncio.set_event_loop(None)


@pytest.fixture
def qloop(_shared_loop: qasync.QEventLoop) -> Iterator[QLoop]:
    loop = _shared_loop
    asyncio.set_event_loop(loop)
    yield QLoop(loop)
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


@pytest.fixture
def secrets(tmp_path: Path) -> FileSecretStore:
    return FileSecretStore(tmp_path / "config" / "secrets.json")


def settings_for(broker: BrokerProcess, key: dict[str, str]) -> ConnectionSettings:
    """How to connect to a test broker with a key made by ``create_key``."""
    return ConnectionSettings(
        broker.grpc_address, broker.auth_url, key["client_id"], key["client_secret"]
    )


@contextmanager
def running_broker(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[BrokerProcess]:
    """A real ``ensign-broker serve`` in a fresh data directory, stopped afterwards."""
    process = start_broker(tmp_path_factory.mktemp(name) / "broker")
    try:
        yield process
    finally:
        process.stop()


@contextmanager
def connected_session(qloop: QLoop, settings: ConnectionSettings) -> Iterator[QtSession]:
    """A session connected to a broker, disconnected afterwards."""
    session = QtSession()
    qloop.run(session.connect_to(settings))
    try:
        yield session
    finally:
        qloop.run(session.drop_connection())
